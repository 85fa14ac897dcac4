// The learning memory store: memories with their 1024-dimension embedding
// inline (halfvec(1024) since migration 007), written from Float32Array or number[] and read
// back as number[]; kodiai's own nearest-memory statements as its memory store sends them
// (retrieveMemories, retrieveMemoriesForOwner: the vector as '[...]' text cast with ::vector).

import { test, describe, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { contractSql, cleanup, RUN, embedding, near } from './helpers.js'
import { REFUSED } from '../index.js'

let sql
before(async () => { sql = await contractSql() })
after(async () => { await cleanup(sql); await sql.end() })

const repo = (name) => `${RUN}/${name}`
let nextFindingId = 5_000_000_000 // learning_memories.finding_id holds GitHub comment ids (64-bit)

function remember(r, vector, { outcome = 'accepted', stale = 0, text = 'Avoid N+1 queries in the loader', dim, owner = RUN } = {}) {
  return sql`
    INSERT INTO learning_memories (repo, owner, finding_id, review_id, source_repo, finding_text, severity, category,
      file_path, outcome, embedding_model, embedding_dim, embedding, stale)
    VALUES (${r}, ${owner}, ${nextFindingId++}, ${17}, ${r}, ${text}, ${'major'}, ${'performance'}, ${'src/loader.ts'},
      ${outcome}, ${'voyage-code-3'}, ${dim ?? (vector ? vector.length : 1024)}, ${vector}, ${stale})
    ON CONFLICT (repo, finding_id, outcome) DO NOTHING
    RETURNING id, finding_id, embedding, stale`
}

/** The vector as kodiai's memory store writes it into its SQL: '[x,y,...]' text, cast with ::vector. */
const vectorText = (v) => `[${Array.from(v).join(',')}]`

/** What the database stores for `v`: each element as the nearest half (pgvector's cast to halfvec). */
const halves = async (v) => (await sql`SELECT ${vectorText(v)}::vector::halfvec AS h`)[0].h

const sameFloats = (actual, expected) => {
  assert.equal(actual.length, expected.length)
  for (let i = 0; i < expected.length; i++)
    if (Math.fround(actual[i]) !== Math.fround(expected[i])) assert.fail(`element ${i}: ${actual[i]} != ${expected[i]}`)
}

describe('learning_memories', () => {
  test('a Float32Array embedding is stored as halfvec(1024) and read back as a number[] of its halves', async () => {
    const v = embedding(1)
    const [row] = await remember(repo('vec'), v)
    assert.ok(Array.isArray(row.embedding), 'embedding comes back as a plain array')
    assert.equal(typeof row.embedding[0], 'number')
    sameFloats(row.embedding, await halves(v))
    assert.ok(row.embedding.every((x, i) => Math.abs(x - v[i]) <= Math.abs(v[i]) / 1024 + 2 ** -25), 'within half precision')
    const [stored] = await sql`SELECT vector_dims(embedding) AS dims, embedding_dim, finding_id::text AS fid,
                                      stale::text AS stale, embedding <=> ${v} AS self_distance
                               FROM learning_memories WHERE id = ${row.id}`
    assert.deepEqual({ ...stored, self_distance: Math.abs(stored.self_distance) < 1e-6 },
      { dims: 1024, embedding_dim: 1024, fid: String(row.finding_id), stale: 'false', self_distance: true })
    assert.ok(row.finding_id > 2 ** 32 && typeof row.finding_id === 'number')
  })

  test('a number[] embedding of decimals comes back as the nearest halves of those decimals', async () => {
    const v = Array.from({ length: 1024 }, (_, i) => [0.1, -0.25, 1.5, 0, -3e-5, 0.333][i % 6])
    const [row] = await remember(repo('vec-decimals'), v)
    assert.deepEqual(row.embedding.slice(0, 6), [0.099975586, -0.25, 1.5, 0, -0.000029981136, 0.3330078],
      'each the half pgvector stores, as its shortest text parses back')
    const [stored] = await sql`SELECT (embedding::real[])[1:6]::text AS head FROM learning_memories WHERE id = ${row.id}`
    assert.equal(stored.head, '{0.099975586,-0.25,1.5,0,-2.9981136e-05,0.3330078}')
  })

  test('halfvec (for a half-precision index or column) converts the same way', async () => {
    const [row] = await sql`SELECT ${[0.5, -1.25, 3]}::halfvec AS h, ${Float32Array.of(0.5)}::halfvec(1) AS one`
    assert.deepEqual({ ...row }, { h: [0.5, -1.25, 3], one: [0.5] })
  })

  test('a memory without an embedding stores NULL and reads null', async () => {
    const [row] = await remember(repo('vec-null'), null, { dim: 1024 })
    assert.equal(row.embedding, null)
  })

  test('a vector with a NaN, a string element or the wrong length fails the statement, nothing stored', async () => {
    const r = repo('vec-bad')
    const withNaN = Array.from(embedding(2)); withNaN[5] = NaN
    const withText = Array.from(embedding(3)); withText[0] = '0.5'
    await assert.rejects(remember(r, withNaN), (e) => e.code === '22P02' && e.message.includes(`${REFUSED} this vector parameter: element 5 is NaN`))
    await assert.rejects(remember(r, withText), (e) => e.code === '22P02' && e.message.includes('element 0 is "0.5"'))
    await assert.rejects(remember(r, embedding(4, 512), { dim: 1024 }), (e) => e.code === '22000' && /expected 1024 dimensions, not 512/.test(e.message))
    const [{ n }] = await sql`SELECT count(*) AS n FROM learning_memories WHERE repo = ${r}`
    assert.equal(n, 0)
  })

  test('top-k of one repo as kodiai sends it (retrieveMemories): stale excluded, ordered by cosine distance', async () => {
    const r = repo('topk')
    const q = embedding(10)
    const ids = {}
    for (const [name, eps, stale] of [['closest', 0.001, 0], ['second', 0.01, 0], ['third', 0.05, 0], ['stale', 0.0001, 1]])
      ids[name] = (await remember(r, near(q, eps), { stale, text: name }))[0].id
    await remember(repo('topk-other'), near(q, 0), { text: 'other repo' })
    await remember(r, embedding(99), { text: 'far' })

    const qs = vectorText(q)
    const rows = await sql`
        SELECT m.id AS memory_id, m.embedding <=> ${qs}::vector AS distance
        FROM learning_memories m
        WHERE m.repo = ${r} AND m.stale = false
        ORDER BY m.embedding <=> ${qs}::vector
        LIMIT ${3}
      `
    assert.deepEqual(rows.map((x) => x.memory_id), [ids.closest, ids.second, ids.third])
    assert.ok(rows.every((x) => typeof x.distance === 'number'))
    assert.ok(rows[0].distance < rows[1].distance && rows[1].distance < rows[2].distance)
  })

  test('the nearest of the other repos of an owner as kodiai sends it (retrieveMemoriesForOwner)', async () => {
    const q = embedding(20)
    const owner = `${RUN}-owner`
    const repos = [1, 2, 3].map((i) => repo(`owner-${i}`))
    const ids = []
    for (const [i, r] of repos.entries()) ids.push((await remember(r, near(q, 0.001 * (i + 1)), { text: r, owner }))[0].id)
    await remember(repos[0], near(q, 0.2), { text: 'farther, same repo', owner })
    await remember(repo('owner-current'), near(q, 0), { text: 'the repo asking, left out', owner })
    const qs = vectorText(q)
    const rows = await sql`
          WITH repo_counts AS (
            SELECT repo, COUNT(*) AS cnt
            FROM learning_memories
            WHERE owner = ${owner}
              AND repo != ${repo('owner-current')}
              AND stale = false
            GROUP BY repo
            ORDER BY cnt DESC
            LIMIT 5
          ), active_repos AS (
            SELECT repo, cnt, COUNT(*) OVER () AS repo_count
            FROM repo_counts
          )
          SELECT candidate.memory_id, candidate.distance
          FROM active_repos ar
          CROSS JOIN LATERAL (
            SELECT
              m.id AS memory_id,
              m.embedding <=> ${qs}::vector AS distance
            FROM learning_memories m
            WHERE m.repo = ar.repo
              AND m.stale = false
            ORDER BY m.embedding <=> ${qs}::vector
            LIMIT GREATEST(1, CEIL(${3}::numeric / NULLIF(ar.repo_count, 0)))::int
          ) candidate
          ORDER BY candidate.distance ASC
          LIMIT ${3}
        `
    assert.deepEqual(rows.map((x) => x.memory_id), ids, 'the nearest of each other repo (3 / 3 repos = 1 each), nearest first')
    assert.ok(rows.every((x) => typeof x.distance === 'number'))
  })

  test('hybrid retrieval as docs/retrieval.md pastes it: vector top 50 and any-word text top 50 (migration 009), fused by RRF', async () => {
    const r = repo('hybrid')
    const q = embedding(40)
    const words = 'Retry loop in the webhook handler'
    const remembered = async (vector, text, stale = 0) => (await remember(r, vector, { text, stale }))[0].id
    const both = await remembered(near(q, 0.001), 'Unbounded retry loop in the webhook handler')
    const vectorOnly = await remembered(near(q, 0.01), 'Cache entry never invalidated')
    const textOnly = await remembered(embedding(41), 'retry storms when the webhook times out')
    const stale = await remembered(near(q, 0.0001), 'retry loop webhook handler retry loop', 1)
    await remembered(embedding(42), 'Naming convention of the helpers')
    await remember(repo('hybrid-other'), near(q, 0), { text: words })
    const text = await sql`SELECT id, rnk FROM learning_memories_text_top('english', ${words}, ${[r]}::text[], ${50})`
    assert.deepEqual(text.map((x) => ({ ...x })), [{ id: both, rnk: 1 }, { id: textOnly, rnk: 2 }],
      'any word, ranked by occurrences (4 > 2); stale rows and other repos left out; rnk a plain number')
    const fused = await sql`
      WITH vec AS MATERIALIZED (
        SELECT id, embedding <=> ${q}::halfvec(1024) AS distance
        FROM learning_memories
        WHERE repo = ANY(${[r]}::text[]) AND NOT stale
        ORDER BY distance LIMIT 50),
      vec_ranked AS (SELECT id, row_number() OVER (ORDER BY distance, id) AS rnk FROM vec),
      txt AS (SELECT id, rnk FROM learning_memories_text_top('english', ${words}, ${[r]}::text[], 50))
      SELECT id, sum(1.0 / (60 + rnk)) AS score
      FROM (SELECT id, rnk FROM vec_ranked UNION ALL SELECT id, rnk FROM txt) both_sides
      GROUP BY id ORDER BY score DESC, id LIMIT ${10}`
    assert.equal(fused[0].id, both, 'first on both sides: first fused')
    assert.ok(Math.abs(fused[0].score - 2 / 61) < 1e-12, `score 1/61 + 1/61 as a number: ${fused[0].score}`)
    const ids = fused.map((x) => x.id)
    assert.ok(ids.includes(vectorOnly) && ids.includes(textOnly), 'each side brings its own')
    assert.ok(!ids.includes(stale))
    assert.equal(fused.length, 4, 'the repo has four live memories')
  })

  test('the outcome upsert keeps one memory per (repo, finding, outcome); hybrid text search finds it', async () => {
    const r = repo('upsert')
    const findingId = 7_000_000_001
    const upsert = (text) => sql`
      INSERT INTO learning_memories (repo, owner, finding_id, source_repo, finding_text, severity, category, file_path,
        outcome, embedding_model, embedding_dim, embedding, stale)
      VALUES (${r}, ${RUN}, ${findingId}, ${r}, ${text}, ${'minor'}, ${'style'}, ${'a.ts'}, ${'thumbs_up'},
        ${'voyage-code-3'}, ${1024}, ${embedding(30)}, ${false})
      ON CONFLICT (repo, finding_id, outcome) DO UPDATE SET finding_text = EXCLUDED.finding_text, stale = ${0}
      RETURNING id`
    const [a] = await upsert('Prefer early returns')
    const [b] = await upsert('Prefer early returns over nested conditionals')
    assert.equal(a.id, b.id)
    const rows = await sql`SELECT id, finding_id FROM learning_memories
                           WHERE repo = ${r} AND search_tsv @@ websearch_to_tsquery('english', ${'nested conditional'})`
    assert.deepEqual(rows.map((x) => ({ ...x })), [{ id: a.id, finding_id: findingId }])
  })
})
