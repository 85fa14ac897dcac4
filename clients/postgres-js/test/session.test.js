// Session settings and pooler mode. The settings are defaults of the database
// (migration 006, ALTER DATABASE ... SET), so every server connection starts
// with them, whoever opens it; the client sends none (a pooler refuses startup
// `options` and does not carry a session SET from one transaction to the next).
// The checks run inside a transaction, where a transaction pooler keeps one
// server connection. With KODIAI_POOLER_URL (a PgBouncer in transaction mode
// in front of the same database) they also run through the pooler.

import { test, describe, after } from 'node:test'
import assert from 'node:assert/strict'
import { createSql } from '../index.js'
import { databaseUrl, expectedSettings, embedding, cleanup, RUN } from './helpers.js'

const quiet = { onnotice: () => {} }
const clients = []
after(async () => {
  if (clients[0]) await cleanup(clients[0])
  await Promise.all(clients.map((c) => c.end({ timeout: 5 })))
})

async function client(url, extra) {
  const sql = await createSql(url, { ...quiet, ...extra })
  clients.push(sql)
  return sql
}

async function showAll(tx) {
  const out = {}
  for (const name of Object.keys(expectedSettings())) {
    const [row] = await tx.unsafe(`SHOW ${name}`) // names from expectedSettings(): plain words, no input
    out[name] = Object.values(row)[0]
  }
  return out
}

/** The conversions of the contract, once, through `sql`: JSON text, a 1/0 flag, a 64-bit id, a vector. */
async function roundTrip(sql, tag) {
  const r = `${RUN}/session-${tag}`
  const v = embedding(7)
  const [rv] = await sql`INSERT INTO reviews (repo, pr_number, config_snapshot) VALUES (${r}, ${1}, ${JSON.stringify({ tag })})
                         RETURNING id, config_snapshot`
  const [f] = await sql`INSERT INTO findings (review_id, file_path, severity, category, confidence, title, suppressed, comment_id)
                        VALUES (${rv.id}, ${'a'}, ${'minor'}, ${'style'}, ${1}, ${'t'}, ${1}, ${4153840487})
                        RETURNING suppressed, comment_id`
  const [m] = await sql`INSERT INTO learning_memories (repo, owner, source_repo, finding_text, severity, category, file_path,
                          outcome, embedding_model, embedding_dim, embedding)
                        VALUES (${r}, ${RUN}, ${r}, ${'x'}, ${'minor'}, ${'style'}, ${'a'}, ${'accepted'}, ${'m'}, ${1024}, ${v})
                        RETURNING embedding, embedding = ${v}::vector::halfvec AS halves, jsonb_typeof(${JSON.stringify([1])}::jsonb) AS type`
  assert.equal(typeof rv.id, 'number')
  assert.deepEqual(JSON.parse(rv.config_snapshot), { tag })
  assert.deepEqual({ ...f }, { suppressed: true, comment_id: 4153840487 })
  assert.equal(m.type, 'array')
  assert.equal(m.halves, true, 'stored as the halves of the float32s (halfvec since migration 007)')
  assert.ok(m.embedding.length === 1024 && m.embedding.every((x, i) => Math.abs(x - v[i]) <= Math.abs(v[i]) / 1024 + 2 ** -25))
}

describe('session settings', () => {
  test('every session starts with the database defaults of migration 006 (SHOW inside a transaction)', async () => {
    const sql = await client(databaseUrl(), { max: 1 })
    const seen = await sql.begin((tx) => showAll(tx))
    assert.deepEqual(seen, expectedSettings(), 'apply migration 006 (006-session-defaults) to this database')
  })

  test('a session SET stays on its own connection: a new connection starts from the database defaults again', async () => {
    const a = await client(databaseUrl(), { max: 1 })
    const b = await client(databaseUrl(), { max: 1 })
    await a`SET statement_timeout = '1s'`
    const [pa] = await a`SELECT pg_backend_pid() AS pid, current_setting('statement_timeout') AS st`
    const seen = await b.begin(async (tx) => ({ pid: (await tx`SELECT pg_backend_pid() AS pid`)[0].pid, settings: await showAll(tx) }))
    assert.equal(pa.st, '1s')
    assert.notEqual(seen.pid, pa.pid, 'another server connection')
    assert.deepEqual(seen.settings, expectedSettings())
  })
})

describe('unnamed statements (prepare: false, as through a transaction pooler)', () => {
  test('the same conversions without prepared statements', async () => {
    const sql = await client(databaseUrl(), { max: 2, prepare: false })
    await roundTrip(sql, 'unprepared')
    await roundTrip(sql, 'unprepared-again') // each statement described anew, no cached types
  })
})

describe('through a PgBouncer in transaction mode', () => {
  const poolerUrl = process.env.KODIAI_POOLER_URL
  const skip = poolerUrl ? false : 'KODIAI_POOLER_URL not set (./jbang test@kodiai sets it)'

  test('settings hold in every transaction, whichever server connection serves it', { skip }, async () => {
    const sql = await client(poolerUrl, { max: 4, prepare: false })
    const runs = await Promise.all(Array.from({ length: 8 }, () => sql.begin(async (tx) => {
      await tx`SET LOCAL statement_timeout = '7s'` // transaction-local: must not leak to the next client
      return showAll(tx).then((s) => ({ ...s, statement_timeout: undefined }))
    })))
    const expected = { ...expectedSettings(), statement_timeout: undefined }
    for (const seen of runs) assert.deepEqual(seen, expected)
    const [after] = await sql.begin((tx) => tx`SELECT current_setting('statement_timeout') AS v`)
    assert.equal(after.v, expectedSettings().statement_timeout, 'SET LOCAL ended with its transaction')
  })

  test('the contract\'s conversions through the pooler', { skip }, async () => {
    const sql = await client(poolerUrl, { max: 2, prepare: false })
    await roundTrip(sql, 'pooler')
  })
})
