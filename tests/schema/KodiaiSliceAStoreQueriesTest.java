// Tests of kodiai's tables of slice A (migrations 020-032, issue 21) on a real PostgreSQL with
// pgvector: for each table, the statements the bot's stores send at kodiai 24fba64a (restated here
// from reading them, with the same parameter shapes), the values coming back in the form the bot's
// code reads, and wrong data refused.
//
// Parameter shapes: the bot's stock postgres.js sends `${JSON.stringify(x)}::jsonb` as a JSON
// *string* (it encodes the text once more for a jsonb parameter): `stringified(json)` below builds
// exactly that value. `sql.json(x)` and a jsonb_to_recordset batch arrive as the JSON itself, a
// vector as its text form cast `::vector`, `sql.array([])` as an empty text[].

import static org.junit.jupiter.api.Assertions.*;

import com.pgvector.PGvector;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class KodiaiSliceAStoreQueriesTest extends SchemaFixtures {
  @RegisterExtension static final FreshDatabase db = new FreshDatabase();

  @BeforeAll static void migrateTheClassDatabase() {
    migrateToLatest(db);
  }

  /** What postgres.js sends for `${JSON.stringify(value)}::jsonb`: the JSON text as a JSON string. */
  static String stringified(String json) {
    return "\"" + json.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  static String text(Connection c, String sql, Object... params) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) ps.setObject(i + 1, params[i]);
      ResultSet rs = ps.executeQuery();
      assertTrue(rs.next(), "a row from " + sql);
      return rs.getString(1);
    }
  }

  /** The statement fails with this SQLSTATE, and its message names `what` (a constraint, a type). */
  static void assertRefused(Connection c, String state, String what, String sql, Object... params) {
    SQLException e = assertThrows(SQLException.class, () -> update(c, sql, params), sql);
    assertEquals(state, e.getSQLState(), sql + ": " + e.getMessage());
    assertTrue(e.getMessage().contains(what), e.getMessage());
  }

  // ====================================================================== webhook_queue (020)

  static final String ENQUEUE = "INSERT INTO webhook_queue (source, delivery_id, event_name, headers, body)"
      + " VALUES (?, ?, ?, ?::jsonb, ?) RETURNING id";

  @Test void webhookQueueEnqueuesDequeuesAndGivesTheReplayANumberAndItsHeaders() throws Exception {
    try (Connection c = db.connect()) {
      String headers = "{\"x-github-event\":\"pull_request\",\"x-github-delivery\":\"d-42\"}";
      long id = longOf(c, ENQUEUE, "github", "d-42", "pull_request", stringified(headers), "{\"action\":\"opened\"}");
      c.setAutoCommit(false);
      // dequeuePending: recover stale claims, take the oldest pending rows, claim them
      update(c, "UPDATE webhook_queue SET status = 'pending' WHERE status = 'processing'"
          + " AND (claimed_at IS NULL OR claimed_at < NOW() - INTERVAL '60 seconds')");
      try (PreparedStatement ps = c.prepareStatement("SELECT id, source, delivery_id, event_name, headers, body,"
          + " queued_at, claimed_at, processed_at, status FROM webhook_queue WHERE status = 'pending'"
          + " OR (status = 'processing' AND (claimed_at IS NULL OR claimed_at < NOW() - (? * INTERVAL '1 minute')))"
          + " ORDER BY queued_at ASC LIMIT ? FOR UPDATE SKIP LOCKED")) {
        ps.setInt(1, 10);
        ps.setInt(2, 25);
        ResultSet rs = ps.executeQuery();
        assertTrue(rs.next());
        // postgres.js returns int4 as a JavaScript number, int8 as a string: the replay needs a number
        assertEquals(java.sql.Types.INTEGER, rs.getMetaData().getColumnType(1),
            "int4: the replay skips an id that is not a number");
        assertEquals(id, rs.getLong(1));
        assertEquals("jsonb", rs.getMetaData().getColumnTypeName(5));
      }
      assertEquals("object", text(c, "SELECT jsonb_typeof(headers) FROM webhook_queue WHERE id = ?", id),
          "the stringified headers are stored as the object, which postgres.js returns as one");
      assertEquals("d-42", text(c, "SELECT headers ->> 'x-github-delivery' FROM webhook_queue WHERE id = ?", id));
      update(c, "UPDATE webhook_queue SET status = 'processing', claimed_at = NOW() WHERE id = ANY(?)",
          c.createArrayOf("int4", new Object[] {(int) id}));
      c.commit();
      c.setAutoCommit(true);
      update(c, "UPDATE webhook_queue SET status = 'failed', error_message = ? WHERE id = ?", "boom", (int) id);
      assertEquals("failed boom", text(c, "SELECT status || ' ' || error_message FROM webhook_queue WHERE id = ?", id));
      // a plain object (what sql.json would send) is stored alike
      long plain = longOf(c, ENQUEUE, "slack", null, null, headers, "{}");
      assertEquals("pull_request",
          text(c, "SELECT headers ->> 'x-github-event' FROM webhook_queue WHERE id = ?", plain));
    }
  }

  @Test void webhookQueueRefusesWrongHeadersAndStatuses() throws Exception {
    try (Connection c = db.connect()) {
      assertRefused(c, "23514", "webhook_queue_headers_check", ENQUEUE, "github", null, null,
          stringified("[1, 2]"), "{}");
      // encoded twice over: decoded once, still a string
      assertRefused(c, "23514", "webhook_queue_headers_check", ENQUEUE, "github", null, null,
          stringified(stringified("{}")), "{}");
      assertRefused(c, "22P02", "json", ENQUEUE, "github", null, null, "\"not json\"", "{}");
      long id = longOf(c, ENQUEUE, "github", null, null, "{}", "{}");
      assertRefused(c, "23514", "webhook_queue_status_check",
          "UPDATE webhook_queue SET status = 'done' WHERE id = ?", (int) id);
    }
  }

  // ====================================================================== review_comments (021)

  static String vectorText(float[] v) {
    return new PGvector(v).toString();
  }

  /** writeChunks: one jsonb_to_recordset batch, as the store declares it, ON CONFLICT DO NOTHING. */
  static int writeReviewChunks(Connection c, String batchJson) throws SQLException {
    return update(c, "INSERT INTO review_comments (repo, owner, pr_number, pr_title, comment_github_id, thread_id,"
        + " in_reply_to_id, file_path, start_line, end_line, diff_hunk, author_login, author_association, body,"
        + " chunk_index,"
        + " chunk_text, token_count, embedding, embedding_model, github_created_at, github_updated_at, backfill_batch)"
        + " SELECT b.repo, b.owner, b.pr_number, b.pr_title, b.comment_github_id, b.thread_id, b.in_reply_to_id,"
        + " b.file_path,"
        + " b.start_line, b.end_line, b.diff_hunk, b.author_login, b.author_association, b.body, b.chunk_index,"
        + " b.chunk_text,"
        + " b.token_count, CASE WHEN b.embedding IS NULL THEN NULL ELSE b.embedding::vector END, b.embedding_model,"
        + " b.github_created_at, b.github_updated_at, b.backfill_batch"
        + " FROM jsonb_to_recordset(?::jsonb) AS b (repo text, owner text, pr_number integer, pr_title text,"
        + " comment_github_id bigint, thread_id text, in_reply_to_id bigint, file_path text, start_line integer,"
        + " end_line integer, diff_hunk text, author_login text, author_association text, body text, chunk_index"
        + " integer,"
        + " chunk_text text, token_count integer, embedding text, embedding_model text, github_created_at timestamptz,"
        + " github_updated_at timestamptz, backfill_batch text)"
        + " WHERE NOT EXISTS (SELECT 1 FROM review_comments d WHERE d.repo = b.repo"
        + " AND d.comment_github_id = b.comment_github_id AND d.deleted = true)"
        + " ON CONFLICT (repo, comment_github_id, chunk_index) DO NOTHING", batchJson);
  }

  static String reviewChunk(long githubId, int chunk, String text, float[] e) {
    return "{\"repo\":\"xbmc/xbmc\",\"owner\":\"xbmc\",\"pr_number\":27001,\"pr_title\":\"Fix\",\"comment_github_id\":"
        + githubId + ",\"thread_id\":\"xbmc/xbmc:" + githubId + "\",\"in_reply_to_id\":null,\"file_path\":\"a.cpp\","
        + "\"start_line\":3,\"end_line\":9,\"diff_hunk\":\"@@\",\"author_login\":\"octocat\","
        + "\"author_association\":\"MEMBER\","
        + "\"body\":\"" + text + "\",\"chunk_index\":" + chunk + ",\"chunk_text\":\"" + text + "\",\"token_count\":12,"
        + "\"embedding\":" + (e == null ? "null" : "\"" + vectorText(e) + "\"") + ",\"embedding_model\":"
        + (e == null ? "null" : "\"voyage-4\"") + ",\"github_created_at\":\"2026-03-01T10:00:00.000Z\","
        + "\"github_updated_at\":null,\"backfill_batch\":\"b1\"}";
  }

  @Test void reviewCommentsTakeTheStoreBatchAndServeItsVectorTextAndThreadQueries() throws Exception {
    try (Connection c = db.connect()) {
      Random rnd = new Random(21);
      float[] near = unitVector(rnd), far = unitVector(rnd);
      long big = 4_153_840_487L;  // a GitHub id over 2^31
      String batch = "[" + reviewChunk(big, 0, "Use a mutex around the cache", near) + ","
          + reviewChunk(big + 1, 0, "Typo in the log message", far) + ","
          + reviewChunk(big + 2, 0, "Chunk without embedding yet", null) + "]";
      assertEquals(3, writeReviewChunks(c, batch));
      assertEquals(0, writeReviewChunks(c, batch), "the conflict target (repo, comment_github_id, chunk_index) holds");
      // searchByEmbedding: the halfvec column, ordered by distance to a float32 query
      assertEquals(String.valueOf(big), text(c, "SELECT comment_github_id FROM review_comments WHERE repo = ? AND"
          + " stale = false"
          + " AND deleted = false AND embedding IS NOT NULL ORDER BY embedding <=> ?::vector LIMIT ?", "xbmc/xbmc",
          vectorText(near), 5));
      // searchByFullText, kept by the trigger
      assertEquals("Use a mutex around the cache", text(c, "SELECT chunk_text FROM review_comments WHERE repo = ?"
          + " AND stale = false AND deleted = false AND search_tsv @@ plainto_tsquery('english', ?)"
          + " ORDER BY ts_rank(search_tsv, plainto_tsquery('english', ?)) DESC LIMIT"
          + " ?", "xbmc/xbmc", "mutexes", "mutexes", 5));
      update(c, "UPDATE review_comments SET chunk_text = 'Prefer an atomic counter' WHERE comment_github_id ="
          + " ?", big + 1);
      update(c, "UPDATE review_comments SET search_tsv = to_tsvector('english', 'forged') WHERE comment_github_id ="
          + " ?", big + 1);
      assertEquals("1", text(c, "SELECT count(*) FROM review_comments WHERE search_tsv @@ plainto_tsquery('english',"
          + " 'atomic')"
          + " AND NOT search_tsv @@ plainto_tsquery('english', 'forged')"), "search_tsv follows chunk_text, never a"
          + " direct write");
      // getThread, updateEmbedding (a float32 text cast ::vector into the halfvec column), countNullEmbeddings
      assertEquals("1", text(c, "SELECT count(*) FROM review_comments WHERE thread_id = ? AND deleted = false",
          "xbmc/xbmc:" + big));
      update(c, "UPDATE review_comments SET embedding = ?::vector, embedding_model = ? WHERE id = (SELECT id FROM"
          + " review_comments WHERE comment_github_id = ?)", vectorText(far), "voyage-4", big + 2);
      assertEquals("0", text(c, "SELECT COUNT(*)::int FROM review_comments WHERE repo = ? AND embedding IS NULL"
          + " AND deleted = false", "xbmc/xbmc"));
      // the embedding repair's batch write: ids as bigint[], vectors as text[] cast ::vector
      long repaired = longOf(c, "SELECT id FROM review_comments WHERE comment_github_id = ?", big + 1);
      assertEquals(1, update(c, "UPDATE review_comments AS rc SET embedding = updates.embedding::vector,"
          + " embedding_model = ?, stale = false FROM (SELECT UNNEST(?::bigint[]) AS row_id,"
          + " UNNEST(?::text[]) AS embedding) AS updates WHERE rc.id = updates.row_id", "voyage-4",
          c.createArrayOf("int8", new Object[] {repaired}), c.createArrayOf("text", new Object[] {vectorText(near)})));
      assertEquals(String.valueOf(big + 1), text(c, "SELECT comment_github_id FROM review_comments"
          + " WHERE comment_github_id <> ? ORDER BY embedding <=> ?::vector LIMIT 1", big, vectorText(near)));
      // softDelete: the tombstone upsert, then a later batch of the same comment is skipped
      update(c, "UPDATE review_comments SET deleted = true WHERE repo = ? AND comment_github_id = ?", "xbmc/xbmc", big);
      update(c, "INSERT INTO review_comments (repo, owner, pr_number, comment_github_id, thread_id, author_login, body,"
          + " chunk_index, chunk_text, token_count, github_created_at, deleted) VALUES (?, ?, 0, ?, ?, 'deleted',"
          + " 'deleted',"
          + " 0, 'deleted', 0, now(), true) ON CONFLICT (repo, comment_github_id, chunk_index) DO UPDATE SET deleted"
          + " = true",
          "xbmc/xbmc", "xbmc", big, "xbmc/xbmc:deleted:" + big);
      assertEquals(0, writeReviewChunks(c, "[" + reviewChunk(big, 1, "late chunk", near) + "]"));
      // updateSyncState / getSyncState
      for (int total : new int[] {10, 25}) {
        update(c, "INSERT INTO review_comment_sync_state (repo, last_synced_at, last_page_cursor,"
            + " total_comments_synced,"
            + " backfill_complete, updated_at) VALUES (?, now(), ?, ?, ?, now()) ON CONFLICT (repo) DO UPDATE SET"
            + " last_synced_at = EXCLUDED.last_synced_at, last_page_cursor = EXCLUDED.last_page_cursor,"
            + " total_comments_synced = EXCLUDED.total_comments_synced, backfill_complete = EXCLUDED.backfill_complete,"
            + " updated_at = now()", "xbmc/xbmc", "cursor-" + total, total, total > 10);
      }
      assertEquals("25 true", text(c, "SELECT total_comments_synced || ' ' || backfill_complete FROM"
          + " review_comment_sync_state"
          + " WHERE repo = ?", "xbmc/xbmc"));
      assertRefused(c, "23514", "review_comments_counts_check", "UPDATE review_comments SET chunk_index = -1 WHERE"
          + " repo = ?",
          "xbmc/xbmc");
      assertRefused(c, "22000", "expected 1024 dimensions", "UPDATE review_comments SET embedding = ?::vector"
          + " WHERE repo = ?", "[1,2,3]", "xbmc/xbmc");
    }
  }

  // ====================================================================== wiki_pages (022) and their state (032)

  static int writeWikiChunks(Connection c, String batchJson) throws SQLException {
    return update(c, "INSERT INTO wiki_pages (page_id, page_title, namespace, page_url, section_heading,"
        + " section_anchor,"
        + " section_level, chunk_index, chunk_text, raw_text, token_count, embedding, embedding_model, stale,"
        + " last_modified,"
        + " revision_id, language_tags) SELECT b.page_id, b.page_title, b.namespace, b.page_url, b.section_heading,"
        + " b.section_anchor, b.section_level, b.chunk_index, b.chunk_text, b.raw_text, b.token_count,"
        + " CASE WHEN b.embedding IS NULL THEN NULL ELSE b.embedding::vector END, b.embedding_model, b.stale,"
        + " b.last_modified, b.revision_id, ARRAY(SELECT jsonb_array_elements_text(b.language_tags))"
        + " FROM jsonb_to_recordset(?::jsonb) AS b (page_id integer, page_title text, namespace text, page_url text,"
        + " section_heading text, section_anchor text, section_level integer, chunk_index integer, chunk_text text,"
        + " raw_text text, token_count integer, embedding text, embedding_model text, stale boolean,"
        + " last_modified timestamptz, revision_id integer, language_tags jsonb)"
        + " ON CONFLICT (page_id, COALESCE(section_anchor, ''), chunk_index) DO NOTHING", batchJson);
  }

  static String wikiChunk(int pageId, String anchor, int chunk, String text, float[] e) {
    return "{\"page_id\":" + pageId + ",\"page_title\":\"Add-on development\",\"namespace\":\"\",\"page_url\":"
        + "\"https://kodi.wiki/view/Add-on_development\",\"section_heading\":null,"
        + "\"section_anchor\":\"" + anchor + "\","
        + "\"section_level\":2,\"chunk_index\":" + chunk + ",\"chunk_text\":\"" + text + "\","
        + "\"raw_text\":\"" + text + "\","
        + "\"token_count\":40,\"embedding\":" + (e == null ? "null" : "\"" + vectorText(e) + "\"")
        + ",\"embedding_model\":"
        + (e == null ? "null" : "\"voyage-4\"") + ",\"stale\":" + (e == null) + ",\"last_modified\":"
        + "\"2026-05-01T00:00:00.000Z\",\"revision_id\":254001,\"language_tags\":[\"python\",\"general\"]}";
  }

  @Test void wikiPagesTakeTheStoreBatchWithItsConflictTargetAndServeItsQueries() throws Exception {
    try (Connection c = db.connect()) {
      Random rnd = new Random(22);
      float[] e = unitVector(rnd);
      String batch = "[" + wikiChunk(501, "", 0, "Python add-ons use the xbmcaddon module", e) + ","
          + wikiChunk(501, "Settings", 0, "Settings are declared in settings.xml", null) + "]";
      assertEquals(2, writeWikiChunks(c, batch));
      assertEquals(0, writeWikiChunks(c, batch), "ON CONFLICT (page_id, COALESCE(section_anchor, ''), chunk_index)"
          + " infers");
      assertEquals("{python,general}", text(c, "SELECT language_tags::text FROM wiki_pages WHERE page_id = 501"
          + " AND chunk_index = 0 AND section_anchor = ''"));
      assertEquals("Add-on development", text(c, "SELECT page_title FROM wiki_pages WHERE stale = false AND deleted ="
          + " false"
          + " AND embedding IS NOT NULL ORDER BY embedding <=> ?::vector LIMIT ?", vectorText(e), 5));
      assertEquals("1", text(c, "SELECT count(*) FROM wiki_pages WHERE stale = false AND deleted = false"
          + " AND search_tsv @@ plainto_tsquery('english', ?)", "module"));
      assertEquals("254001", text(c, "SELECT MAX(revision_id)::int FROM wiki_pages WHERE page_id = ANY(?::bigint[])"
          + " AND deleted = false GROUP BY page_id", c.createArrayOf("int8", new Object[] {501L})));
      assertEquals("1", text(c, "SELECT count(*) FROM wiki_pages WHERE deleted = false AND page_title = ? AND"
          + " (embedding IS NULL OR stale = true OR embedding_model IS DISTINCT FROM ?)", "Add-on"
          + " development", "voyage-4"));
      update(c, "INSERT INTO wiki_sync_state (source, last_synced_at, last_continue_token, total_pages_synced,"
          + " backfill_complete, updated_at) VALUES (?, now(), ?, ?, ?, now()) ON CONFLICT (source) DO UPDATE SET"
          + " last_continue_token = EXCLUDED.last_continue_token, total_pages_synced = EXCLUDED.total_pages_synced",
          "kodi.wiki", "c1", 120, false);
      assertRefused(c, "23514", "wiki_pages_section_anchor_check", "UPDATE wiki_pages SET section_anchor ="
          + " repeat('x', 2001)"
          + " WHERE section_anchor = 'Settings'");
      // saveRepairCheckpoint: postgres.js sends sql.array([]) untyped ('{}'), a non-empty one as text[]
      String checkpoint = "INSERT INTO wiki_embedding_repair_state (repair_key, page_id, page_title, window_index,"
          + " windows_total, repaired, skipped, failed, retry_count, used_split_fallback, last_failure_class,"
          + " last_failure_message, last_processed_chunk_ids, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
          + " ?, ?::timestamptz)"
          + " ON CONFLICT (repair_key) DO UPDATE SET page_id = EXCLUDED.page_id, repaired = EXCLUDED.repaired,"
          + " last_processed_chunk_ids = EXCLUDED.last_processed_chunk_ids, updated_at = EXCLUDED.updated_at";
      for (int repaired : new int[] {3, 7}) {
        try (PreparedStatement ps = c.prepareStatement(checkpoint)) {
          Object[] p = {"default", 501, "Add-on development", 0, 2, repaired, 0, 0, 0, false, null, null, null,
              "2026-05-02T00:00:00.000Z"};
          for (int i = 0; i < p.length; i++) ps.setObject(i + 1, p[i]);
          ps.setObject(13, "{}", java.sql.Types.OTHER);
          ps.executeUpdate();
        }
      }
      assertEquals("7 {}", text(c, "SELECT repaired || ' ' || last_processed_chunk_ids::text FROM"
          + " wiki_embedding_repair_state"
          + " WHERE repair_key = 'default'"));
      assertRefused(c, "23514", "wiki_embedding_repair_state_counts_check", "UPDATE wiki_embedding_repair_state"
          + " SET retry_count = -1");
    }
  }

  // ====================================================================== ci_check_history (023)

  @Test void ciCheckHistoryRecordsRunsAndAnswersTheFlakinessQuery() throws Exception {
    try (Connection c = db.connect()) {
      for (String conclusion : new String[] {"success", "failure", "failure", "skipped"}) {
        update(c, "INSERT INTO ci_check_history (repo, check_name, head_sha, conclusion, check_suite_id, pr_number)"
            + " VALUES (?, ?, ?, ?, ?, ?)", "xbmc/xbmc", "build-linux", "abc123", conclusion, 30_000_000_000L, 27001);
      }
      assertEquals("2 4", text(c, "SELECT sum((conclusion = 'failure')::int) || ' ' || count(*) FROM (SELECT"
          + " check_name,"
          + " conclusion, ROW_NUMBER() OVER (PARTITION BY check_name ORDER BY created_at DESC) AS rn FROM"
          + " ci_check_history"
          + " WHERE repo = ? AND check_name = ANY(?)) sub WHERE rn <= 20", "xbmc/xbmc",
          c.createArrayOf("text", new Object[] {"build-linux", "lint"})));
      assertRefused(c, "23514", "ci_check_history_conclusion_check", "INSERT INTO ci_check_history (repo, check_name,"
          + " head_sha, conclusion) VALUES ('xbmc/xbmc', 'x', 'abc', 'flaky')");
      assertRefused(c, "23514", "ci_check_history_check_name_check", "INSERT INTO ci_check_history (repo, check_name,"
          + " head_sha, conclusion) VALUES ('xbmc/xbmc', repeat('n', 2001), 'abc', 'success')");
    }
  }

  // ====================================================================== code_snippets (024)

  @Test void codeSnippetsDeduplicateByHashAndServeTheRetrievalJoin() throws Exception {
    try (Connection c = db.connect()) {
      float[] e = unitVector(new Random(24));
      String hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
      String insert = "INSERT INTO code_snippets (content_hash, embedded_text, language, embedding, embedding_model)"
          + " VALUES (?, ?, ?, ?::vector, ?) ON CONFLICT (content_hash) DO NOTHING";
      assertEquals(1, update(c, insert, hash, "if (buffer == nullptr) return;", "cpp", vectorText(e), "voyage-4"));
      assertEquals(0, update(c, insert, hash, "if (buffer == nullptr) return;", "cpp", vectorText(e), "voyage-4"));
      for (int pr : new int[] {27001, 27002}) {
        update(c, "INSERT INTO code_snippet_occurrences (content_hash, repo, owner, pr_number, pr_title, file_path,"
            + " start_line, end_line, function_context) VALUES (?, ?, ?, ?, ?, ?, ?, ?,"
            + " ?)", hash, "xbmc/xbmc", "xbmc", pr,
            "Guard null buffers", "xbmc/cores/a.cpp", 10, 14, "void f()");
      }
      assertEquals("27002 cpp", text(c, "SELECT cso.pr_number || ' ' || cs.language FROM code_snippets cs INNER JOIN"
          + " LATERAL"
          + " (SELECT pr_number, created_at FROM code_snippet_occurrences WHERE content_hash = cs.content_hash AND"
          + " repo = ?"
          + " ORDER BY created_at DESC, id DESC LIMIT 1) cso ON true"  // id: a tie of created_at, in this test only
          + " WHERE cs.stale = false AND cs.embedding IS NOT NULL"
          + " AND cs.embedding <=> ?::vector < ? ORDER BY cs.embedding <=> ?::vector LIMIT"
          + " ?", "xbmc/xbmc", vectorText(e), 0.5,
          vectorText(e), 5));
      assertEquals("1", text(c, "SELECT count(*) FROM code_snippets cs WHERE cs.stale = false"
          + " AND cs.tsv @@ plainto_tsquery('english', ?)", "buffer"), "tsv is kept by the trigger");
      assertRefused(c, "23514", "code_snippets_content_hash_check", insert, "abc123", "x", "cpp", vectorText(e),
          "voyage-4");
      assertRefused(c, "23503", "code_snippet_occurrences_content_hash_fkey", "INSERT INTO code_snippet_occurrences"
          + " (content_hash, repo, owner, pr_number, file_path, start_line, end_line) VALUES (?, 'r', 'o', 1, 'f', 1,"
          + " 2)",
          "0".repeat(64));
    }
  }

  // ====================================================================== llm_cost_events (025)

  @Test void llmCostEventsKeepTheBotsDoubleAndSumIt() throws Exception {
    try (Connection c = db.connect()) {
      String insert = "INSERT INTO llm_cost_events (delivery_id, repo, task_type, model, provider, sdk, input_tokens,"
          + " output_tokens, cache_read_tokens, cache_write_tokens, estimated_cost_usd, duration_ms, used_fallback,"
          + " fallback_reason, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
      double cost = 0.000123456789012345;  // more digits than numeric(12,8) kept
      update(c, insert, "d-1", "xbmc/xbmc", "review.summary", "claude-sonnet-4", "anthropic", "agent", 1200, 300, 0,
          0, cost,
          900, false, null, null);
      update(c, insert, null, "xbmc/xbmc", "guardrail.classification", "claude-haiku", "anthropic", "ai", 10, 2, 0, 0,
          0.5,
          null, true, "rate limit", null);
      try (Statement st = c.createStatement()) {
        ResultSet rs = st.executeQuery("SELECT estimated_cost_usd FROM llm_cost_events WHERE delivery_id = 'd-1'");
        assertTrue(rs.next());
        assertEquals("float8", rs.getMetaData().getColumnTypeName(1), "postgres.js returns float8 as a number");
        assertEquals(cost, rs.getDouble(1), 0.0, "exactly the double the bot sent");
        rs = st.executeQuery("SELECT COALESCE(SUM(estimated_cost_usd), 0)::float8 FROM llm_cost_events WHERE repo ="
            + " 'xbmc/xbmc'");
        assertTrue(rs.next());
        assertEquals(cost + 0.5, rs.getDouble(1), 1e-15);
      }
      for (String bad : new String[] {"-0.01", "'NaN'", "'Infinity'"}) {
        assertRefused(c, "23514", "llm_cost_events_usage_check", "INSERT INTO llm_cost_events (repo, task_type,"
            + " model, provider,"
            + " sdk, estimated_cost_usd) VALUES ('r', 't', 'm', 'p', 'ai', " + bad + ")");
      }
      assertRefused(c, "23514", "llm_cost_events_sdk_check", "INSERT INTO llm_cost_events (repo, task_type, model,"
          + " provider,"
          + " sdk) VALUES ('r', 't', 'm', 'p', 'langchain')");
    }
  }

  // ====================================================================== wiki state and popularity (026, 027)

  @Test void wikiStalenessStateIsOneRowAndPopularityUpsertsAndRanks() throws Exception {
    try (Connection c = db.connect()) {
      String save = "INSERT INTO wiki_staleness_run_state (id, last_run_at, last_commit_sha, pages_flagged,"
          + " pages_evaluated,"
          + " status, error_message, updated_at) VALUES (1, ?::timestamptz, ?, ?, ?, ?, ?, now()) ON CONFLICT (id) DO"
          + " UPDATE SET"
          + " last_run_at = EXCLUDED.last_run_at, pages_flagged = EXCLUDED.pages_flagged, status = EXCLUDED.status,"
          + " error_message = EXCLUDED.error_message, updated_at = now()";
      update(c, save, null, null, 0, 0, "pending", null);
      update(c, save, "2026-05-01T00:00:00.000Z", "abc", 4, 50, "success", null);
      assertEquals("1 success 4", text(c, "SELECT id || ' ' || status || ' ' || pages_flagged FROM"
          + " wiki_staleness_run_state"));
      assertRefused(c, "23514", "wiki_staleness_run_state_status_check", save, null, null, 0, 0, "running", null);
      assertRefused(c, "23514", "wiki_staleness_run_state_id_check", "INSERT INTO wiki_staleness_run_state (id)"
          + " VALUES (2)");

      String upsert = "INSERT INTO wiki_page_popularity (page_id, page_title, inbound_links, citation_count,"
          + " edit_recency_score,"
          + " composite_score, last_scored_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, now(), now()), (?, ?, ?, ?, ?,"
          + " ?, now(), now())"
          + " ON CONFLICT (page_id) DO UPDATE SET page_title = EXCLUDED.page_title, inbound_links ="
          + " EXCLUDED.inbound_links,"
          + " citation_count = EXCLUDED.citation_count, edit_recency_score = EXCLUDED.edit_recency_score,"
          + " composite_score = EXCLUDED.composite_score, last_scored_at = EXCLUDED.last_scored_at,"
          + " updated_at = EXCLUDED.updated_at";
      update(c, upsert, 501, "Add-on development", 12, 3, 0.5, 0.41, 502, "Skinning", 4, 0, 0.9, 0.22);
      update(c, upsert, 501, "Add-on development", 12, 9, 0.5, 0.13, 502, "Skinning", 4, 1, 0.9, 0.35);
      assertEquals("Skinning", text(c, "SELECT page_title FROM wiki_page_popularity ORDER BY composite_score DESC"
          + " LIMIT ?", 1));
      assertRefused(c, "23514", "wiki_page_popularity_scores_check", upsert, 503, "x", 0, 0, 0.1, Double.NaN, 504,
          "y", 0, 0,
          0.1, 0.1);
      // recordCitations: sql.array(page ids)::integer[]; the rolling window; the cleanup
      update(c, "INSERT INTO wiki_citation_events (page_id) SELECT unnest(?::integer[])",
          c.createArrayOf("int4", new Object[] {501, 502, 501}));
      assertEquals("501:2", text(c, "SELECT page_id || ':' || COUNT(*)::int FROM wiki_citation_events WHERE cited_at"
          + " > now()"
          + " - ?::interval GROUP BY page_id ORDER BY 1 LIMIT 1", "90 days"));
      assertEquals(0, update(c, "DELETE FROM wiki_citation_events WHERE cited_at < now() - ?::interval", "90 days"));
    }
  }

  // ====================================================================== wiki_pr_evidence, suggestions, style, audit

  static final String EVIDENCE = "INSERT INTO wiki_pr_evidence (pr_number, pr_title, pr_description, pr_author,"
      + " merged_at,"
      + " file_path, patch, issue_references, matched_page_id, matched_page_title, heuristic_score)"
      + " SELECT ?, ?, ?, ?, ?::timestamptz, b.file_path, b.patch, ?::jsonb, b.page_id, b.page_title, b.score"
      + " FROM unnest(?::text[], ?::text[], ?::integer[], ?::text[], ?::double precision[])"
      + " AS b(file_path, patch, page_id, page_title, score)"
      + " ON CONFLICT (pr_number, file_path, matched_page_id) DO UPDATE SET patch = EXCLUDED.patch,"
      + " heuristic_score = EXCLUDED.heuristic_score, issue_references = EXCLUDED.issue_references";

  int storeEvidence(Connection c, String refsJson, String path, double score) throws SQLException {
    return update(c, EVIDENCE, 27001, "Python 3.12 add-ons", null, "octocat", "2026-05-01T00:00:00.000Z", refsJson,
        c.createArrayOf("text", new Object[] {path}), c.createArrayOf("text", new Object[] {"@@ -1 +1 @@"}),
        c.createArrayOf("int4", new Object[] {501}), c.createArrayOf("text", new Object[] {"Add-on development"}),
        c.createArrayOf("float8", new Object[] {score}));
  }

  @Test void wikiPrEvidenceStoresTheStringifiedReferencesAsTheArrayTheGeneratorReads() throws Exception {
    try (Connection c = db.connect()) {
      String refs = "[{\"issueNumber\":26999,\"keyword\":\"fixes\",\"crossRepo\":null}]";
      assertEquals(1, storeEvidence(c, stringified(refs), "addons/a.py", 3));
      assertEquals(1, storeEvidence(c, stringified(refs), "addons/a.py", 5), "the conflict target updates the row");
      assertEquals("array 26999 5", text(c, "SELECT jsonb_typeof(issue_references) || ' ' || (issue_references -> 0 ->>"
          + " 'issueNumber') || ' ' || heuristic_score FROM wiki_pr_evidence WHERE matched_page_id = ? ORDER BY"
          + " merged_at DESC",
          501));
      assertRefused(c, "23514", "wiki_pr_evidence_issue_references_check", EVIDENCE, 1, "t", null, "a",
          "2026-05-01T00:00:00Z", stringified("{\"issueNumber\":1}"), c.createArrayOf("text", new Object[] {"p"}),
          c.createArrayOf("text", new Object[] {"x"}), c.createArrayOf("int4", new Object[] {1}),
          c.createArrayOf("text", new Object[] {"t"}), c.createArrayOf("float8", new Object[] {1.0}));
      assertRefused(c, "23514", "wiki_pr_evidence_file_path_check", "UPDATE wiki_pr_evidence SET file_path ="
          + " repeat('p', 2001)");
    }
  }

  static final String SUGGESTION = "INSERT INTO wiki_update_suggestions (page_id, page_title, section_heading,"
      + " original_content, suggestion, why_summary, grounding_status, citing_prs, voice_mismatch_warning,"
      + " voice_scores,"
      + " generated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?::jsonb, now())";

  @Test void wikiUpdateSuggestionsAreStoredOncePerSectionAndPublished() throws Exception {
    try (Connection c = db.connect()) {
      String prs = "[{\"prNumber\":27001,\"prTitle\":\"Python 3.12 add-ons\"}]";
      String scores = "{\"overall\":0.82,\"mismatch\":false}";
      for (String status : new String[] {"grounded", "partially-grounded"}) {
        update(c, "DELETE FROM wiki_update_suggestions WHERE page_id = ? AND COALESCE(section_heading, '') ="
            + " ?", 501, "");
        update(c, SUGGESTION, 501, "Add-on development", null, "old", "new", "why", status, stringified(prs), false,
            stringified(scores));
      }
      update(c, SUGGESTION, 501, "Add-on"
          + " development", "Settings", "old", "new", "why", "grounded", stringified(prs), true, null);
      assertEquals("array object 0.82", text(c, "SELECT jsonb_typeof(citing_prs) || ' ' || jsonb_typeof(voice_scores)"
          + " || ' '"
          + " || (voice_scores ->> 'overall') FROM wiki_update_suggestions WHERE section_heading IS NULL"));
      assertEquals("27001", text(c, "SELECT citing_prs -> 0 ->> 'prNumber' FROM wiki_update_suggestions WHERE"
          + " published_at IS NULL"
          + " AND grounding_status IN ('grounded', 'partially-grounded') AND page_id = ANY(?) AND"
          + " voice_mismatch_warning = false"
          + " ORDER BY page_id, section_heading NULLS FIRST", c.createArrayOf("int4", new Object[] {501})));
      assertEquals(2, update(c, "UPDATE wiki_update_suggestions SET published_at = NOW(), published_issue_number = ?,"
          + " published_comment_id = ? WHERE page_id = ? AND published_at IS NULL", 31000, 4_153_840_487L, 501));
      assertRefused(c, "23505", "idx_wiki_update_suggestions_page_section", SUGGESTION, 501, "t", null, "o", "s", "w",
          "grounded", "[]", false, null);
      assertRefused(c, "23514", "wiki_update_suggestions_grounding_status_check", SUGGESTION, 502, "t", null, "o",
          "s", "w",
          "maybe", "[]", false, null);
      assertRefused(c, "23514", "wiki_update_suggestions_citing_prs_check", SUGGESTION, 502, "t", null, "o", "s", "w",
          "grounded", stringified("{}"), false, null);
      assertRefused(c, "23514", "wiki_update_suggestions_voice_scores_check", SUGGESTION, 502, "t", null, "o", "s", "w",
          "grounded", "[]", false, stringified("[0.5]"));
    }
  }

  @Test void wikiStyleCacheTakesTheObjectSqlJsonSendsAndRefusesAString() throws Exception {
    try (Connection c = db.connect()) {
      String cache = "INSERT INTO wiki_style_cache (page_id, page_title, content_hash, style_description, expires_at)"
          + " VALUES (?, ?, ?, ?::jsonb, now() + ?::interval) ON CONFLICT (page_id) DO UPDATE SET page_title ="
          + " EXCLUDED.page_title, content_hash = EXCLUDED.content_hash, style_description ="
          + " EXCLUDED.style_description,"
          + " expires_at = EXCLUDED.expires_at, created_at = now()";
      update(c, cache, 501, "Add-on development", "h1", "{\"tone\":\"neutral\",\"perspective\":\"second\"}", "7 days");
      update(c, cache, 501, "Add-on development", "h2", "{\"tone\":\"formal\"}", "7 days");
      assertEquals("formal", text(c, "SELECT style_description ->> 'tone' FROM wiki_style_cache WHERE page_id = ?"
          + " AND content_hash = ? AND expires_at > now() LIMIT 1", 501, "h2"));
      assertRefused(c, "23514", "wiki_style_cache_style_description_check", cache, 502, "t", "h",
          stringified("{\"tone\":\"x\"}"), "7 days");
    }
  }

  @Test void guardrailAuditStoresTheStringifiedClaimsAsAnArray() throws Exception {
    try (Connection c = db.connect()) {
      String log = "INSERT INTO guardrail_audit (surface, repo, strictness, claims_total, claims_grounded,"
          + " claims_removed,"
          + " claims_ambiguous, llm_fallback_used, response_suppressed, classifier_error, removed_claims, duration_ms)"
          + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?)";
      String claims = "[{\"text\":\"Kodi 22 removed this API\",\"label\":\"external-knowledge\"}]";
      update(c, log, "review", "xbmc/xbmc", "standard", 5, 4, 1, 0, false, false, false, stringified(claims), 120);
      assertEquals("array external-knowledge", text(c, "SELECT jsonb_typeof(removed_claims) || ' ' || (removed_claims"
          + " -> 0"
          + " ->> 'label') FROM guardrail_audit"));
      List<Object[]> bad = new ArrayList<>();
      bad.add(new Object[] {"guardrail_audit_surface_check", "email", "standard", stringified("[]")});
      bad.add(new Object[] {"guardrail_audit_strictness_check", "wiki", "paranoid", stringified("[]")});
      bad.add(new Object[] {"guardrail_audit_removed_claims_check", "wiki", "strict", stringified("{}")});
      for (Object[] b : bad) {
        assertRefused(c, "23514", (String) b[0], log, b[1], "r", b[2], 0, 0, 0, 0, false, false, false, b[3], 1);
      }
    }
  }
}
