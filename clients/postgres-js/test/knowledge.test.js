// The knowledge store's tables, written and read the way its store does
// (statement shapes of source-schema.md), with the values the bot passes:
// JSON as JSON.stringify(...) text, GitHub ids beyond 2^31, flags as 1/0 or
// booleans. Each test asserts what is stored (in SQL) and what comes back (JS).

import { test, describe, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { contractSql, stockSql, cleanup, RUN } from './helpers.js'
import { REFUSED } from '../index.js'

const BIG_COMMENT_ID = 4153840487 // a production GitHub id, beyond 2^31-1
const BIG_REACTION_ID = 298765432101
let sql
before(async () => { sql = await contractSql() })
after(async () => { await cleanup(sql); await sql.end() })

const repo = (name) => `${RUN}/${name}`

async function recordReview(r, configSnapshot) {
  const [row] = await sql`
    INSERT INTO reviews (repo, pr_number, head_sha, delivery_id, files_analyzed, lines_changed,
      findings_critical, findings_major, findings_medium, findings_minor, findings_total,
      suppressions_applied, config_snapshot, duration_ms, model, conclusion)
    VALUES (${r}, ${42}, ${'abc123'}, ${'delivery-1'}, ${3}, ${120}, ${0}, ${1}, ${2}, ${0}, ${3},
      ${1}, ${configSnapshot}, ${1500}, ${'claude'}, ${'success'})
    RETURNING id`
  return row.id
}

describe('reviews', () => {
  test('config_snapshot as JSON text is stored as an object, found by ->> and @>, read back as text for JSON.parse', async () => {
    const config = { model: 'claude', severity: { minLevel: 'medium' }, skipPaths: ['dist/**'] }
    const id = await recordReview(repo('reviews'), JSON.stringify(config))
    assert.equal(typeof id, 'number', 'bigint id arrives as a number')
    assert.ok(Number.isSafeInteger(id) && id > 0)

    const [stored] = await sql`
      SELECT jsonb_typeof(config_snapshot) AS type, config_snapshot->>'model' AS model,
             config_snapshot @> ${JSON.stringify({ severity: { minLevel: 'medium' } })} AS contains
      FROM reviews WHERE id = ${id}`
    assert.deepEqual({ ...stored }, { type: 'object', model: 'claude', contains: true })

    const [row] = await sql`SELECT id, config_snapshot FROM reviews WHERE id = ${id}`
    assert.equal(row.id, id)
    assert.equal(typeof row.config_snapshot, 'string', 'jsonb comes back as JSON text')
    assert.deepEqual(JSON.parse(row.config_snapshot), config)
  })

  // Migration 068: kodiai's recordReview returns RETURNING id to callers typed number; the stock driver
  // returns int8 as a string, and review-learning-memory then skips every memory ("missing-review-id",
  // its guard is typeof === "number"). reviews.id is int4 so that it arrives as a number.
  test('the stock driver gets the review id back as an integer number (RETURNING id and SELECT id)', async () => {
    const stock = stockSql()
    try {
      const [row] = await stock`
        INSERT INTO reviews (repo, pr_number, conclusion) VALUES (${repo('reviews-stock')}, ${7}, ${'success'})
        RETURNING id`
      assert.equal(typeof row.id, 'number', 'reviews.id must be int4: the stock driver returns int8 as a string')
      assert.ok(Number.isInteger(row.id) && row.id > 0)
      const [back] = await stock`SELECT id FROM reviews WHERE id = ${row.id}`
      assert.equal(back.id, row.id)
      // findings.review_id stays bigint: the bot passes it through to its integer recordset columns as it came
      await stock`INSERT INTO findings (review_id, file_path, severity, category, confidence, title)
        VALUES (${row.id}, ${'a.ts'}, ${'major'}, ${'correctness'}, ${90}, ${'t'})`
      const [f] = await stock`SELECT review_id FROM findings WHERE review_id = ${row.id}`
      const [passed] = await stock.unsafe('SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(review_id integer)',
        [[{ review_id: f.review_id }]])
      assert.equal(passed.review_id, row.id)
    } finally { await stock.end() }
  })

  test('config_snapshot given as an object is stored as the same object; null stays SQL NULL', async () => {
    const config = { a: 1, nested: [true, null, 'x'] }
    const id = await recordReview(repo('reviews-obj'), config)
    const idNull = await recordReview(repo('reviews-obj'), null)
    const rows = await sql`SELECT id, jsonb_typeof(config_snapshot) AS type, config_snapshot FROM reviews
                           WHERE id IN ${sql([id, idNull])} ORDER BY id`
    assert.deepEqual(rows.map((r) => r.type), ['object', null])
    assert.deepEqual(JSON.parse(rows[0].config_snapshot), config)
    assert.equal(rows[1].config_snapshot, null)
  })

  test('repo stats: count(*), sum(integer) and avg(integer) arrive as numbers', async () => {
    const r = repo('stats')
    const reviewId = await recordReview(r, null)
    await recordReview(r, null)
    for (const confidence of [80, 85, 91])
      await sql`INSERT INTO findings (review_id, file_path, severity, category, confidence, title)
                VALUES (${reviewId}, ${'a.ts'}, ${'major'}, ${'correctness'}, ${confidence}, ${'t'})`
    const [summary] = await sql`
      SELECT COUNT(*) AS total_reviews, COALESCE(SUM(findings_total), 0) AS total_findings
      FROM reviews WHERE repo = ${r} AND created_at >= now() - ${'7 days'}::interval`
    assert.deepEqual({ ...summary }, { total_reviews: 2, total_findings: 6 })
    const [avg] = await sql`
      SELECT COALESCE(AVG(f.confidence), 0) AS avg_confidence FROM findings f
      JOIN reviews rv ON rv.id = f.review_id WHERE rv.repo = ${r}`
    assert.equal(typeof avg.avg_confidence, 'number')
    assert.ok(Math.abs(avg.avg_confidence - 256 / 3) < 1e-12, String(avg.avg_confidence))
  })
})

describe('findings', () => {
  test('suppressed given as 1/0, true/false or their text is stored as that boolean and read back as true/false', async () => {
    const reviewId = await recordReview(repo('findings-flags'), null)
    const inputs = [1, 0, true, false, 't', 'f', 'true', 'false', '1', '0']
    const expected = [true, false, true, false, true, false, true, false, true, false]
    const ids = []
    for (const [i, suppressed] of inputs.entries()) {
      const [row] = await sql`
        INSERT INTO findings (review_id, file_path, start_line, end_line, severity, category, confidence, title,
          suppressed, suppression_pattern, comment_id, comment_surface, review_output_key)
        VALUES (${reviewId}, ${'src/a.ts'}, ${10}, ${12}, ${'major'}, ${'correctness'}, ${80}, ${'flag ' + i},
          ${suppressed}, ${null}, ${null}, ${null}, ${null})
        RETURNING id, suppressed`
      assert.equal(row.suppressed, expected[i], `suppressed = ${JSON.stringify(suppressed)}`)
      ids.push(row.id)
    }
    const stored = await sql`SELECT suppressed::text AS s FROM findings WHERE id IN ${sql(ids)} ORDER BY id`
    assert.deepEqual(stored.map((r) => r.s), expected.map((b) => String(b)))
    const unsuppressed = await sql`SELECT count(*) AS n FROM findings WHERE review_id = ${reviewId} AND suppressed = ${0}`
    assert.equal(unsuppressed[0].n, 5)
  })

  test('a flag that is neither true/false nor 1/0 fails the statement (22P02), never stored as false', async () => {
    const reviewId = await recordReview(repo('findings-badflag'), null)
    for (const bad of [2, -1, NaN, 'maybe', {}]) {
      await assert.rejects(sql`
        INSERT INTO findings (review_id, file_path, severity, category, confidence, title, suppressed)
        VALUES (${reviewId}, ${'a.ts'}, ${'minor'}, ${'style'}, ${50}, ${'bad'}, ${bad})`,
      (e) => e.code === '22P02' && e.message.startsWith('invalid input syntax for type boolean: ')
        && (typeof bad === 'string' || e.message.includes(`"${REFUSED} this boolean parameter: `)),
      `suppressed = ${JSON.stringify(bad)}`)
    }
    const [{ n }] = await sql`SELECT count(*) AS n FROM findings WHERE review_id = ${reviewId}`
    assert.equal(n, 0)
  })

  test('a GitHub comment id beyond 2^31 is stored exactly, looked up by number, and comes back as that number', async () => {
    const r = repo('findings-ids')
    const reviewId = await recordReview(r, null)
    await sql`
      INSERT INTO findings (review_id, file_path, severity, category, confidence, title, suppressed,
        comment_id, comment_surface, review_output_key)
      VALUES (${reviewId}, ${'src/b.ts'}, ${'critical'}, ${'security'}, ${95}, ${'SQL injection in query builder'},
        ${false}, ${BIG_COMMENT_ID}, ${'pull_request_review_comment'}, ${'key-1'})`
    const [stored] = await sql`SELECT comment_id::text AS text FROM findings WHERE review_id = ${reviewId}`
    assert.equal(stored.text, '4153840487')
    const rows = await sql`
      SELECT f.id, f.review_id, f.comment_id, f.severity, f.start_line, f.suppressed, f.created_at
      FROM findings f JOIN reviews rv ON rv.id = f.review_id
      WHERE rv.repo = ${r} AND f.comment_id = ${BIG_COMMENT_ID}
      ORDER BY f.created_at DESC LIMIT ${1}`
    assert.equal(rows.length, 1)
    const row = rows[0]
    assert.equal(row.comment_id, BIG_COMMENT_ID)
    assert.equal(row.review_id, reviewId)
    assert.equal(typeof row.id, 'number')
    assert.equal(row.start_line, null)
    assert.equal(row.suppressed, false)
    assert.ok(row.created_at instanceof Date)
    assert.ok(Math.abs(row.created_at - Date.now()) < 60_000, 'created_at is now()')
  })

  test('full text: findings by words of their title', async () => {
    const r = repo('findings-fts')
    const reviewId = await recordReview(r, null)
    for (const title of ['Unbounded retries exhaust the connection pool', 'Typo in README'])
      await sql`INSERT INTO findings (review_id, file_path, severity, category, confidence, title)
                VALUES (${reviewId}, ${'x.ts'}, ${'major'}, ${'performance'}, ${70}, ${title})`
    const rows = await sql`
      SELECT f.title FROM findings f JOIN reviews rv ON rv.id = f.review_id
      WHERE rv.repo = ${r} AND f.search_tsv @@ websearch_to_tsquery('english', ${'connection pools'})`
    assert.deepEqual(rows.map((x) => x.title), ['Unbounded retries exhaust the connection pool'])
  })
})

describe('suppression_log', () => {
  // finding_ids is text since migration 067 (issue 21): the bot's recordset declares it text and
  // its readers expect the JSON text back.
  test('finding_ids as JSON text is stored as that text and read back as text; an array parameter is refused', async () => {
    const reviewId = await recordReview(repo('suppression'), null)
    await sql.begin(async (tx) => {
      await tx`INSERT INTO suppression_log (review_id, pattern, matched_count, finding_ids)
               VALUES (${reviewId}, ${'*.generated.ts'}, ${2}, ${JSON.stringify([11, 4153840487])})`
      await tx`INSERT INTO suppression_log (review_id, pattern, matched_count, finding_ids)
               VALUES (${reviewId}, ${'none'}, ${0}, ${null})`
    })
    // a JS array for a text parameter is an array literal ('{7}'), not JSON: the CHECK refuses it
    await assert.rejects(sql`INSERT INTO suppression_log (review_id, pattern, matched_count, finding_ids)
                             VALUES (${reviewId}, ${'vendor/**'}, ${1}, ${[7]})`, (e) => e.code === '22P02' || e.code === '23514')
    const rows = await sql`SELECT pattern, matched_count, jsonb_typeof(finding_ids::jsonb) AS type, finding_ids
                           FROM suppression_log WHERE review_id = ${reviewId} ORDER BY id`
    assert.deepEqual(rows.map((r) => r.type), ['array', null])
    assert.equal(rows[0].finding_ids, '[11,4153840487]')
    assert.equal(rows[0].matched_count, 2)
  })
})

describe('global_patterns', () => {
  test('the count upsert adds up and returns an integer', async () => {
    const fp = `${RUN}-fp-1`
    let last
    for (const add of [1, 1, 3]) {
      ;[last] = await sql`
        INSERT INTO global_patterns (severity, category, confidence_band, pattern_fingerprint, count)
        VALUES (${'major'}, ${'correctness'}, ${'high'}, ${fp}, ${add})
        ON CONFLICT (severity, category, confidence_band, pattern_fingerprint)
        DO UPDATE SET count = global_patterns.count + EXCLUDED.count
        RETURNING id, count`
    }
    assert.equal(last.count, 5)
    assert.equal(typeof last.id, 'number')
    const [{ n }] = await sql`SELECT count(*) AS n FROM global_patterns WHERE pattern_fingerprint = ${fp}`
    assert.equal(n, 1)
  })
})

describe('feedback_reactions', () => {
  test('reactions keep 64-bit GitHub ids, insert once (ON CONFLICT DO NOTHING), aggregate as numbers', async () => {
    const r = repo('feedback')
    const reviewId = await recordReview(r, null)
    const [finding] = await sql`
      INSERT INTO findings (review_id, file_path, severity, category, confidence, title, comment_id)
      VALUES (${reviewId}, ${'a.ts'}, ${'minor'}, ${'style'}, ${60}, ${'Prefer const'}, ${BIG_COMMENT_ID})
      RETURNING id`
    const reactedAt = '2025-03-04T05:06:07.000Z'
    const insert = (reactionId, content, login) => sql`
      INSERT INTO feedback_reactions (repo, review_id, finding_id, comment_id, comment_surface, reaction_id,
        reaction_content, reactor_login, reacted_at, severity, category, file_path, title)
      VALUES (${r}, ${reviewId}, ${finding.id}, ${BIG_COMMENT_ID}, ${'pull_request_review_comment'}, ${reactionId},
        ${content}, ${login}, ${reactedAt}, ${'minor'}, ${'style'}, ${'a.ts'}, ${'Prefer const'})
      ON CONFLICT (repo, comment_id, reaction_id) DO NOTHING`
    assert.equal((await insert(BIG_REACTION_ID, '-1', 'alice')).count, 1)
    assert.equal((await insert(BIG_REACTION_ID, '-1', 'alice')).count, 0, 'a redelivery is ignored')
    assert.equal((await insert(BIG_REACTION_ID + 1, '+1', 'bob')).count, 1)

    const [stored] = await sql`SELECT reaction_id::text AS id, reacted_at = ${reactedAt}::timestamptz AS same_time
                               FROM feedback_reactions WHERE repo = ${r} AND reaction_content = '-1'`
    assert.deepEqual({ ...stored }, { id: String(BIG_REACTION_ID), same_time: true })

    const [row] = await sql`
      SELECT fr.title,
        SUM(CASE WHEN fr.reaction_content = '-1' THEN 1 ELSE 0 END) AS thumbs_down_count,
        SUM(CASE WHEN fr.reaction_content = '+1' THEN 1 ELSE 0 END) AS thumbs_up_count,
        COUNT(DISTINCT fr.reactor_login) AS distinct_reactors,
        MAX(fr.reaction_id) AS max_reaction_id, MIN(fr.reacted_at) AS first_reacted_at
      FROM feedback_reactions fr JOIN reviews rv ON rv.id = fr.review_id
      WHERE fr.repo = ${r} GROUP BY fr.title`
    assert.deepEqual({ ...row, first_reacted_at: row.first_reacted_at.toISOString() }, {
      title: 'Prefer const', thumbs_down_count: 1, thumbs_up_count: 1, distinct_reactors: 2,
      max_reaction_id: BIG_REACTION_ID + 1, first_reacted_at: reactedAt,
    })
  })
})

describe('run_state', () => {
  test('claim, supersede and complete a run: text status transitions, timestamps as Dates', async () => {
    const r = repo('runs')
    const claim = (head) => sql.begin(async (tx) => {
      const runKey = `${r}:pr-7:base-b:head-${head}`
      const existing = await tx`SELECT run_key FROM run_state WHERE run_key = ${runKey}`
      if (existing.length) return { shouldProcess: false, runKey }
      const prior = await tx`SELECT run_key FROM run_state WHERE repo = ${r} AND pr_number = ${7} AND status <> 'superseded'`
      for (const p of prior)
        await tx`UPDATE run_state SET status = 'superseded', superseded_by = ${runKey} WHERE run_key = ${p.run_key}`
      await tx`INSERT INTO run_state (run_key, repo, pr_number, base_sha, head_sha, delivery_id, action, status)
               VALUES (${runKey}, ${r}, ${7}, ${'b'}, ${head}, ${'d-' + head}, ${'opened'}, 'pending')`
      return { shouldProcess: true, runKey, superseded: prior.map((p) => p.run_key) }
    })
    const first = await claim('h1')
    assert.equal((await claim('h1')).shouldProcess, false, 'duplicate')
    const second = await claim('h2')
    assert.deepEqual(second.superseded, [first.runKey])
    const done = await sql`UPDATE run_state SET status = 'completed', completed_at = now() WHERE run_key = ${second.runKey}`
    assert.equal(done.count, 1)
    const rows = await sql`SELECT run_key, status, superseded_by, completed_at, pr_number FROM run_state
                           WHERE repo = ${r} ORDER BY id`
    assert.deepEqual(rows.map((x) => [x.status, x.superseded_by]), [['superseded', second.runKey], ['completed', null]])
    assert.equal(rows[0].completed_at, null)
    assert.ok(rows[1].completed_at instanceof Date)
    assert.equal(rows[1].pr_number, 7)
  })
})

describe('author_cache', () => {
  test('refresh upsert replaces tier and pr_count (null, then a number)', async () => {
    const r = repo('authors')
    const upsert = (tier, prCount) => sql`
      INSERT INTO author_cache (repo, author_login, tier, author_association, pr_count, cached_at)
      VALUES (${r}, ${'octocat'}, ${tier}, ${'CONTRIBUTOR'}, ${prCount}, now())
      ON CONFLICT (repo, author_login) DO UPDATE SET tier = EXCLUDED.tier,
        author_association = EXCLUDED.author_association, pr_count = EXCLUDED.pr_count, cached_at = now()`
    await upsert('first-time', null)
    await upsert('regular', 12)
    const rows = await sql`SELECT tier, pr_count, cached_at FROM author_cache
                           WHERE repo = ${r} AND author_login = ${'octocat'} AND cached_at >= now() - interval '24 hours'`
    assert.equal(rows.length, 1)
    assert.equal(rows[0].tier, 'regular')
    assert.equal(rows[0].pr_count, 12)
    assert.ok(rows[0].cached_at instanceof Date)
  })
})

describe('dep_bump_merge_history', () => {
  test('signals and rationale as JSON text are stored as arrays; is_security_bump null/false/1; insert once', async () => {
    const r = repo('depbump')
    const record = (pr, isSecurityBump) => sql`
      INSERT INTO dep_bump_merge_history (repo, pr_number, merged_at, delivery_id, source, signals_json,
        package_name, old_version, new_version, semver_bump_type, merge_confidence_level,
        merge_confidence_rationale_json, advisory_status, advisory_max_severity, is_security_bump)
      VALUES (${r}, ${pr}, ${'2026-02-15T00:00:00Z'}, ${'delivery-' + pr}, ${'dependabot'},
        ${JSON.stringify(['title', 'sender'])}, ${'lodash'}, ${'4.17.21'}, ${'4.17.22'}, ${'patch'}, ${'high'},
        ${JSON.stringify(['Patch bump with no advisories'])}, ${'none'}, ${'unknown'}, ${isSecurityBump})
      ON CONFLICT (repo, pr_number) DO NOTHING`
    assert.equal((await record(1, null)).count, 1)
    assert.equal((await record(1, true)).count, 0, 'redelivery ignored')
    await record(2, false)
    await record(3, 1)
    const rows = await sql`
      SELECT pr_number, jsonb_typeof(signals_json) AS st, jsonb_typeof(merge_confidence_rationale_json) AS rt,
             signals_json, merge_confidence_rationale_json, is_security_bump, merged_at
      FROM dep_bump_merge_history WHERE repo = ${r} ORDER BY pr_number`
    assert.deepEqual(rows.map((x) => [x.pr_number, x.st, x.rt, x.is_security_bump]),
      [[1, 'array', 'array', null], [2, 'array', 'array', false], [3, 'array', 'array', true]])
    assert.deepEqual(JSON.parse(rows[0].signals_json), ['title', 'sender'])
    assert.deepEqual(JSON.parse(rows[0].merge_confidence_rationale_json), ['Patch bump with no advisories'])
    assert.equal(rows[0].merged_at.toISOString(), '2026-02-15T00:00:00.000Z')
  })
})

describe('review_checkpoints', () => {
  test('save (JSON text), replace keeping the partial comment id, read back for JSON.parse, update the id', async () => {
    const r = repo('checkpoints')
    const key = `${r}:output-1`
    const save = (data, partialCommentId) => sql`
      INSERT INTO review_checkpoints (review_output_key, repo, pr_number, checkpoint_data, partial_comment_id)
      VALUES (${key}, ${r}, ${9}, ${JSON.stringify(data)}, ${partialCommentId})
      ON CONFLICT (review_output_key) DO UPDATE SET checkpoint_data = EXCLUDED.checkpoint_data,
        partial_comment_id = COALESCE(EXCLUDED.partial_comment_id, review_checkpoints.partial_comment_id)`
    await save({ filesReviewed: ['a.ts'], findingCount: 1, summaryDraft: 'so far', totalFiles: 4 }, BIG_COMMENT_ID)
    const latest = { filesReviewed: ['a.ts', 'b.ts'], findingCount: 3, summaryDraft: 'more "quoted" \\ text', totalFiles: 4 }
    await save(latest, null)
    const [row] = await sql`SELECT created_at, review_output_key, repo, pr_number, checkpoint_data, partial_comment_id,
                                   jsonb_typeof(checkpoint_data::jsonb) AS type
                            FROM review_checkpoints WHERE review_output_key = ${key} LIMIT 1`
    assert.equal(row.type, 'object')
    assert.deepEqual(JSON.parse(row.checkpoint_data), latest)
    assert.equal(row.partial_comment_id, BIG_COMMENT_ID)
    await sql`UPDATE review_checkpoints SET partial_comment_id = ${BIG_COMMENT_ID + 1} WHERE review_output_key = ${key}`
    const [again] = await sql`SELECT partial_comment_id FROM review_checkpoints WHERE review_output_key = ${key}`
    assert.equal(again.partial_comment_id, BIG_COMMENT_ID + 1)
    assert.equal((await sql`DELETE FROM review_checkpoints WHERE review_output_key = ${key}`).count, 1)
  })
})
