// The telemetry store's tables as its store writes them: one row per event,
// exactly-once upserts on the partial unique indexes, costs as JS numbers,
// flags as 1/0, purges by age.

import { test, describe, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { contractSql, stockSql, cleanup, RUN } from './helpers.js'

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
  // cost_usd is double precision since migration 067 (issue 21): the bot's stock driver writes and
  // reads JS numbers (float64), and got numeric back as a string ('0.0500000000').
  test('cost_usd from a JS number is stored as double precision and comes back as the same number, stock or not', async () => {
    const r = repo('costs')
    const stock = stockSql()
    try {
      for (const db of [sql, stock]) {
        for (const cost of [0.05, 0.0000031, 3.1e-8, 99999.9999999999, 0.6104325, 0]) {
          const [row] = await db`INSERT INTO telemetry_events (repo, event_type, model, conclusion, cost_usd)
                                 VALUES (${r}, 'call', 'opus', 'ok', ${cost}) RETURNING cost_usd`
          assert.equal(typeof row.cost_usd, 'number')
          assert.equal(row.cost_usd, cost, `cost ${cost} comes back bit for bit`)
        }
      }
    } finally { await stock.end() }
  })

  test('cost per model: sums arrive as numbers, within 1e-6 USD of the exact decimal sum', async () => {
    const r = repo('cost-sums')
    await sql`INSERT INTO telemetry_events (repo, event_type, model, conclusion, cost_usd)
              SELECT ${r}, 'call', CASE WHEN g % 2 = 0 THEN 'opus' ELSE 'haiku' END, 'ok',
                     CASE WHEN g % 2 = 0 THEN ${0.1}::float8 ELSE ${0.0000031}::float8 END
              FROM generate_series(1, 20000) g`
    const rows = await sql`SELECT model, SUM(cost_usd) AS total, COUNT(*) AS calls FROM telemetry_events
                           WHERE repo = ${r} GROUP BY model ORDER BY model`
    assert.deepEqual(rows.map((x) => [x.model, typeof x.total, x.calls]), [['haiku', 'number', 10000], ['opus', 'number', 10000]])
    assert.ok(Math.abs(rows[0].total - 0.031) < 1e-6, `haiku ${rows[0].total}`)
    assert.ok(Math.abs(rows[1].total - 1000) < 1e-6, `opus ${rows[1].total}`)
  })

  test('NaN or Infinity as a cost fails the statement (the CHECK: finite, not negative), nothing stored', async () => {
    const r = repo('cost-nan')
    for (const bad of [NaN, Infinity, -Infinity, -0.01]) {
      await assert.rejects(recordExecution(r, 'opus', bad),
        (e) => e.code === '23514' && e.constraint_name === 'telemetry_events_usage_check', String(bad))
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
