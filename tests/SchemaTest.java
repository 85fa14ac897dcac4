// Tests of migrations 001-003 (issue 3) on a real PostgreSQL with pgvector:
// rollback exactness per migration, down 0, SchemaCheck (passes, and catches each
// kind of break), realistic rows of every store, the stores' upserts, full text,
// the HNSW nearest-memory query, exact money.

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.pgvector.PGvector;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

class SchemaTest {
  @RegisterExtension static final FreshDatabase db = new FreshDatabase();

  static final long BIG_ID = 4_153_840_487L; // a real-world GitHub id above 2^31-1
  static final int LATEST = 3;

  /** The working tree's migrations/ when the tests run from the repo (so edits are tested), else the bundled copy. */
  static Path dir;

  @BeforeAll static void migrateMainDatabase() {
    for (Path p = Path.of("").toAbsolutePath(); p != null && dir == null; p = p.getParent())
      if (Files.exists(p.resolve("migrations/001-initial-schema.sql"))) dir = p.resolve("migrations");
    assertEquals(LATEST, migrate.runMigrations(db.url(), dir, null), "001-003 applied to the class's database");
  }

  // ====================================================================== migrations

  /** For N = 0, 1, 2: schema(up to N) == schema(up to N, up to N+1, down to N); and N+1 really differs. */
  @ParameterizedTest(name = "migration {0} -> {0}+1 -> {0}")
  @ValueSource(ints = {0, 1, 2})
  void rollingBackMigrationNPlusOneRestoresTheSchemaOfN(int n) throws Exception {
    withDatabase("roundtrip" + n, url -> {
      if (n > 0) assertEquals(n, migrate.runMigrations(url, dir, n));
      List<String> atN = snapshot(url);
      assertEquals(1, migrate.runMigrations(url, dir, n + 1));
      List<String> atNext = snapshot(url);
      assertNotEquals(atN, atNext, "migration " + (n + 1) + " changes the schema");
      assertEquals(1, migrate.runRollback(url, dir, n));
      List<String> back = snapshot(url);
      assertEquals("", CatalogSnapshot.diff(atN, back), "schema after down " + n + " vs. before up " + (n + 1));
      assertEquals(atN, back);
      // and the migration applies again on top of its own rollback
      assertEquals(1, migrate.runMigrations(url, dir, n + 1));
      assertEquals("", CatalogSnapshot.diff(atNext, snapshot(url)));
    });
  }

  @Test void downZeroLeavesAnEmptyDatabase() throws Exception {
    withDatabase("downzero", url -> {
      List<String> empty = snapshot(url);
      assertEquals(LATEST, migrate.runMigrations(url, dir, null));
      assertEquals(LATEST, migrate.runRollback(url, dir, 0));
      assertEquals("", CatalogSnapshot.diff(empty, snapshot(url)));
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        assertEquals(0, count(st, "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace"), "relations");
        assertEquals(0, count(st, "SELECT count(*) FROM pg_proc WHERE pronamespace = 'public'::regnamespace"), "functions");
        assertEquals(0, count(st, "SELECT count(*) FROM pg_type WHERE typnamespace = 'public'::regnamespace"), "types");
        assertEquals(0, count(st, "SELECT count(*) FROM pg_extension WHERE extname <> 'plpgsql'"), "extensions");
      }
    });
  }

  /** down 2 removes exactly 003's objects (and SchemaCheck then misses exactly those); up restores them. */
  @Test void downTwoRemovesExactlyTheFullTextObjects() throws Exception {
    withDatabase("downtwo", url -> {
      migrate.runMigrations(url, dir, null);
      List<String> at3 = snapshot(url);
      assertEquals(1, migrate.runRollback(url, dir, 2));
      List<String> at2 = snapshot(url);
      List<String> removed = at3.stream().filter(l -> !at2.contains(l)).toList();
      assertTrue(at2.stream().allMatch(at3::contains), "down 2 only removes: " + CatalogSnapshot.diff(at3, at2));
      assertEquals(10, removed.size(), "2 columns, 2 GIN indexes, 2 triggers, 2 functions, 2 comments: " + removed);
      for (String kind : List.of("column ", "index ", "trigger ", "function ", "comment "))
        assertEquals(2, removed.stream().filter(l -> l.startsWith(kind)).count(), kind + "lines in " + removed);
      assertTrue(removed.stream().allMatch(l -> l.contains("search_tsv")), removed.toString());
      try (Connection c = DbClient.open(url)) {
        List<String> failures = SchemaCheck.check(c);
        assertFalse(failures.isEmpty());
        assertTrue(failures.stream().allMatch(l -> l.contains("search_tsv")), "only 003's objects are missing: " + failures);
      }
      assertEquals(1, migrate.runMigrations(url, dir, null));
      assertEquals("", CatalogSnapshot.diff(at3, snapshot(url)));
      try (Connection c = DbClient.open(url)) {
        assertEquals(List.of(), SchemaCheck.check(c));
      }
    });
  }

  /** A table made by kodiai's earlier runner (id, name, applied_at) gets the new columns from 001 itself. */
  @Test void migrationsTableOfTheEarlierRunnerIsUpgradedBy001() throws Exception {
    List<String> expected;
    try (Connection c = db.connect()) {
      expected = snapshot(c).stream().filter(l -> l.contains("_migrations")).toList();
    }
    withDatabase("oldrunner", url -> {
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        st.execute("CREATE TABLE _migrations (id serial PRIMARY KEY, name text NOT NULL UNIQUE, applied_at timestamptz NOT NULL DEFAULT now())");
        st.execute("INSERT INTO _migrations (name) VALUES ('000-earlier.sql')");
        st.execute(Files.readString(migrationFile("001-initial-schema.sql")));
        assertEquals(expected, snapshot(c).stream().filter(l -> l.contains("_migrations")).toList());
        ResultSet rs = st.executeQuery("SELECT name, status, checksum FROM _migrations");
        assertTrue(rs.next());
        assertEquals("000-earlier.sql", rs.getString(1));
        assertEquals("applied", rs.getString(2), "old rows count as applied");
        assertNull(rs.getString(3), "old rows have no checksum");
      }
    });
  }

  // ====================================================================== SchemaCheck

  @Test void schemaCheckHoldsOnAMigratedDatabaseAndLeavesNoProbeRows() throws Exception {
    try (Connection c = db.connect(); Statement st = c.createStatement()) {
      long before = count(st, "SELECT (SELECT count(*) FROM reviews) + (SELECT count(*) FROM findings) + (SELECT count(*) FROM learning_memories)");
      SchemaCheck.Report r = SchemaCheck.run(c);
      assertEquals(List.of(), r.failures());
      assertTrue(r.lines().size() > 290, "one line per expectation: " + r.lines().size());
      assertTrue(r.lines().contains("OK   index idx_learning_memories_embedding_hnsw m: 16"));
      assertTrue(c.getAutoCommit(), "autocommit restored");
      assertEquals(before, count(st, "SELECT (SELECT count(*) FROM reviews) + (SELECT count(*) FROM findings) + (SELECT count(*) FROM learning_memories)"),
          "the trigger probe rolls its rows back");
    }
  }

  @Test void schemaCheckExitCodes() throws Exception {
    assertEquals(0, schemaCheckExit(db.url()));
    assertEquals(2, schemaCheckExit("mysql://nope"));
    assertEquals(3, schemaCheckExit("postgresql://nobody@127.0.0.1:1/nowhere"));
    withDatabase("checkexit", url -> assertEquals(1, schemaCheckExit(url), "an empty database fails"));
  }

  static Stream<Arguments> breaks() {
    String sev = "CHECK ((severity = ANY (ARRAY['critical'::text, 'major'::text, 'medium'::text, 'minor'::text])))";
    return Stream.of(
        Arguments.of("GitHub id column as integer", "ALTER TABLE findings ALTER COLUMN comment_id TYPE integer",
            List.of("WRONG column findings.comment_id: expected bigint, found integer")),
        Arguments.of("NOT NULL dropped", "ALTER TABLE reviews ALTER COLUMN repo DROP NOT NULL",
            List.of("WRONG column reviews.repo: expected not null, found nullable")),
        Arguments.of("default dropped", "ALTER TABLE run_state ALTER COLUMN status DROP DEFAULT",
            List.of("WRONG column run_state.status: expected default 'pending'::text, found no default")),
        Arguments.of("column dropped", "ALTER TABLE resilience_events DROP COLUMN retry_has_results",
            List.of("MISSING column resilience_events.retry_has_results boolean")),
        Arguments.of("partial unique index dropped", "DROP INDEX idx_rate_limit_events_delivery_event",
            List.of("MISSING index idx_rate_limit_events_delivery_event on rate_limit_events UNIQUE USING btree (delivery_id, event_type) WHERE (delivery_id IS NOT NULL)")),
        Arguments.of("partial unique index made total", "DROP INDEX idx_retrieval_quality_events_delivery_id;"
                + " CREATE UNIQUE INDEX idx_retrieval_quality_events_delivery_id ON retrieval_quality_events (delivery_id)",
            List.of("WRONG index idx_retrieval_quality_events_delivery_id on retrieval_quality_events: expected UNIQUE USING btree (delivery_id) WHERE (delivery_id IS NOT NULL), found UNIQUE USING btree (delivery_id)")),
        Arguments.of("unique constraint dropped", "ALTER TABLE feedback_reactions DROP CONSTRAINT feedback_reactions_reaction_key",
            List.of("MISSING constraint feedback_reactions.feedback_reactions_reaction_key UNIQUE (repo, comment_id, reaction_id)")),
        Arguments.of("FK without ON DELETE CASCADE", "ALTER TABLE findings DROP CONSTRAINT findings_review_id_fkey;"
                + " ALTER TABLE findings ADD CONSTRAINT findings_review_id_fkey FOREIGN KEY (review_id) REFERENCES reviews (id)",
            List.of("WRONG constraint findings.findings_review_id_fkey: expected FOREIGN KEY (review_id) REFERENCES reviews(id) ON DELETE CASCADE, found FOREIGN KEY (review_id) REFERENCES reviews(id)")),
        Arguments.of("enum CHECK dropped", "ALTER TABLE findings DROP CONSTRAINT findings_severity_check",
            List.of("MISSING constraint findings.findings_severity_check " + sev)),
        Arguments.of("FK index dropped", "DROP INDEX idx_findings_review_id",
            List.of("MISSING index idx_findings_review_id on findings USING btree (review_id)")),
        Arguments.of("HNSW rebuilt with m = 8", "DROP INDEX idx_learning_memories_embedding_hnsw;"
                + " CREATE INDEX idx_learning_memories_embedding_hnsw ON learning_memories USING hnsw (embedding vector_cosine_ops) WITH (m = 8, ef_construction = 64)",
            List.of("WRONG index idx_learning_memories_embedding_hnsw m: expected 16, found 8")),
        Arguments.of("HNSW with ef_construction = 32", "DROP INDEX idx_learning_memories_embedding_hnsw;"
                + " CREATE INDEX idx_learning_memories_embedding_hnsw ON learning_memories USING hnsw (embedding vector_cosine_ops) WITH (ef_construction = 32)",
            List.of("WRONG index idx_learning_memories_embedding_hnsw ef_construction: expected 64, found 32")),
        Arguments.of("HNSW on L2 distance", "DROP INDEX idx_learning_memories_embedding_hnsw;"
                + " CREATE INDEX idx_learning_memories_embedding_hnsw ON learning_memories USING hnsw (embedding vector_l2_ops) WITH (m = 16, ef_construction = 64)",
            List.of("WRONG index idx_learning_memories_embedding_hnsw operator class: expected vector_cosine_ops, found vector_l2_ops")),
        Arguments.of("IVFFlat instead of HNSW", "DROP INDEX idx_learning_memories_embedding_hnsw;"
                + " CREATE INDEX idx_learning_memories_embedding_hnsw ON learning_memories USING ivfflat (embedding vector_cosine_ops)",
            List.of("WRONG index idx_learning_memories_embedding_hnsw method: expected hnsw, found ivfflat")),
        Arguments.of("HNSW dropped", "DROP INDEX idx_learning_memories_embedding_hnsw",
            List.of("MISSING index idx_learning_memories_embedding_hnsw on learning_memories USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)")),
        Arguments.of("GIN index dropped", "DROP INDEX idx_findings_search_tsv",
            List.of("MISSING index idx_findings_search_tsv on findings USING gin (search_tsv)")),
        Arguments.of("trigger dropped", "DROP TRIGGER findings_search_tsv_trigger ON findings",
            List.of("MISSING trigger findings.findings_search_tsv_trigger BEFORE INSERT OR UPDATE OF title, search_tsv ON findings FOR EACH ROW EXECUTE FUNCTION findings_search_tsv_update()",
                "WRONG trigger findings_search_tsv_trigger fires: after INSERT, search_tsv does not match a word of title")),
        Arguments.of("trigger disabled", "ALTER TABLE learning_memories DISABLE TRIGGER learning_memories_search_tsv_trigger",
            List.of("WRONG trigger learning_memories.learning_memories_search_tsv_trigger: expected BEFORE INSERT OR UPDATE OF finding_text, search_tsv ON learning_memories FOR EACH ROW EXECUTE FUNCTION learning_memories_search_tsv_update(), found BEFORE INSERT OR UPDATE OF finding_text, search_tsv ON learning_memories FOR EACH ROW EXECUTE FUNCTION learning_memories_search_tsv_update() (disabled: tgenabled = D)",
                "WRONG trigger learning_memories_search_tsv_trigger fires: after INSERT, search_tsv does not match a word of finding_text")),
        Arguments.of("trigger on INSERT only", "DROP TRIGGER learning_memories_search_tsv_trigger ON learning_memories;"
                + " CREATE TRIGGER learning_memories_search_tsv_trigger BEFORE INSERT ON learning_memories FOR EACH ROW EXECUTE FUNCTION learning_memories_search_tsv_update()",
            List.of("WRONG trigger learning_memories.learning_memories_search_tsv_trigger: expected BEFORE INSERT OR UPDATE OF finding_text, search_tsv ON learning_memories FOR EACH ROW EXECUTE FUNCTION learning_memories_search_tsv_update(), found BEFORE INSERT ON learning_memories FOR EACH ROW EXECUTE FUNCTION learning_memories_search_tsv_update()",
                "WRONG trigger learning_memories_search_tsv_trigger fires: after UPDATE OF finding_text, search_tsv does not match the new word")),
        Arguments.of("trigger function that does nothing", "CREATE OR REPLACE FUNCTION findings_search_tsv_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
            List.of("WRONG trigger findings_search_tsv_trigger fires: after INSERT, search_tsv does not match a word of title")),
        Arguments.of("tsvector column dropped", "ALTER TABLE findings DROP COLUMN search_tsv CASCADE",
            List.of("MISSING column findings.search_tsv tsvector", "MISSING index idx_findings_search_tsv", "MISSING trigger findings.findings_search_tsv_trigger",
                "WRONG trigger findings_search_tsv_trigger fires: probe row failed")));
  }

  /** Each break is made inside a transaction that is rolled back, so every case starts from the full schema. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("breaks")
  void schemaCheckReportsExactlyWhatIsBroken(String name, String sql, List<String> expected) throws Exception {
    List<String> failures = brokenBy(sql);
    assertEquals(expected.size(), failures.size(), "failures: " + failures);
    for (int i = 0; i < expected.size(); i++)
      assertTrue(failures.get(i).startsWith(expected.get(i)), "expected " + expected.get(i) + "\n   found " + failures.get(i));
  }

  @Test void schemaCheckReportsTheExtensionVersion() throws Exception {
    try (Connection c = db.connect(); Statement st = c.createStatement()) {
      ResultSet rs = st.executeQuery("SELECT rolsuper FROM pg_roles WHERE rolname = current_user");
      assumeTrue(rs.next() && rs.getBoolean(1), "faking an old extension version needs a superuser");
    }
    // pgvector ships no 0.7 install script to downgrade to: rewrite the catalog inside a rolled-back transaction.
    assertEquals(List.of("WRONG extension vector: expected version >= 0.8.0, found 0.7.4"),
        brokenBy("UPDATE pg_extension SET extversion = '0.7.4' WHERE extname = 'vector'"));
    assertTrue(SchemaCheck.atLeast("0.8.0", SchemaCheck.MIN_VECTOR_VERSION));
    assertTrue(SchemaCheck.atLeast("0.10.1", SchemaCheck.MIN_VECTOR_VERSION));
    assertFalse(SchemaCheck.atLeast("0.7.4", SchemaCheck.MIN_VECTOR_VERSION));
  }

  /** Every table, dropped: reported as MISSING, and nothing else but what went with it (FKs to it, the probes that write it). */
  @Test void schemaCheckReportsEachMissingTable() throws Exception {
    for (SchemaCheck.Table t : SchemaCheck.TABLES) {
      List<String> failures = brokenBy("DROP TABLE " + t.name() + " CASCADE");
      assertTrue(failures.stream().anyMatch(l -> l.startsWith("MISSING table " + t.name() + " (")), t.name() + ": " + failures);
      Predicate<String> explained = l -> l.startsWith("MISSING table " + t.name() + " (")
          || (l.startsWith("MISSING constraint ") && l.contains("REFERENCES " + t.name() + "("))
          || (l.contains("_search_tsv_trigger fires") && List.of("reviews", "findings", "learning_memories").contains(t.name()));
      assertEquals(List.of(), failures.stream().filter(explained.negate()).toList(), "unrelated failures after dropping " + t.name());
    }
    assertEquals(15, SchemaCheck.TABLES.size(), "_migrations and the 14 tables");
  }

  // ====================================================================== the stores' rows

  @Test void realisticRowsOfEveryStoreRoundTrip() throws Exception {
    try (Connection c = db.connect()) {
      long review = insertReview(c, "kodiai/xbmc", 27001);
      long finding = insertFinding(c, review, "Unbounded recursion in parser", BIG_ID);
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO suppression_log (review_id, pattern, matched_count, finding_ids) VALUES (?, 'docs/**', 2, ?::jsonb)")) {
        ps.setLong(1, review);
        ps.setString(2, "[" + finding + ", 9007199254740993]");
        ps.executeUpdate();
      }
      insertReaction(c, "kodiai/xbmc", review, finding, BIG_ID, BIG_ID + 1, "+1");
      exec(c, "INSERT INTO dep_bump_merge_history (repo, pr_number, merged_at, delivery_id, source, signals_json, package_name, old_version, new_version,"
          + " semver_bump_type, merge_confidence_level, merge_confidence_rationale_json, advisory_status, advisory_max_severity, is_security_bump)"
          + " VALUES ('kodiai/xbmc', 27002, now(), 'd-1', 'dependabot', '{\"lockfile\": true, \"files\": [\"go.sum\"]}', 'golang.org/x/net', '0.17.0', '0.23.0',"
          + " 'minor', 'high', '[\"patch notes clean\", \"CI green\"]', 'fixed', 'high', true)");
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO review_checkpoints (review_output_key, repo, pr_number, checkpoint_data, partial_comment_id) VALUES ('rok-1', 'kodiai/xbmc', 27001, ?::jsonb, ?)")) {
        ps.setString(1, "{\"filesReviewed\": [\"a.cpp\", \"b.cpp\"], \"findingCount\": 3, \"summaryDraft\": \"ünïcödé ✓\"}");
        ps.setLong(2, BIG_ID);
        ps.executeUpdate();
      }
      exec(c, "INSERT INTO telemetry_events (delivery_id, repo, pr_number, pr_author, event_type, model, input_tokens, output_tokens, cache_read_tokens,"
          + " cache_creation_tokens, duration_ms, cost_usd, conclusion, session_id, num_turns, stop_reason)"
          + " VALUES ('d-1', 'kodiai/xbmc', 27001, 'octocat', 'pull_request.opened', 'claude-sonnet-4', 182345, 4211, 90000, 1200, 93000, 0.6104325, 'success', 's-1', 12, 'end_turn')");
      exec(c, "INSERT INTO rate_limit_events (delivery_id, repo, pr_number, event_type, cache_hit_rate, skipped_queries, retry_attempts, degradation_path)"
          + " VALUES ('d-1', 'kodiai/xbmc', 27001, 'search', 0.75, 2, 1, 'cache-only')");
      exec(c, "INSERT INTO retrieval_quality_events (delivery_id, repo, pr_number, event_type, top_k, distance_threshold, result_count, avg_distance, language_match_ratio, threshold_method)"
          + " VALUES ('d-1', 'kodiai/xbmc', 27001, 'review', 10, 0.3, 7, 0.21, 0.857142857142857, 'adaptive')");
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO resilience_events (delivery_id, repo, pr_number, pr_author, event_type, kind, parent_delivery_id,"
          + " review_output_key, execution_conclusion, had_inline_output, checkpoint_files_reviewed, checkpoint_finding_count, checkpoint_total_files,"
          + " partial_comment_id, recent_timeouts, chronic_timeout, retry_enqueued, retry_files_count, retry_scope_ratio, retry_timeout_seconds,"
          + " retry_risk_level, retry_checkpoint_enabled, retry_has_results) VALUES ('d-2', 'kodiai/xbmc', 27001, 'octocat', 'timeout', 'retry', 'd-1',"
          + " 'rok-1', 'timeout', true, 12, 3, 40, ?, 2, false, true, 28, 0.7, 600, 'medium', true, false)")) {
        ps.setLong(1, BIG_ID);
        ps.executeUpdate();
      }
      exec(c, "INSERT INTO run_state (run_key, repo, pr_number, base_sha, head_sha, delivery_id, action) VALUES ('kodiai/xbmc#27001@abc', 'kodiai/xbmc', 27001, 'base', 'abc', 'd-1', 'opened')");
      exec(c, "INSERT INTO author_cache (repo, author_login, tier, author_association, pr_count) VALUES ('kodiai/xbmc', 'octocat', 'regular', 'CONTRIBUTOR', 14)");
      exec(c, "INSERT INTO global_patterns (severity, category, confidence_band, pattern_fingerprint, count) VALUES ('major', 'correctness', 'high', 'fp-recursion', 1)");
      float[] e = unitVector(new Random(1));
      long memory = insertMemory(c, "kodiai/xbmc", finding, "Unbounded recursion in parser", e, false);

      try (Statement st = c.createStatement()) {
        ResultSet rs = st.executeQuery("SELECT f.comment_id, r.comment_id, r.reaction_id FROM findings f JOIN feedback_reactions r ON r.finding_id = f.id WHERE f.id = " + finding);
        assertTrue(rs.next());
        assertEquals(BIG_ID, rs.getLong(1));
        assertEquals(BIG_ID, rs.getLong(2));
        assertEquals(BIG_ID + 1, rs.getLong(3));
        rs = st.executeQuery("SELECT finding_ids -> 1, jsonb_array_length(finding_ids) FROM suppression_log WHERE review_id = " + review);
        assertTrue(rs.next());
        assertEquals("9007199254740993", rs.getString(1), "jsonb keeps big integers exactly");
        assertEquals(2, rs.getInt(2));
        rs = st.executeQuery("SELECT checkpoint_data ->> 'summaryDraft', (checkpoint_data -> 'filesReviewed') ->> 1, partial_comment_id FROM review_checkpoints WHERE review_output_key = 'rok-1'");
        assertTrue(rs.next());
        assertEquals("ünïcödé ✓", rs.getString(1));
        assertEquals("b.cpp", rs.getString(2));
        assertEquals(BIG_ID, rs.getLong(3));
        rs = st.executeQuery("SELECT signals_json -> 'files' ->> 0, is_security_bump FROM dep_bump_merge_history WHERE pr_number = 27002");
        assertTrue(rs.next());
        assertEquals("go.sum", rs.getString(1));
        assertTrue(rs.getBoolean(2));
        rs = st.executeQuery("SELECT partial_comment_id, had_inline_output, retry_scope_ratio FROM resilience_events WHERE delivery_id = 'd-2'");
        assertTrue(rs.next());
        assertEquals(BIG_ID, rs.getLong(1));
        assertTrue(rs.getBoolean(2));
        assertEquals(0.7, rs.getDouble(3));
        rs = st.executeQuery("SELECT embedding, vector_dims(embedding), stale, created_at <= now() FROM learning_memories WHERE id = " + memory);
        assertTrue(rs.next());
        assertArrayEquals(e, ((PGvector) rs.getObject(1)).toArray());
        assertEquals(1024, rs.getInt(2));
        assertFalse(rs.getBoolean(3), "stale defaults to false");
        assertTrue(rs.getBoolean(4), "created_at defaults to now()");
        rs = st.executeQuery("SELECT status, completed_at FROM run_state WHERE run_key = 'kodiai/xbmc#27001@abc'");
        assertTrue(rs.next());
        assertEquals("pending", rs.getString(1));
        assertNull(rs.getObject(2));
        assertEquals(14, count(st, "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' AND relname <> '_migrations'"));
      }
    }
  }

  @Test void documentedValuesAndCountersAreEnforced() throws Exception {
    try (Connection c = db.connect()) {
      long review = insertReview(c, "kodiai/checks", 1);
      assertCheckViolation(c, "INSERT INTO findings (review_id, file_path, severity, category, confidence, title) VALUES (" + review + ", 'a', 'blocker', 'style', 1, 't')");
      assertCheckViolation(c, "INSERT INTO findings (review_id, file_path, severity, category, confidence, title) VALUES (" + review + ", 'a', 'minor', 'taste', 1, 't')");
      long finding = insertFinding(c, review, "t", null);
      assertCheckViolation(c, "INSERT INTO feedback_reactions (repo, review_id, finding_id, comment_id, comment_surface, reaction_id, reaction_content, reactor_login,"
          + " severity, category, file_path, title) VALUES ('r', " + review + ", " + finding + ", 1, 's', 1, 'heart', 'u', 'minor', 'style', 'a', 't')");
      assertCheckViolation(c, "INSERT INTO learning_memories (repo, owner, source_repo, finding_text, severity, category, file_path, outcome, embedding_model, embedding_dim)"
          + " VALUES ('r', 'o', 'r', 't', 'minor', 'style', 'a', 'ignored', 'm', 1024)");
      assertCheckViolation(c, "INSERT INTO learning_memories (repo, owner, source_repo, finding_text, severity, category, file_path, outcome, embedding_model, embedding_dim, embedding)"
          + " VALUES ('r', 'o', 'r', 't', 'minor', 'style', 'a', 'accepted', 'm', 512, array_fill(0.1, ARRAY[1024])::vector)");
      assertCheckViolation(c, "INSERT INTO run_state (run_key, repo, pr_number, base_sha, head_sha, delivery_id, action, status) VALUES ('k-bad', 'r', 1, 'b', 'h', 'd', 'a', 'done')");
      assertCheckViolation(c, "UPDATE reviews SET findings_total = -1 WHERE id = " + review);
      assertCheckViolation(c, "INSERT INTO telemetry_events (repo, event_type, model, conclusion, cost_usd) VALUES ('r', 'e', 'm', 'ok', -0.01)");
      assertCheckViolation(c, "INSERT INTO suppression_log (review_id, pattern, finding_ids) VALUES (" + review + ", 'p', '{\"not\": \"an array\"}')");
      SQLException e = assertThrows(SQLException.class, () -> exec(c,
          "INSERT INTO findings (review_id, file_path, severity, category, confidence, title) VALUES (-42, 'a', 'minor', 'style', 1, 't')"));
      assertEquals("23503", e.getSQLState(), "findings.review_id must reference a review");
    }
  }

  @Test void deletingAReviewCascadesToItsFindingsLogAndReactionsButNotToMemories() throws Exception {
    try (Connection c = db.connect(); Statement st = c.createStatement()) {
      long review = insertReview(c, "kodiai/purge", 5);
      long finding = insertFinding(c, review, "Leaked file handle", 11L);
      exec(c, "INSERT INTO suppression_log (review_id, pattern, finding_ids) VALUES (" + review + ", 'p', '[]')");
      insertReaction(c, "kodiai/purge", review, finding, 11L, 12L, "-1");
      long memory = insertMemory(c, "kodiai/purge", finding, "Leaked file handle", unitVector(new Random(2)), false);
      assertEquals(1, st.executeUpdate("DELETE FROM reviews WHERE id = " + review));
      assertEquals(0, count(st, "SELECT count(*) FROM findings WHERE review_id = " + review));
      assertEquals(0, count(st, "SELECT count(*) FROM suppression_log WHERE review_id = " + review));
      assertEquals(0, count(st, "SELECT count(*) FROM feedback_reactions WHERE review_id = " + review));
      assertEquals(1, count(st, "SELECT count(*) FROM learning_memories WHERE id = " + memory), "memories outlive purged reviews");
    }
  }

  // ====================================================================== upserts (ON CONFLICT on each unique key)

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
      String save = "INSERT INTO review_checkpoints (review_output_key, repo, pr_number, checkpoint_data, partial_comment_id) VALUES ('rok-replace', 'kodiai/cp', 3, ?::jsonb, ?)"
          + " ON CONFLICT (review_output_key) DO UPDATE SET checkpoint_data = EXCLUDED.checkpoint_data, partial_comment_id = EXCLUDED.partial_comment_id,"
          + " created_at = now()";
      update(c, save, "{\"filesReviewed\": [\"a\"]}", null);
      update(c, save, "{\"filesReviewed\": [\"a\", \"b\"]}", BIG_ID);
      try (Statement st = c.createStatement()) {
        ResultSet rs = st.executeQuery("SELECT count(*), max(jsonb_array_length(checkpoint_data -> 'filesReviewed')), max(partial_comment_id) FROM review_checkpoints WHERE review_output_key = 'rok-replace'");
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

  // ====================================================================== full text

  @Test void fullTextFindsAFindingByAWordOfItsTitleAndFollowsAnUpdate() throws Exception {
    try (Connection c = db.connect()) {
      long review = insertReview(c, "kodiai/fts", 8);
      long finding = insertFinding(c, review, "SQL injection in login handler", null);
      String search = "SELECT f.id FROM findings f JOIN reviews r ON r.id = f.review_id"
          + " WHERE r.repo = 'kodiai/fts' AND f.search_tsv @@ websearch_to_tsquery('english', ?)";
      assertEquals(List.of(finding), ids(c, search, "injection"));
      assertEquals(List.of(finding), ids(c, search, "injections"), "stemmed: injections ~ injection");
      assertEquals(List.of(finding), ids(c, search, "login handler"));
      assertEquals(List.of(), ids(c, search, "race"));
      exec(c, "UPDATE findings SET title = 'Race condition in session cache' WHERE id = " + finding);
      assertEquals(List.of(finding), ids(c, search, "race"));
      assertEquals(List.of(), ids(c, search, "injection"), "the old title no longer matches");
      exec(c, "UPDATE findings SET suppressed = true WHERE id = " + finding);
      assertEquals(List.of(finding), ids(c, search, "race"), "other updates keep the vector");
      exec(c, "UPDATE findings SET search_tsv = to_tsvector('english', 'bogus') WHERE id = " + finding);
      assertEquals(List.of(finding), ids(c, search, "race"), "a direct write is recomputed from the title");

      long memory = insertMemory(c, "kodiai/fts", finding, "Use parameterized queries instead of string concatenation", null, false);
      String mem = "SELECT id FROM learning_memories WHERE repo = 'kodiai/fts' AND search_tsv @@ websearch_to_tsquery('english', ?)";
      assertEquals(List.of(memory), ids(c, mem, "parameterized concatenation"));
      exec(c, "UPDATE learning_memories SET finding_text = 'Close the file handle' WHERE id = " + memory);
      assertEquals(List.of(), ids(c, mem, "concatenation"));
      assertEquals(List.of(memory), ids(c, mem, "handles"));
    }
  }

  /** 003 fills search_tsv for the rows that exist when it runs. */
  @Test void rowsThatExistWhen003RunsGetTheirSearchVector() throws Exception {
    withDatabase("backfill", url -> {
      assertEquals(2, migrate.runMigrations(url, dir, 2));
      try (Connection c = DbClient.open(url)) {
        long review = insertReview(c, "kodiai/old", 1);
        insertFinding(c, review, "Deadlock between writer threads", null);
        insertMemory(c, "kodiai/old", 1L, "Deadlock between writer threads", unitVector(new Random(3)), false);
      }
      assertEquals(1, migrate.runMigrations(url, dir, null));
      try (Connection c = DbClient.open(url)) {
        assertEquals(1, longOf(c, "SELECT count(*) FROM findings WHERE search_tsv @@ websearch_to_tsquery('english', 'deadlocks')"));
        assertEquals(1, longOf(c, "SELECT count(*) FROM learning_memories WHERE search_tsv @@ websearch_to_tsquery('english', 'writer')"));
      }
    });
  }

  // ====================================================================== vector search

  /**
   * The store's main query, on a few hundred rows. At this size the planner rightly
   * prefers reading the repo's rows and sorting them, so the test turns off the
   * seq-scan, bitmap-scan and sort alternatives (SET LOCAL, this transaction only) to
   * show that the HNSW index can serve exactly this query shape (<=> matches
   * vector_cosine_ops; ORDER BY distance LIMIT k). Measured here: from about 5,000
   * memories the planner picks the HNSW index unaided (issue 6 benchmarks it).
   */
  @Test void nearestMemoriesOfARepoUseTheHnswIndexAndComeNearestFirst() throws Exception {
    try (Connection c = db.connect()) {
      Random rnd = new Random(42);
      float[] q = unitVector(rnd);
      c.setAutoCommit(false);
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO learning_memories (repo, owner, finding_id, source_repo, finding_text, severity, category,"
          + " file_path, outcome, embedding_model, embedding_dim, embedding, stale) VALUES (?, 'nn', ?, ?, 'memory', 'minor', 'style', 'a.ts', 'accepted', 'voyage-code-3', 1024, ?, ?)")) {
        for (int i = 0; i < 240; i++) {
          String repo = "nn/r" + (i % 3);
          ps.setString(1, repo);
          ps.setLong(2, 1000 + i);
          ps.setString(3, repo);
          ps.setObject(4, new PGvector(unitVector(rnd)));
          ps.setBoolean(5, i % 10 == 0);
          ps.addBatch();
        }
        ps.executeBatch();
      }
      long exactButStale = insertMemory(c, "nn/r1", 1L, "stale twin", q, true);
      long exactOtherRepo = insertMemory(c, "nn/r2", 2L, "other repo twin", q, false);
      long near = insertMemory(c, "nn/r1", 3L, "near", perturb(q, 0.02f, rnd), false);
      long farther = insertMemory(c, "nn/r1", 4L, "farther", perturb(q, 0.2f, rnd), false);
      c.commit();
      exec(c, "ANALYZE learning_memories");
      c.commit();

      String nearest = "SELECT id, embedding <=> ? AS distance FROM learning_memories WHERE repo = ? AND NOT stale ORDER BY embedding <=> ? LIMIT ?";
      exec(c, "SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off; SET LOCAL enable_sort = off");
      try (PreparedStatement ps = c.prepareStatement("EXPLAIN " + nearest)) {
        bindNearest(ps, q, "nn/r1", 5);
        StringBuilder plan = new StringBuilder();
        ResultSet rs = ps.executeQuery();
        while (rs.next()) plan.append(rs.getString(1)).append('\n');
        assertTrue(plan.toString().contains("Index Scan using idx_learning_memories_embedding_hnsw"), plan.toString());
      }
      List<Long> got = new ArrayList<>();
      List<Double> distances = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement(nearest)) {
        bindNearest(ps, q, "nn/r1", 5);
        ResultSet rs = ps.executeQuery();
        while (rs.next()) { got.add(rs.getLong(1)); distances.add(rs.getDouble(2)); }
      }
      c.rollback();
      assertEquals(5, got.size(), "k rows");
      assertEquals(near, got.get(0), "the nearest non-stale memory of the repo comes first");
      assertEquals(farther, got.get(1));
      assertFalse(got.contains(exactButStale), "stale memories are excluded");
      assertFalse(got.contains(exactOtherRepo), "other repos' memories are excluded");
      for (int i = 1; i < distances.size(); i++) assertTrue(distances.get(i - 1) <= distances.get(i), "ascending distance: " + distances);
    }
  }

  // ====================================================================== money

  @Test void costsAddUpExactly() throws Exception {
    try (Connection c = db.connect(); Statement st = c.createStatement()) {
      // 100,000 calls at 0.1 USD and 100,000 at 0.0000031 USD (a few tokens): binary floating point drifts on both.
      st.executeUpdate("INSERT INTO telemetry_events (repo, event_type, model, conclusion, cost_usd)"
          + " SELECT 'kodiai/money', 'call', CASE WHEN g % 2 = 0 THEN 'opus' ELSE 'haiku' END, 'ok', CASE WHEN g % 2 = 0 THEN 0.1 ELSE 0.0000031 END"
          + " FROM generate_series(1, 200000) g");
      ResultSet rs = st.executeQuery("SELECT model, sum(cost_usd), sum(cost_usd::double precision) FROM telemetry_events WHERE repo = 'kodiai/money' GROUP BY model ORDER BY model");
      assertTrue(rs.next());
      assertEquals("haiku", rs.getString(1));
      assertEquals(0, new BigDecimal("0.31").compareTo(rs.getBigDecimal(2)), "haiku: " + rs.getBigDecimal(2));
      assertNotEquals(0.31, rs.getDouble(3), "the same sum in double precision is not exact (what REAL would have given)");
      assertTrue(rs.next());
      assertEquals(0, new BigDecimal("10000").compareTo(rs.getBigDecimal(2)), "opus: " + rs.getBigDecimal(2));
      assertNotEquals(10000.0, rs.getDouble(3));
      rs = st.executeQuery("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'telemetry_events'::regclass AND attname = 'cost_usd'");
      rs.next();
      assertEquals("numeric(18,10)", rs.getString(1));
    }
  }

  // ====================================================================== helpers

  interface UrlBody { void run(String url) throws Exception; }

  /** Runs body against a new, empty database, dropped afterwards. */
  static void withDatabase(String hint, UrlBody body) throws Exception {
    String name = FreshDatabase.create(hint);
    try {
      body.run(FreshDatabase.urlFor(name));
    } finally {
      FreshDatabase.drop(name);
    }
  }

  static Path migrationFile(String name) {
    Path base = dir != null ? dir : Path.of("migrations");
    return base.resolve(name);
  }

  static List<String> snapshot(String url) throws SQLException {
    try (Connection c = DbClient.open(url)) { return snapshot(c); }
  }

  static List<String> snapshot(Connection c) throws SQLException { return CatalogSnapshot.take(c); }

  /** SchemaCheck's failures after `sql`, in a transaction that is then rolled back. */
  static List<String> brokenBy(String sql) throws SQLException {
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      try {
        try (Statement st = c.createStatement()) { st.execute(sql); }
        return SchemaCheck.check(c);
      } finally {
        c.rollback();
      }
    }
  }

  static int schemaCheckExit(String url) {
    PrintStream out = System.out, err = System.err;
    try {
      System.setOut(new PrintStream(new ByteArrayOutputStream()));
      System.setErr(new PrintStream(new ByteArrayOutputStream()));
      return new CommandLine(new SchemaCheck()).execute(url);
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }

  static long insertReview(Connection c, String repo, int pr) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO reviews (repo, pr_number, head_sha, delivery_id, files_analyzed, lines_changed, findings_major,"
        + " findings_total, config_snapshot, duration_ms, model, conclusion) VALUES (?, ?, 'f00dbabe', 'delivery-' || ?, 12, 345, 1, 1, ?::jsonb, 93000, 'claude-sonnet-4', 'success') RETURNING id")) {
      ps.setString(1, repo);
      ps.setInt(2, pr);
      ps.setInt(3, pr);
      ps.setString(4, "{\"review\": {\"severity\": {\"minLevel\": \"medium\"}, \"maxComments\": 7}}");
      ResultSet rs = ps.executeQuery();
      rs.next();
      return rs.getLong(1);
    }
  }

  static long insertFinding(Connection c, long review, String title, Long commentId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO findings (review_id, file_path, start_line, end_line, severity, category, confidence, title,"
        + " comment_id, comment_surface, review_output_key) VALUES (?, 'xbmc/utils/StringUtils.cpp', 120, 134, 'major', 'correctness', 82, ?, ?, 'inline', 'rok') RETURNING id")) {
      ps.setLong(1, review);
      ps.setString(2, title);
      ps.setObject(3, commentId);
      ResultSet rs = ps.executeQuery();
      rs.next();
      return rs.getLong(1);
    }
  }

  /** As the store writes reactions: ignore a reaction it has already recorded. Returns rows inserted. */
  static int insertReaction(Connection c, String repo, long review, long finding, long commentId, long reactionId, String content) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO feedback_reactions (repo, review_id, finding_id, comment_id, comment_surface, reaction_id,"
        + " reaction_content, reactor_login, reacted_at, severity, category, file_path, title)"
        + " SELECT ?, ?, f.id, ?, 'inline', ?, ?, 'octocat', now(), f.severity, f.category, f.file_path, f.title FROM findings f WHERE f.id = ?"
        + " ON CONFLICT (repo, comment_id, reaction_id) DO NOTHING")) {
      ps.setString(1, repo);
      ps.setLong(2, review);
      ps.setLong(3, commentId);
      ps.setLong(4, reactionId);
      ps.setString(5, content);
      ps.setLong(6, finding);
      return ps.executeUpdate();
    }
  }

  static long insertMemory(Connection c, String repo, Long finding, String text, float[] embedding, boolean stale) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO learning_memories (repo, owner, finding_id, review_id, source_repo, finding_text, severity, category,"
        + " file_path, outcome, embedding_model, embedding_dim, embedding, stale) VALUES (?, split_part(?, '/', 1), ?, NULL, ?, ?, 'major', 'correctness',"
        + " 'src/a.ts', 'thumbs_up', 'voyage-code-3', 1024, ?, ?) RETURNING id")) {
      ps.setString(1, repo);
      ps.setString(2, repo);
      ps.setObject(3, finding);
      ps.setString(4, repo);
      ps.setString(5, text);
      ps.setObject(6, embedding == null ? null : new PGvector(embedding));
      ps.setBoolean(7, stale);
      ResultSet rs = ps.executeQuery();
      rs.next();
      return rs.getLong(1);
    }
  }

  static void bindNearest(PreparedStatement ps, float[] q, String repo, int k) throws SQLException {
    ps.setObject(1, new PGvector(q));
    ps.setString(2, repo);
    ps.setObject(3, new PGvector(q));
    ps.setInt(4, k);
  }

  static float[] unitVector(Random rnd) {
    float[] v = new float[1024];
    double n = 0;
    for (int i = 0; i < v.length; i++) { v[i] = (float) rnd.nextGaussian(); n += v[i] * v[i]; }
    for (int i = 0; i < v.length; i++) v[i] /= (float) Math.sqrt(n);
    return v;
  }

  static float[] perturb(float[] q, float amount, Random rnd) {
    float[] noise = unitVector(rnd), v = new float[q.length];
    for (int i = 0; i < q.length; i++) v[i] = q[i] + amount * noise[i];
    return v;
  }

  static void exec(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement()) { st.execute(sql); }
  }

  static int update(Connection c, String sql, Object... params) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) ps.setObject(i + 1, params[i]);
      return ps.executeUpdate();
    }
  }

  static long longOf(Connection c, String sql, Object... params) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) ps.setObject(i + 1, params[i]);
      ResultSet rs = ps.executeQuery();
      assertTrue(rs.next(), "a row from " + sql);
      return rs.getLong(1);
    }
  }

  static List<Long> ids(Connection c, String sql, String param) throws SQLException {
    List<Long> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, param);
      ResultSet rs = ps.executeQuery();
      while (rs.next()) out.add(rs.getLong(1));
    }
    return out;
  }

  static long count(Statement st, String sql) throws SQLException {
    try (ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  static void assertCheckViolation(Connection c, String sql) {
    SQLException e = assertThrows(SQLException.class, () -> exec(c, sql), sql);
    assertEquals("23514", e.getSQLState(), "a CHECK constraint rejects: " + sql + " (" + e.getMessage() + ")");
  }
}
