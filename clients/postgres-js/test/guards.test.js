// The failure cases: what stock postgres.js does to this schema (the pitfalls
// of docs/client.md, so a postgres.js release that changes them shows up here),
// the schema's guard refusing double-encoded JSON from it, and ids beyond
// 2^53-1 raising instead of being rounded.

import { test, describe, before, after } from 'node:test'
import assert from 'node:assert/strict'
import postgres from 'postgres'
import { contractSql, stockSql, cleanup, databaseUrl, RUN } from './helpers.js'
import { ContractError, REFUSED, options } from '../index.js'

let sql, stock
before(async () => { sql = await contractSql({ max: 1 }); stock = stockSql() })
after(async () => { await cleanup(sql); await sql.end(); await stock.end() })

const repo = (name) => `${RUN}/${name}`
const UNSAFE = '9007199254740993' // 2^53 + 1: Number() would make it ...992

describe('double-encoded JSON', () => {
  // Each jsonb column, written the way its store writes it (RETURNING the row's id).
  const writes = {
    'reviews.config_snapshot': (db, json) => db`
      INSERT INTO reviews (repo, pr_number, config_snapshot) VALUES (${repo('dbl')}, ${1}, ${json}) RETURNING id`,
    'suppression_log.finding_ids': async (db, json) => {
      const [r] = await sql`INSERT INTO reviews (repo, pr_number) VALUES (${repo('dbl')}, ${2}) RETURNING id`
      return db`INSERT INTO suppression_log (review_id, pattern, finding_ids) VALUES (${r.id}, ${'p'}, ${json}) RETURNING id`
    },
    'dep_bump_merge_history.signals_json': (db, json) => db`
      INSERT INTO dep_bump_merge_history (repo, pr_number, signals_json) VALUES (${repo('dbl')}, ${3}, ${json}) RETURNING id`,
    'dep_bump_merge_history.merge_confidence_rationale_json': (db, json) => db`
      INSERT INTO dep_bump_merge_history (repo, pr_number, merge_confidence_rationale_json)
      VALUES (${repo('dbl')}, ${4}, ${json}) RETURNING id`,
    'review_checkpoints.checkpoint_data': (db, json) => db`
      INSERT INTO review_checkpoints (review_output_key, repo, pr_number, checkpoint_data)
      VALUES (${repo('dbl') + ':k'}, ${repo('dbl')}, ${5}, ${json}) RETURNING id`,
  }
  const values = {
    'reviews.config_snapshot': { model: 'claude' },
    'suppression_log.finding_ids': [1, 2],
    'dep_bump_merge_history.signals_json': ['title', 'sender'],
    'dep_bump_merge_history.merge_confidence_rationale_json': ['ok'],
    'review_checkpoints.checkpoint_data': { findingCount: 1 },
  }

  // Since migration 067 (issue 21) the schema serves the bot's stock driver: JSON text is stored as
  // that JSON (jsonb columns unwrap the JSON string once; finding_ids and checkpoint_data are text
  // that must parse as their shape); JSON text encoded once more is still refused.
  for (const [column, write] of Object.entries(writes)) {
    test(`${column}: JSON text through stock postgres.js or the options is stored as its JSON; encoded twice it is refused`, async () => {
      const [table, col] = column.split('.')
      const text = JSON.stringify(values[column])
      for (const db of [stock, sql]) {
        const [{ id }] = await write(db, text)
        const [stored] = await sql`SELECT jsonb_typeof(${sql(col)}::jsonb) AS type, ${sql(col)}::text AS json
                                   FROM ${sql(table)} WHERE id = ${id}`
        assert.equal(stored.type, Array.isArray(values[column]) ? 'array' : 'object')
        assert.deepEqual(JSON.parse(stored.json), values[column])
        await sql`DELETE FROM ${sql(table)} WHERE id = ${id}`
      }
      await assert.rejects(write(stock, JSON.stringify(text)),
        (e) => e.code === '23514' && e.constraint_name === `${table}_${col}_check`, 'a JSON string holding a JSON string')
    })
  }

  test('stock postgres.js re-encodes JSON text even with an explicit ::jsonb cast; the options do not', async () => {
    const text = JSON.stringify({ a: 1 })
    const types = (db) => db`SELECT jsonb_typeof(${text}::jsonb) AS cast, jsonb_typeof(${text}::text::jsonb) AS via_text,
                                    jsonb_typeof(${db.json({ a: 1 })}) AS object`
    const [s] = await types(stock)
    assert.deepEqual({ ...s }, { cast: 'string', via_text: 'object', object: 'object' })
    const [o] = await types(sql)
    assert.deepEqual({ ...o }, { cast: 'object', via_text: 'object', object: 'object' })
  })
})

describe('int8 beyond 2^53-1', () => {
  test('a stored id beyond 2^53-1 raises on read instead of arriving rounded; ::text reads it exactly', async () => {
    const r = repo('unsafe')
    const [rv] = await sql`INSERT INTO reviews (repo, pr_number) VALUES (${r}, ${1}) RETURNING id`
    await sql`INSERT INTO findings (review_id, file_path, severity, category, confidence, title, comment_id)
              VALUES (${rv.id}, ${'a'}, ${'minor'}, ${'style'}, ${1}, ${'huge'}, ${UNSAFE})`
    await assert.rejects(sql`SELECT comment_id FROM findings WHERE review_id = ${rv.id}`,
      (e) => e instanceof ContractError && e.code === 'KODIAI_INT8_UNSAFE' && e.message.startsWith(`int8 value ${UNSAFE} is beyond`))
    const [row] = await sql`SELECT comment_id::text AS id FROM findings WHERE review_id = ${rv.id}`
    assert.equal(row.id, UNSAFE)
    const [stockRow] = await stock`SELECT comment_id FROM findings WHERE review_id = ${rv.id}`
    assert.equal(stockRow.comment_id, UNSAFE, 'stock postgres.js returns the string')
  })

  test('the boundaries: ±(2^53-1) arrive as numbers, ±2^53 raise', async () => {
    const [ok] = await sql`SELECT 9007199254740991::int8 AS max, (-9007199254740991)::int8 AS min`
    assert.deepEqual({ ...ok }, { max: Number.MAX_SAFE_INTEGER, min: Number.MIN_SAFE_INTEGER })
    for (const v of ['9007199254740992', '-9007199254740992', '9223372036854775807'])
      await assert.rejects(sql`SELECT ${v}::int8 AS v`, (e) => e.code === 'KODIAI_INT8_UNSAFE', v)
  })

  test('a JS number beyond 2^53-1 as an int8 parameter fails the statement; a bigint or a string is stored exactly', async () => {
    const r = repo('unsafe-param')
    const [rv] = await sql`INSERT INTO reviews (repo, pr_number) VALUES (${r}, ${1}) RETURNING id`
    const insert = (commentId) => sql`
      INSERT INTO findings (review_id, file_path, severity, category, confidence, title, comment_id)
      VALUES (${rv.id}, ${'a'}, ${'minor'}, ${'style'}, ${1}, ${'t'}, ${commentId})`
    await assert.rejects(insert(2 ** 53), (e) => e.code === '22P02'
      && e.message.includes(`${REFUSED} this bigint parameter: 9007199254740992 is not a safe integer`))
    await assert.rejects(insert(1.5), (e) => e.code === '22P02' && e.message.includes('1.5 is not a safe integer'))
    await insert(9007199254740993n)
    await insert('9007199254740995')
    const rows = await sql`SELECT comment_id::text AS id FROM findings WHERE review_id = ${rv.id} ORDER BY id`
    assert.deepEqual(rows.map((x) => x.id), ['9007199254740993', '9007199254740995'])
  })

  test('after any of these errors the connection serves the next queries, also when they are pipelined', async () => {
    const results = await Promise.allSettled([
      sql`SELECT ${UNSAFE}::int8 AS v`,
      sql`SELECT ${2}::bool AS b`,
      sql`SELECT ${NaN}::numeric AS n`,
      sql`SELECT ${4153840487}::int8 AS v`,
      sql`SELECT ${'{"a":1}'}::jsonb AS j`,
    ])
    assert.deepEqual(results.map((x) => x.status), ['rejected', 'rejected', 'rejected', 'fulfilled', 'fulfilled'])
    assert.equal(results[3].value[0].v, 4153840487)
    assert.equal(results[4].value[0].j, '{"a": 1}')
  })
})

describe('stock postgres.js pitfalls (what the options fix)', () => {
  test('1 for a boolean column is stored as false by stock postgres.js, as true with the options', async () => {
    const [a] = await stock`SELECT ${1}::bool::text AS b, ${true}::bool::text AS t`
    assert.deepEqual({ ...a }, { b: 'false', t: 'true' })
    const [b] = await sql`SELECT ${1}::bool::text AS b, ${0}::bool::text AS f`
    assert.deepEqual({ ...b }, { b: 'true', f: 'false' })
  })

  test('stock postgres.js returns bigint and numeric as strings; the options return numbers', async () => {
    const q = (db) => db`SELECT 4153840487::int8 AS id, 0.05::numeric(18,10) AS cost, count(*) AS n FROM (VALUES (1)) v(x)`
    const [s] = await q(stock)
    assert.deepEqual({ ...s }, { id: '4153840487', cost: '0.0500000000', n: '1' })
    const [o] = await q(sql)
    assert.deepEqual({ ...o }, { id: 4153840487, cost: 0.05, n: 1 })
  })

  test('stock postgres.js returns jsonb as parsed objects, so a store\'s JSON.parse(row.col) throws; the options return text', async () => {
    const [s] = await stock`SELECT '{"a": 1}'::jsonb AS j`
    assert.deepEqual(s.j, { a: 1 })
    assert.throws(() => JSON.parse(s.j), SyntaxError)
    const [o] = await sql`SELECT '{"a": 1}'::jsonb AS j`
    assert.deepEqual(JSON.parse(o.j), { a: 1 })
  })

  test('options alone (spread into postgres()) convert everything but vectors, which need createSql\'s OID lookup', async () => {
    const plain = postgres(databaseUrl(), { ...options, max: 1, onnotice: () => {} })
    try {
      const [row] = await plain`SELECT 4153840487::int8 AS id, ${1}::bool AS b, ${'[1,2]'}::jsonb AS j, '[1,2]'::vector AS v`
      assert.deepEqual({ ...row }, { id: 4153840487, b: true, j: '[1, 2]', v: '[1,2]' })
    } finally {
      await plain.end()
    }
    const [row] = await sql`SELECT '[1,2]'::vector AS v, ${[0.5, 1]}::vector AS w`
    assert.deepEqual({ ...row }, { v: [1, 2], w: [0.5, 1] })
  })
})
