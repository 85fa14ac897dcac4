// The telemetry store's tables as its store writes them: one row per event,
// exactly-once upserts on the partial unique indexes, costs as JS numbers,
// flags as 1/0, purges by age.

import { test, describe, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { contractSql, cleanup, RUN } from './helpers.js'
import { REFUSED } from '../index.js'

let sql
before(async () => { sql = await contractSql() })
after(async () => { await cleanup(sql); await sql.end() })

const repo = (name) => `${RUN}/${name}`

const recordExecution = (r, model, costUsd, extra = {}) => sql`
  INSERT INTO telemetry_events (delivery_id, repo, pr_number, pr_author, event_type, provider, model,
    input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens, duration_ms, cost_usd,
    conclusion, session_id, num_turns, stop_reason)
  VALUES (${extra.deliveryId ?? null}, ${r}, ${12}, ${'octocat'}, ${'pull_request.opened'}, ${'anthropic'}, ${model},
    ${1200}, ${350}, ${0}, ${0}, ${4200}, ${costUsd}, ${'success'}, ${null}, ${3}, ${'end_turn'})
  RETURNING id, cost_usd`

describe('telemetry_events', () => {
  test('cost_usd from a JS number is stored at numeric(18,10) and comes back as the same number', async () => {
    const r = repo('costs')
    const cases = [
      [0.05, '0.0500000000'],
      [0.0000031, '0.0000031000'],
      [3.1e-8, '0.0000000310'], // String(3.1e-8) is '3.1e-8': numeric input accepts the exponent
      [99999.9999999999, '99999.9999999999'], // 15 significant digits: the largest exact class
      [0, '0.0000000000'],
    ]
    for (const [cost, text] of cases) {
      const [row] = await recordExecution(r, 'opus', cost)
      assert.equal(typeof row.cost_usd, 'number')
      assert.equal(row.cost_usd, cost, `cost ${cost} comes back unchanged`)
      const [stored] = await sql`SELECT cost_usd::text AS text FROM telemetry_events WHERE id = ${row.id}`
      assert.equal(stored.text, text)
      assert.equal(row.cost_usd.toFixed(10), text, 'exact to all ten decimals')
    }
  })

  test('a value beyond 15 significant digits comes back as the nearest double, within 1.2e-8 USD', async () => {
    const [row] = await recordExecution(repo('costs-max'), 'opus', '99999999.9999999999')
    const [stored] = await sql`SELECT cost_usd::text AS text FROM telemetry_events WHERE id = ${row.id}`
    assert.equal(stored.text, '99999999.9999999999', 'a decimal string is stored exactly')
    assert.equal(row.cost_usd, 100000000, 'nearest double')
    assert.ok(Math.abs(row.cost_usd - 99999999.9999999999) <= 1.2e-8)
  })

  test('cost per model: sums are exact in the database and arrive as numbers', async () => {
    const r = repo('cost-sums')
    await sql`INSERT INTO telemetry_events (repo, event_type, model, conclusion, cost_usd)
              SELECT ${r}, 'call', CASE WHEN g % 2 = 0 THEN 'opus' ELSE 'haiku' END, 'ok',
                     CASE WHEN g % 2 = 0 THEN ${0.1}::numeric ELSE ${0.0000031}::numeric END
              FROM generate_series(1, 20000) g`
    const rows = await sql`SELECT model, SUM(cost_usd) AS total, COUNT(*) AS calls FROM telemetry_events
                           WHERE repo = ${r} GROUP BY model ORDER BY model`
    assert.deepEqual(rows.map((x) => ({ ...x })), [
      { model: 'haiku', total: 0.031, calls: 10000 },
      { model: 'opus', total: 1000, calls: 10000 },
    ])
    let float = 0
    for (let i = 0; i < 10000; i++) float += 0.1
    assert.notEqual(float, 1000, 'the same sum in JS floats drifts; numeric does not')
  })

  test('NaN or Infinity as a cost fails the statement instead of storing numeric NaN', async () => {
    const r = repo('cost-nan')
    for (const bad of [NaN, Infinity, -Infinity]) {
      await assert.rejects(recordExecution(r, 'opus', bad),
        (e) => e.code === '22P02' && e.message.includes(`${REFUSED} this numeric parameter: ${bad} is not a finite number`))
    }
    const [{ n }] = await sql`SELECT count(*) AS n FROM telemetry_events WHERE repo = ${r}`
    assert.equal(n, 0)
  })

  test('purge by age deletes old rows and reports a numeric count', async () => {
    const r = repo('purge')
    await recordExecution(r, 'opus', 0.01)
    await sql`INSERT INTO telemetry_events (repo, event_type, model, conclusion, created_at)
              VALUES (${r}, 'call', 'opus', 'ok', now() - interval '40 days'), (${r}, 'call', 'opus', 'ok', now() - interval '31 days')`
    const purged = await sql`DELETE FROM telemetry_events WHERE repo = ${r} AND created_at < now() - ${'30 days'}::interval`
    assert.equal(purged.count, 2)
    const [{ n }] = await sql`SELECT count(*) AS n FROM telemetry_events WHERE repo = ${r}`
    assert.equal(n, 1)
  })
})

describe('rate_limit_events', () => {
  test('exactly once per (delivery, event) with the partial index as conflict target; null deliveries always insert', async () => {
    const r = repo('ratelimit')
    const record = (deliveryId, eventType, rate) => sql`
      INSERT INTO rate_limit_events (delivery_id, repo, pr_number, event_type, cache_hit_rate, skipped_queries,
        retry_attempts, degradation_path)
      VALUES (${deliveryId}, ${r}, ${5}, ${eventType}, ${rate}, ${2}, ${1}, ${'none'})
      ON CONFLICT (delivery_id, event_type) WHERE delivery_id IS NOT NULL DO NOTHING`
    assert.equal((await record(`${r}-d1`, 'search', 0.75)).count, 1)
    assert.equal((await record(`${r}-d1`, 'search', 0.5)).count, 0)
    assert.equal((await record(`${r}-d1`, 'retry', 0.5)).count, 1)
    assert.equal((await record(null, 'search', 0)).count, 1)
    assert.equal((await record(null, 'search', 1)).count, 1)
    const rows = await sql`SELECT delivery_id, cache_hit_rate, skipped_queries FROM rate_limit_events
                           WHERE repo = ${r} ORDER BY id`
    assert.deepEqual(rows.map((x) => x.cache_hit_rate), [0.75, 0.5, 0, 1])
    assert.equal(rows[0].skipped_queries, 2)
  })
})

describe('retrieval_quality_events', () => {
  test('exactly once per delivery; measurements as doubles, nullable ones as null', async () => {
    const r = repo('retrieval')
    const record = (deliveryId, avgDistance) => sql`
      INSERT INTO retrieval_quality_events (delivery_id, repo, pr_number, event_type, top_k, distance_threshold,
        result_count, avg_distance, language_match_ratio, threshold_method)
      VALUES (${deliveryId}, ${r}, ${3}, ${'review'}, ${8}, ${0.3}, ${5}, ${avgDistance}, ${null}, ${'adaptive'})
      ON CONFLICT (delivery_id) WHERE delivery_id IS NOT NULL DO NOTHING`
    assert.equal((await record(`${r}-d1`, 0.2345678901234567)).count, 1)
    assert.equal((await record(`${r}-d1`, 0.9)).count, 0)
    const [row] = await sql`SELECT top_k, distance_threshold, avg_distance, language_match_ratio, result_count
                            FROM retrieval_quality_events WHERE repo = ${r}`
    assert.deepEqual({ ...row }, { top_k: 8, distance_threshold: 0.3, avg_distance: 0.2345678901234567,
      language_match_ratio: null, result_count: 5 })
  })
})

describe('resilience_events', () => {
  test('SQLite-style 1/0 flags store booleans; the partial comment id keeps 64 bits; one row per delivery', async () => {
    const r = repo('resilience')
    const record = (deliveryId) => sql`
      INSERT INTO resilience_events (delivery_id, repo, pr_number, pr_author, event_type, kind, parent_delivery_id,
        review_output_key, execution_conclusion, had_inline_output, checkpoint_files_reviewed,
        checkpoint_finding_count, checkpoint_total_files, partial_comment_id, recent_timeouts, chronic_timeout,
        retry_enqueued, retry_files_count, retry_scope_ratio, retry_timeout_seconds, retry_risk_level,
        retry_checkpoint_enabled, retry_has_results)
      VALUES (${deliveryId}, ${r}, ${4}, ${'octocat'}, ${'review'}, ${'timeout'}, ${null}, ${'key'}, ${'timeout'},
        ${1}, ${7}, ${3}, ${20}, ${4153840487}, ${2}, ${0}, ${true}, ${13}, ${0.65}, ${600}, ${'medium'},
        ${null}, ${false})
      ON CONFLICT (delivery_id) DO NOTHING`
    assert.equal((await record(`${r}-d1`)).count, 1)
    assert.equal((await record(`${r}-d1`)).count, 0)
    const [stored] = await sql`
      SELECT had_inline_output::text || ',' || chronic_timeout::text || ',' || retry_enqueued::text || ','
             || coalesce(retry_checkpoint_enabled::text, 'null') || ',' || retry_has_results::text AS flags,
             partial_comment_id::text AS pcid
      FROM resilience_events WHERE repo = ${r}`
    assert.deepEqual({ ...stored }, { flags: 'true,false,true,null,false', pcid: '4153840487' })
    const [row] = await sql`SELECT had_inline_output, chronic_timeout, retry_checkpoint_enabled, partial_comment_id,
                                   retry_scope_ratio, created_at FROM resilience_events WHERE repo = ${r}`
    assert.deepEqual({ ...row, created_at: row.created_at instanceof Date }, {
      had_inline_output: true, chronic_timeout: false, retry_checkpoint_enabled: null,
      partial_comment_id: 4153840487, retry_scope_ratio: 0.65, created_at: true,
    })
  })
})
