// kodiai's tables of slice A (migrations 020-032, issue 21) through the bot's stock postgres.js: the
// statements its stores send at kodiai 24fba64a (restated), and what comes back. No option of this
// module is used: the bot's stores connect with postgres(url, { max, idle_timeout, connect_timeout }).

import { test, describe, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { stockSql, RUN, embedding } from './helpers.js'

let sql
before(async () => { sql = stockSql() })
after(async () => {
  await sql`DELETE FROM webhook_queue WHERE delivery_id LIKE ${RUN + '%'}`
  await sql`DELETE FROM llm_cost_events WHERE repo LIKE ${RUN + '%'}`
  await sql`DELETE FROM guardrail_audit WHERE repo LIKE ${RUN + '%'}`
  await sql`DELETE FROM wiki_pr_evidence WHERE pr_author = ${RUN}`
  await sql`DELETE FROM wiki_update_suggestions WHERE page_title = ${RUN}`
  await sql`DELETE FROM wiki_style_cache WHERE page_title = ${RUN}`
  await sql`DELETE FROM review_comments WHERE repo LIKE ${RUN + '%'}`
  await sql.end()
})

const vectorText = (v) => '[' + Array.from(v).join(',') + ']'

describe('kodiai slice A through stock postgres.js', () => {
  test('webhook_queue: stringified headers come back as the object, the id as a number', async () => {
    const headers = { 'x-github-event': 'push', 'x-github-delivery': RUN }
    const [row] = await sql`
      INSERT INTO webhook_queue (source, delivery_id, event_name, headers, body)
      VALUES (${'github'}, ${RUN}, ${'push'}, ${JSON.stringify(headers)}::jsonb, ${'{}'}) RETURNING id`
    assert.equal(typeof row.id, 'number', 'the startup replay skips an id that is not a number')
    const [back] = await sql`SELECT id, headers FROM webhook_queue WHERE id = ${row.id}`
    assert.deepEqual(back.headers, headers)
    await assert.rejects(sql`
      INSERT INTO webhook_queue (source, headers, body) VALUES ('github', ${JSON.stringify(['x'])}::jsonb, '{}')`,
    /webhook_queue_headers_check/)
  })

  test('llm_cost_events: the cost comes back as the number sent', async () => {
    const cost = 0.000123456789012345
    const [row] = await sql`
      INSERT INTO llm_cost_events (delivery_id, repo, task_type, model, provider, sdk, input_tokens, output_tokens,
        cache_read_tokens, cache_write_tokens, estimated_cost_usd, duration_ms, used_fallback, fallback_reason, error)
      VALUES (${null}, ${RUN + '/costs'}, ${'review.summary'}, ${'claude'}, ${'anthropic'}, ${'agent'}, ${10}, ${2},
        ${0}, ${0}, ${cost}, ${900}, ${false}, ${null}, ${null})
      RETURNING estimated_cost_usd`
    assert.equal(row.estimated_cost_usd, cost)
  })

  test('wiki_pr_evidence, wiki_update_suggestions, guardrail_audit: stringified JSON comes back as JSON', async () => {
    const refs = [{ issueNumber: 26999, keyword: 'fixes', crossRepo: null }]
    await sql`
      INSERT INTO wiki_pr_evidence (pr_number, pr_title, pr_description, pr_author, merged_at, file_path, patch,
        issue_references, matched_page_id, matched_page_title, heuristic_score)
      SELECT ${27001}, ${'t'}, ${null}, ${RUN}, ${new Date()}, batch.file_path, batch.patch,
        ${JSON.stringify(refs)}::jsonb, batch.page_id, batch.page_title, batch.score
      FROM unnest(${['a.py']}::text[], ${['@@']}::text[], ${[501]}::integer[], ${['Page']}::text[],
        ${[3]}::double precision[]) AS batch(file_path, patch, page_id, page_title, score)`
    const [ev] = await sql`SELECT issue_references FROM wiki_pr_evidence WHERE pr_author = ${RUN}`
    assert.deepEqual(ev.issue_references, refs)

    const prs = [{ prNumber: 27001, prTitle: 't' }]
    await sql`
      INSERT INTO wiki_update_suggestions (page_id, page_title, section_heading, original_content, suggestion,
        why_summary, grounding_status, citing_prs, voice_mismatch_warning, voice_scores, generated_at)
      VALUES (${901}, ${RUN}, ${null}, ${'o'}, ${'s'}, ${'w'}, ${'partially-grounded'}, ${JSON.stringify(prs)}::jsonb,
        ${false}, ${null}::jsonb, now())`
    const [sug] = await sql`SELECT citing_prs, voice_scores FROM wiki_update_suggestions WHERE page_title = ${RUN}`
    assert.deepEqual(sug.citing_prs, prs)
    assert.equal(sug.voice_scores, null)

    const claims = [{ text: 'Kodi 22 removed it', label: 'external-knowledge' }]
    await sql`
      INSERT INTO guardrail_audit (surface, repo, strictness, claims_total, claims_grounded, claims_removed,
        claims_ambiguous, llm_fallback_used, response_suppressed, classifier_error, removed_claims, duration_ms)
      VALUES (${'review'}, ${RUN + '/audit'}, ${'standard'}, ${1}, ${0}, ${1}, ${0}, ${false}, ${false}, ${false},
        ${JSON.stringify(claims)}::jsonb, ${5})`
    const [audit] = await sql`SELECT removed_claims FROM guardrail_audit WHERE repo = ${RUN + '/audit'}`
    assert.deepEqual(audit.removed_claims, claims)
  })

  test('wiki_style_cache: sql.json is stored and read as the object; stringified text is refused', async () => {
    const style = { tone: 'neutral', perspective: 'second' }
    await sql`
      INSERT INTO wiki_style_cache (page_id, page_title, content_hash, style_description, expires_at)
      VALUES (${902}, ${RUN}, ${'h'}, ${sql.json(style)}, now() + ${7 + ' days'}::interval)`
    const [row] = await sql`SELECT style_description FROM wiki_style_cache WHERE page_id = ${902}`
    assert.deepEqual(row.style_description, style)
    await assert.rejects(sql`
      INSERT INTO wiki_style_cache (page_id, page_title, content_hash, style_description, expires_at)
      VALUES (${903}, ${RUN}, ${'h'}, ${JSON.stringify(style)}::jsonb, now())`,
    /wiki_style_cache_style_description_check/)
  })

  test('review_comments: a float32 vector text orders the halfvec column', async () => {
    const e = embedding(7)
    await sql`
      INSERT INTO review_comments (repo, owner, pr_number, comment_github_id, thread_id, author_login, body,
        chunk_index, chunk_text, token_count, embedding, embedding_model, github_created_at)
      VALUES (${RUN + '/rc'}, ${'o'}, ${1}, ${4153840487}, ${'t'}, ${'octocat'}, ${'b'}, ${0}, ${'Use a mutex'}, ${3},
        ${vectorText(e)}::vector, ${'voyage-4'}, now())`
    const rows = await sql`
      SELECT comment_github_id, embedding <=> ${vectorText(e)}::vector AS distance FROM review_comments
      WHERE repo = ${RUN + '/rc'} AND stale = false AND deleted = false AND embedding IS NOT NULL
      ORDER BY embedding <=> ${vectorText(e)}::vector LIMIT ${5}`
    assert.equal(rows.length, 1)
    assert.equal(Number(rows[0].comment_github_id), 4153840487)
    assert.ok(rows[0].distance < 1e-3, 'the nearest is the row itself (halfvec rounding only)')
  })

  test('wiki_embedding_repair_state: sql.array([]) is taken, a non-empty one refused as text[]', async () => {
    const save = (key, ids) => sql`
      INSERT INTO wiki_embedding_repair_state (repair_key, last_processed_chunk_ids, updated_at)
      VALUES (${key}, ${sql.array(ids)}, ${new Date().toISOString()})
      ON CONFLICT (repair_key) DO UPDATE SET last_processed_chunk_ids = EXCLUDED.last_processed_chunk_ids`
    await save(RUN, [])
    const [row] = await sql`SELECT last_processed_chunk_ids FROM wiki_embedding_repair_state WHERE repair_key = ${RUN}`
    assert.deepEqual(row.last_processed_chunk_ids, [])
    await assert.rejects(save(RUN, [1, 2]), /bigint\[\] but expression is of type text\[\]/)
    await sql`DELETE FROM wiki_embedding_repair_state WHERE repair_key = ${RUN}`
  })
})
