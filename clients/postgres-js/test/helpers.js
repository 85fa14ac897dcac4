// Shared by the node:test files: the database under test, clients with and
// without the contract's options, and names that keep each run's rows apart.
//
// DATABASE_URL: a database migrated to the latest version (the Java wrapper
// tests/client/PostgresJsContractTest.java gives each run a fresh one).
// KODIAI_EXPECTED_SETTINGS: JSON {setting: SHOW value} that every session must
// have (the wrapper derives it from DbClient's defaults).

import postgres from 'postgres'
import { createSql } from '../index.js'

export function databaseUrl() {
  const url = process.env.DATABASE_URL
  if (!url) throw new Error('DATABASE_URL is not set: point it at a database migrated with ./jbang migrate@kodiai up')
  return url
}

const quiet = { onnotice: () => {} }

/** The bot's client: the contract's options and pgvector's types. */
export function contractSql(extra = {}) {
  return createSql(databaseUrl(), { max: 2, ...quiet, ...extra })
}

/** Stock postgres.js, as a store gets it without this module. */
export function stockSql(extra = {}) {
  return postgres(databaseUrl(), { max: 1, ...quiet, ...extra })
}

/** A prefix unique to this process, for repo names and keys (rows are deleted by cleanup()). */
export const RUN = `nodetest-${process.pid}-${Date.now().toString(36)}`

export async function cleanup(sql) {
  const like = RUN + '%'
  await sql`DELETE FROM reviews WHERE repo LIKE ${like}` // findings, suppression_log, feedback_reactions cascade
  for (const table of ['run_state', 'author_cache', 'dep_bump_merge_history', 'review_checkpoints', 'telemetry_events',
    'rate_limit_events', 'retrieval_quality_events', 'resilience_events', 'learning_memories'])
    await sql`DELETE FROM ${sql(table)} WHERE repo LIKE ${like}`
  await sql`DELETE FROM global_patterns WHERE pattern_fingerprint LIKE ${like}`
}

/** The settings every session must start with (DbClient's defaults, as migration 006 sets them per database). */
export function expectedSettings() {
  const given = process.env.KODIAI_EXPECTED_SETTINGS
  return given ? JSON.parse(given) : {
    statement_timeout: '5min',
    lock_timeout: '10s',
    idle_in_transaction_session_timeout: '2min',
    plan_cache_mode: 'force_custom_plan',
    'hnsw.ef_search': '100',
    'hnsw.iterative_scan': 'relaxed_order',
  }
}

/** A deterministic pseudo-random unit-length embedding of `dim` float32s. */
export function embedding(seed, dim = 1024) {
  const v = new Float32Array(dim)
  let x = seed * 2654435761 % 4294967296 || 1
  let norm = 0
  for (let i = 0; i < dim; i++) {
    x = (x * 1103515245 + 12345) % 2147483648
    v[i] = x / 2147483648 - 0.5
    norm += v[i] * v[i]
  }
  norm = Math.sqrt(norm)
  for (let i = 0; i < dim; i++) v[i] = v[i] / norm
  return v
}

/** The same vector nudged by `eps` along its first axes: a close neighbour. */
export function near(v, eps) {
  const w = Float32Array.from(v)
  for (let i = 0; i < 8; i++) w[i] += eps
  return w
}
