// kodiai's contract with postgres.js for the kodiai-db schema (docs/client.md).
//
// Stock postgres.js picks a serializer by the type the server infers for each
// parameter, and a parser by each result column's type. For this schema that
// means, without these options: bigint ids and `numeric` costs come back as
// strings; a JSON string meant for a jsonb column is encoded a second time and
// stored as a JSON *string*; 1/0 for a boolean column is stored as false
// (`x === true ? 't' : 'f'`); vectors have no serializer at all. `options`
// fixes the types that have fixed OIDs; `createSql` also looks up pgvector's
// types (their OIDs are per database) and installs float-array conversions.
//
//   import { createSql } from './clients/postgres-js/index.js'
//   const sql = await createSql(process.env.DATABASE_URL, { max: 10 })
//
// or, without vectors: postgres(url, { ...options, max: 10 }).

import postgres from 'postgres'

const OID = { bool: 16, int8: 20, json: 114, jsonb: 3802, numeric: 1700 }

/** A result value that the contract refuses to convert (an int8 beyond 2^53-1); `code` names the rule. */
export class ContractError extends TypeError {
  constructor(code, message) {
    super(message)
    this.name = 'ContractError'
    this.code = code
  }
}

const show = (x) => {
  let s
  try { s = typeof x === 'string' ? JSON.stringify(x) : typeof x === 'bigint' ? x + 'n' : String(x) } catch { s = typeof x }
  return s.length > 60 ? s.slice(0, 57) + '...' : s
}

// A serializer must not throw: postgres.js 3.4.9 then skips the Sync message
// when another query is queued on the connection, and that query never settles.
// A refused value is therefore sent as a text the server cannot parse, so the
// statement fails like any other SQL error ("invalid input syntax for type
// ...: \"kodiai-db refused ...\"", SQLSTATE 22P02), nothing is stored, and
// the connection stays usable.
export const REFUSED = 'kodiai-db refused'
const refuse = (type, why) => `${REFUSED} this ${type} parameter: ${why}`

// ------------------------------------------------------------------ int8 (ids, GitHub ids, count(*), sum(int))

/** int8 text -> number while exact; beyond ±(2^53-1) an error, never a rounded id. */
export function parseInt8(text) {
  const n = Number(text)
  if (Number.isSafeInteger(n)) return n
  throw new ContractError('KODIAI_INT8_UNSAFE',
    `int8 value ${text} is beyond JavaScript's safe integers (±(2^53-1)) and would be rounded; `
    + 'select it as text (col::text) or use BigInt')
}

/** A safe-integer number, a bigint, or a string (the server checks its syntax and range). */
export function serializeInt8(x) {
  if (typeof x === 'number')
    return Number.isSafeInteger(x) ? String(x)
      : refuse('bigint', `${show(x)} is not a safe integer (JS numbers lose digits beyond 2^53-1); pass a bigint or a string`)
  if (typeof x === 'bigint') return x.toString()
  if (typeof x === 'string') return x
  return refuse('bigint', `${show(x)} is not an integer`)
}

// ------------------------------------------------------------------ numeric (cost_usd, avg(), sum(numeric))

/**
 * numeric text -> the nearest double (one rounding, relative error <= 2^-53).
 * cost_usd is numeric(18,10): every value below 10^5 has at most 15 significant
 * digits and comes back exact to all ten decimals (n.toFixed(10) gives the stored
 * text); above that, still within 1.2e-8 USD up to the column's limit of 10^8.
 * Sums are exact in the database and rounded once here. Exact decimal text:
 * select `cost_usd::text`.
 */
export function parseNumeric(text) {
  return Number(text)
}

/** Finite numbers (NaN would be stored as numeric 'NaN' and pass `cost_usd >= 0`), bigints, decimal strings. */
export function serializeNumeric(x) {
  if (typeof x === 'number')
    return Number.isFinite(x) ? String(x) : refuse('numeric', `${show(x)} is not a finite number`)
  if (typeof x === 'bigint') return x.toString()
  if (typeof x === 'string') return x
  return refuse('numeric', `${show(x)} is not a number`)
}

// ------------------------------------------------------------------ json / jsonb

/**
 * A string is JSON text already (what a store written for SQLite's text JSON
 * passes: JSON.stringify(obj)) and goes to the server as it is, which parses it;
 * anything else is encoded once. Stock postgres.js encodes the string again and
 * stores a JSON string scalar.
 */
export function serializeJson(x) {
  if (typeof x === 'string') return x
  let text
  try {
    text = JSON.stringify(x)
  } catch (e) {
    return refuse('json', `it cannot be encoded as JSON (${e.message})`)
  }
  return text === undefined ? refuse('json', `${show(x)} has no JSON form`) : text
}

/**
 * jsonb comes back as its JSON text: the stores were written for SQLite's text
 * columns and call JSON.parse(row.checkpoint_data), which would throw on an
 * object ("[object Object]" is not JSON). Text parses to the same value.
 */
export function parseJson(text) {
  return text
}

// ------------------------------------------------------------------ boolean (flags)

/**
 * true/false and the SQLite flags 1/0; strings go to the server's boolean input
 * ('t', 'false', 'yes', ...). Any other value (2, -1, NaN, an object) is refused,
 * never read as false the way stock postgres.js does (`x === true ? 't' : 'f'`).
 */
export function serializeBool(x) {
  if (x === true || x === 1) return 't'
  if (x === false || x === 0) return 'f'
  if (typeof x === 'string') return x
  return refuse('boolean', `${show(x)} is neither true/false nor 1/0`)
}

export function parseBool(text) {
  return text === 't'
}

// ------------------------------------------------------------------ vector / halfvec (pgvector)

/** number[] or a typed array (Float32Array) -> pgvector's text '[1,2,3]'; a string is passed as it is. */
export function serializeVector(x) {
  if (typeof x === 'string') return x
  if (Array.isArray(x) || (ArrayBuffer.isView(x) && !(x instanceof DataView))) {
    let s = '['
    for (let i = 0; i < x.length; i++) {
      const v = x[i]
      if (typeof v !== 'number' || !Number.isFinite(v)) return refuse('vector', `element ${i} is ${show(v)}, not a finite number`)
      s += (i ? ',' : '') + v
    }
    return s + ']'
  }
  return refuse('vector', `${show(x)} is not an array of numbers`)
}

/**
 * '[0.1,-2,3e-05]' -> [0.1, -2, 0.00003]. pgvector prints each float4 in its
 * shortest round-trip form, so Math.fround(result[i]) is exactly the stored float.
 */
export function parseVector(text) {
  if (text.length <= 2) return []
  const parts = text.slice(1, -1).split(',')
  const out = new Array(parts.length)
  for (let i = 0; i < parts.length; i++) out[i] = Number(parts[i])
  return out
}

/** postgres.js type entries for pgvector's types, given their OIDs in this database (null: type absent). */
export function vectorTypes({ vector, halfvec } = {}) {
  const types = {}
  if (vector) types.vector = { to: vector, from: [vector], serialize: serializeVector, parse: parseVector }
  if (halfvec) types.halfvec = { to: halfvec, from: [halfvec], serialize: serializeVector, parse: parseVector }
  return types
}

// ------------------------------------------------------------------ the options and the factory

/** Spread into postgres(url, {...}): conversions for every type with a fixed OID. */
export const options = Object.freeze({
  types: Object.freeze({
    int8: { to: OID.int8, from: [OID.int8], serialize: serializeInt8, parse: parseInt8 },
    numeric: { to: OID.numeric, from: [OID.numeric], serialize: serializeNumeric, parse: parseNumeric },
    jsonb: { to: OID.jsonb, from: [OID.json, OID.jsonb], serialize: serializeJson, parse: parseJson },
    bool: { to: OID.bool, from: [OID.bool], serialize: serializeBool, parse: parseBool },
  }),
})

/** OIDs of pgvector's vector and halfvec types in the database at `url` (null where absent). */
export async function lookupVectorTypes(url, connection = {}) {
  // One short-lived connection; unnamed statements so that it is safe through a transaction pooler.
  const probe = postgres(url, { ...connection, max: 1, prepare: false, fetch_types: false, types: {} })
  try {
    const [row] = await probe`SELECT to_regtype('vector')::oid AS vector, to_regtype('halfvec')::oid AS halfvec`
    return { vector: row.vector || null, halfvec: row.halfvec || null }
  } finally {
    await probe.end({ timeout: 5 })
  }
}

/**
 * A postgres.js client with `options` plus pgvector's types: `overrides` are
 * postgres.js options (max, prepare, ssl, ...); its `types` are added to ours.
 */
export async function createSql(url = process.env.DATABASE_URL, overrides = {}) {
  const { types: extraTypes, ...rest } = overrides
  const oids = await lookupVectorTypes(url, rest)
  return postgres(url, { ...options, ...rest, types: { ...options.types, ...vectorTypes(oids), ...extraTypes } })
}

export default createSql
