// Tests of the stores' upserts on migrations 001-003 (issue 3), on a real PostgreSQL
// with pgvector: each ON CONFLICT against the unique key it targets.

import static org.junit.jupiter.api.Assertions.*;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class SchemaUpsertTest extends SchemaFixtures {
  @RegisterExtension static final FreshDatabase db = new FreshDatabase();

  @BeforeAll static void migrateTheClassDatabase() {
    migrateToLatest(db);
  }

  @Test void globalPatternsCountUpByOne() throws Exception {
    try (Connection c = db.connect()) {
      String upsert = "INSERT INTO global_patterns (severity, category, confidence_band, pattern_fingerprint, count) VALUES ('minor', 'style', 'low', 'fp-upsert', 1)"
          + " ON CONFLICT (severity, category, confidence_band, pattern_fingerprint) DO UPDATE SET count = global_patterns.count + 1 RETURNING count";
      for (int i = 1; i <= 3; i++) assertEquals(i, longOf(c, upsert));
      assertEquals(1, longOf(c, "SELECT count(*) FROM global_patterns WHERE pattern_fingerprint = 'fp-upsert'"));
      // a different band is a different pattern
      assertEquals(1, longOf(c, upsert.replace("'low'", "'high'")));
    }
  }

  @Test void authorCacheRefreshReplacesTheTier() throws Exception {
    try (Connection c = db.connect()) {
      String upsert = "INSERT INTO author_cache (repo, author_login, tier, author_association, pr_count) VALUES ('kodiai/ac', 'hubot', ?, ?, ?)"
          + " ON CONFLICT (repo, author_login) DO UPDATE SET tier = EXCLUDED.tier, author_association = EXCLUDED.author_association,"
          + " pr_count = EXCLUDED.pr_count, cached_at = now() RETURNING id";
      long first = longOf(c, upsert, "first-time", "FIRST_TIME_CONTRIBUTOR", 1);
      exec(c, "UPDATE author_cache SET cached_at = now() - interval '2 days' WHERE id = " + first);
      long second = longOf(c, upsert, "regular", "CONTRIBUTOR", 6);
      assertEquals(first, second, "same row");
      try (Statement st = c.createStatement()) {
        ResultSet rs = st.executeQuery("SELECT tier, author_association, pr_count, cached_at > now() - interval '1 minute' FROM author_cache WHERE repo = 'kodiai/ac'");
        assertTrue(rs.next());
        assertEquals("regular", rs.getString(1));
        assertEquals("CONTRIBUTOR", rs.getString(2));
        assertEquals(6, rs.getInt(3));
        assertTrue(rs.getBoolean(4), "cached_at refreshed");
        assertFalse(rs.next());
      }
    }
  }

  @Test void runStateIsIdempotentAndTransitionsFromPending() throws Exception {
    try (Connection c = db.connect(); Statement st = c.createStatement()) {
      String claim = "INSERT INTO run_state (run_key, repo, pr_number, base_sha, head_sha, delivery_id, action) VALUES (?, 'kodiai/rs', 9, 'b', ?, ?, 'synchronize')"
          + " ON CONFLICT (run_key) DO NOTHING";
      assertEquals(1, update(c, claim, "kodiai/rs#9@h1", "h1", "d-10"));
      assertEquals(0, update(c, claim, "kodiai/rs#9@h1", "h1", "d-10-redelivered"), "a redelivered webhook claims nothing");
      assertEquals(1, update(c, claim, "kodiai/rs#9@h2", "h2", "d-11"));
      // the newer head supersedes the older pending run; then the newer completes
      assertEquals(1, st.executeUpdate("UPDATE run_state SET status = 'superseded', superseded_by = 'kodiai/rs#9@h2', completed_at = now()"
          + " WHERE repo = 'kodiai/rs' AND pr_number = 9 AND status = 'pending' AND run_key <> 'kodiai/rs#9@h2'"));
      assertEquals(1, st.executeUpdate("UPDATE run_state SET status = 'completed', completed_at = now() WHERE run_key = 'kodiai/rs#9@h2' AND status = 'pending'"));
      ResultSet rs = st.executeQuery("SELECT string_agg(run_key || '=' || status || ':' || coalesce(superseded_by, '-'), ' ' ORDER BY run_key) FROM run_state WHERE repo = 'kodiai/rs'");
      rs.next();
      assertEquals("kodiai/rs#9@h1=superseded:kodiai/rs#9@h2 kodiai/rs#9@h2=completed:-", rs.getString(1));
      assertCheckViolation(c, "UPDATE run_state SET status = 'cancelled' WHERE run_key = 'kodiai/rs#9@h2'");
    }
  }

  @Test void reviewCheckpointIsReplacedPerReviewOutputKey() throws Exception {
    try (Connection c = db.connect()) {
      String save = "INSERT INTO review_checkpoints (review_output_key, repo, pr_number, checkpoint_data, partial_comment_id) VALUES ('rok-replace', 'kodiai/cp', 3, ?, ?)"
          + " ON CONFLICT (review_output_key) DO UPDATE SET checkpoint_data = EXCLUDED.checkpoint_data, partial_comment_id = EXCLUDED.partial_comment_id,"
          + " created_at = now()";
      update(c, save, "{\"filesReviewed\": [\"a\"]}", null);
      update(c, save, "{\"filesReviewed\": [\"a\", \"b\"]}", BIG_ID);
      try (Statement st = c.createStatement()) {
        ResultSet rs = st.executeQuery("SELECT count(*), max(jsonb_array_length(checkpoint_data::jsonb -> 'filesReviewed')), max(partial_comment_id) FROM review_checkpoints WHERE review_output_key = 'rok-replace'");
        rs.next();
        assertEquals(1, rs.getInt(1));
        assertEquals(2, rs.getInt(2));
        assertEquals(BIG_ID, rs.getLong(3));
      }
    }
  }

  @Test void feedbackReactionsIgnoreDuplicates() throws Exception {
    try (Connection c = db.connect()) {
      long review = insertReview(c, "kodiai/fr", 4);
      long finding = insertFinding(c, review, "Off-by-one in pager", BIG_ID);
      assertEquals(1, insertReaction(c, "kodiai/fr", review, finding, BIG_ID, BIG_ID + 7, "+1"));
      assertEquals(0, insertReaction(c, "kodiai/fr", review, finding, BIG_ID, BIG_ID + 7, "+1"), "same reaction again: nothing");
      assertEquals(1, insertReaction(c, "kodiai/fr", review, finding, BIG_ID, BIG_ID + 8, "-1"), "another reaction on the same comment");
      assertEquals(2, longOf(c, "SELECT count(*) FROM feedback_reactions WHERE repo = 'kodiai/fr'"));
      assertEquals(1, longOf(c, "SELECT count(*) FROM feedback_reactions WHERE repo = 'kodiai/fr' AND title = 'Off-by-one in pager' AND reaction_content = '-1'"));
    }
  }

  @Test void telemetryIsExactlyOncePerDeliveryWhenTheDeliveryIsKnown() throws Exception {
    try (Connection c = db.connect()) {
      // The partial unique index needs its predicate in the conflict target for PostgreSQL to infer it.
      String rate = "INSERT INTO rate_limit_events (delivery_id, repo, event_type, cache_hit_rate, skipped_queries, retry_attempts, degradation_path)"
          + " VALUES (?, 'kodiai/tel', ?, 0.5, 0, 0, 'none') ON CONFLICT (delivery_id, event_type) WHERE delivery_id IS NOT NULL DO NOTHING";
      assertEquals(1, update(c, rate, "d-rl", "search"));
      assertEquals(0, update(c, rate, "d-rl", "search"));
      assertEquals(1, update(c, rate, "d-rl", "code_search"), "same delivery, other event");
      assertEquals(1, update(c, rate, null, "search"));
      assertEquals(1, update(c, rate, null, "search"), "without a delivery id nothing is deduplicated");
      assertEquals(4, longOf(c, "SELECT count(*) FROM rate_limit_events WHERE repo = 'kodiai/tel'"));

      String quality = "INSERT INTO retrieval_quality_events (delivery_id, repo, event_type, result_count) VALUES (?, 'kodiai/tel', 'review', 3)"
          + " ON CONFLICT (delivery_id) WHERE delivery_id IS NOT NULL DO NOTHING";
      assertEquals(1, update(c, quality, "d-rq"));
      assertEquals(0, update(c, quality, "d-rq"));
      assertEquals(1, update(c, quality, (Object) null));
      assertEquals(1, update(c, quality, (Object) null));
      // a plain INSERT of a duplicate is rejected by the index
      SQLException e = assertThrows(SQLException.class, () -> exec(c,
          "INSERT INTO retrieval_quality_events (delivery_id, repo, event_type, result_count) VALUES ('d-rq', 'kodiai/tel', 'review', 3)"));
      assertEquals("23505", e.getSQLState());

      String resilience = "INSERT INTO resilience_events (delivery_id, repo, event_type, kind) VALUES ('d-res', 'kodiai/tel', 'timeout', ?)"
          + " ON CONFLICT (delivery_id) DO UPDATE SET kind = EXCLUDED.kind";
      update(c, resilience, "checkpoint");
      update(c, resilience, "retry");
      assertEquals(1, longOf(c, "SELECT count(*) FROM resilience_events WHERE delivery_id = 'd-res' AND kind = 'retry'"));

      String bump = "INSERT INTO dep_bump_merge_history (repo, pr_number, merged_at) VALUES ('kodiai/tel', 77, ?::timestamptz)"
          + " ON CONFLICT (repo, pr_number) DO UPDATE SET merged_at = EXCLUDED.merged_at";
      update(c, bump, (Object) null);
      update(c, bump, "2025-01-02T03:04:05Z");
      assertEquals(1, longOf(c, "SELECT count(*) FROM dep_bump_merge_history WHERE repo = 'kodiai/tel' AND merged_at = '2025-01-02T03:04:05Z'"));

      String memory = "INSERT INTO learning_memories (repo, owner, finding_id, source_repo, finding_text, severity, category, file_path, outcome, embedding_model, embedding_dim)"
          + " VALUES ('kodiai/tel', 'kodiai', 5, 'kodiai/tel', 'x', 'minor', 'style', 'a', ?, 'voyage-code-3', 1024)"
          + " ON CONFLICT (repo, finding_id, outcome) DO NOTHING";
      assertEquals(1, update(c, memory, "accepted"));
      assertEquals(0, update(c, memory, "accepted"));
      assertEquals(1, update(c, memory, "thumbs_up"), "another outcome of the same finding");
    }
  }
}
