// Types of index.js for the bot's TypeScript (bun) code. See docs/client.md.
import type { Options, PostgresType, Sql } from 'postgres'

export class ContractError extends TypeError {
  /** KODIAI_INT8_UNSAFE: an int8 result beyond ±(2^53-1) */
  readonly code: string
}

/** Refused parameters are sent as a text starting with this, which the server rejects (SQLSTATE 22P02). */
export const REFUSED: string

type ContractTypes = {
  int8: PostgresType<number>
  numeric: PostgresType<number>
  jsonb: PostgresType<string>
  bool: PostgresType<boolean>
}

/** Spread into postgres(url, { ...options }): int8 and numeric as numbers, jsonb as JSON text, strict flags. */
export const options: Readonly<{ types: Readonly<ContractTypes> }>

export type VectorOids = { vector: number | null; halfvec: number | null }
export function vectorTypes(oids: Partial<VectorOids>): Record<string, PostgresType<number[]>>
export function lookupVectorTypes(url?: string, connection?: Options<{}>): Promise<VectorOids>

/** postgres(url, options + pgvector's types + overrides); vectors in as number[] / Float32Array, out as number[]. */
export function createSql(url?: string, overrides?: Options<{}>): Promise<Sql<{}>>
export default createSql

export function parseInt8(text: string): number
export function serializeInt8(x: number | bigint | string): string
export function parseNumeric(text: string): number
export function serializeNumeric(x: number | bigint | string): string
export function serializeJson(x: unknown): string
export function parseJson(text: string): string
export function serializeBool(x: boolean | 0 | 1 | string): string
export function parseBool(text: string): boolean
export function serializeVector(x: ArrayLike<number> | string): string
export function parseVector(text: string): number[]
