// Issue 23, conversions of slice B's grown tables and kodiai's later changes to the foundation
// (migrations/from-kodiai/<F>, the conversions of every kodiai file one of our migrations declares, joined in
// header order as the runner joins them): our 057 (kodiai 033, the canonical code corpus), 058 (034 + 052, the
// review graph), 064 (041 + 044, resilience_events' columns), 065 (032 + 040, bigint GitHub ids) and 066 (007,
// 045-054's indexes); and our 067, 068, which carry no kodiai file and run as they are on a converted database.
// Each: kodiai's tables as its runner leaves them (bench/KodiaiFixture, KodiaiFixtureGraph) become exactly what
// our migration makes (the catalog at that version), every row kept; run twice changes nothing; a row our
// CHECKs refuse stops the run at its VALIDATE with the rows untouched; an online one cut midway resumes.

import static org.junit.jupiter.api.Assertions.*;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class AdoptGraphTest extends AdoptSupport {
  /** The foundation tables our 063-068 change. */
  static final List<String> FOUNDATION = List.of("resilience_events", "learning_memories", "telemetry_events",
      "feedback_reactions", "rate_limit_events", "findings", "reviews", "suppression_log", "review_checkpoints",
      "dep_bump_merge_history");
  /** The tables of our 050-065 that our 066 indexes. */
  static final List<String> INDEXED = List.of("issue_triage_state", "issues", "issue_comments", "review_clusters",
      "review_cluster_assignments", "prompt_section_events", "review_cache_events", "review_graph_nodes",
      "review_graph_edges");

  /** The SQL `up` runs for our migration `version`: its kodiai files' conversions joined, the kit in place. */
  static String conversionOf(int version) { return AdoptSliceATablesTest.conversionOf(version); }

  /** Runs `sql` as the runner runs a file: in one transaction, or statement by statement if it says so. */
  static void run(Connection c, String sql, boolean transactional) throws SQLException {
    if (transactional) {
      c.setAutoCommit(false);
      try (Statement st = c.createStatement()) {
        st.execute(sql);
        c.commit();
      } catch (SQLException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
      return;
    }
    try (Statement st = c.createStatement()) {
      st.execute("DISCARD TEMP; RESET lock_timeout");
      for (var s : MigrationSource.split(sql)) st.execute(s.sql());
    }
  }

  static void convert(Connection c, int version) throws Exception {
    String sql = conversionOf(version);
    run(c, sql, !MigrationSource.hasNoTransactionMarker(sql));
  }

  static void ours(Connection c, int version) throws Exception {
    var m = MigrationSource.load(dir).byVersion(version);
    run(c, m.sql(), m.transactional());
  }

  /** Each table's catalog on a database of ours migrated to `version`. */
  static Map<String, List<String>> oursAt(String hint, int version, List<String> tables) throws Exception {
    Map<String, List<String>> out = new java.util.TreeMap<>();
    withDatabase(hint, url -> {
      Migrations.run(url, dir, version);
      try (Connection c = DbClient.open(url)) {
        for (String t : tables) out.put(t, AdoptStateTablesTest.catalogOf(c, t));
      }
    });
    return out;
  }

  static Map<String, List<String>> catalogs(Connection c, List<String> tables) throws SQLException {
    Map<String, List<String>> out = new java.util.TreeMap<>();
    for (String t : tables) out.put(t, AdoptStateTablesTest.catalogOf(c, t));
    return out;
  }

  /** Fails with the lines that differ (ours -, converted +), table by table. */
  static void assertCatalogs(Map<String, List<String>> ours, Map<String, List<String>> converted, String what) {
    List<String> diff = new ArrayList<>();
    for (String t : ours.keySet()) {
      for (String l : ours.get(t)) if (!converted.get(t).contains(l)) diff.add("- " + l);
      for (String l : converted.get(t)) if (!ours.get(t).contains(l)) diff.add("+ " + l);
    }
    assertEquals(List.of(), diff, what);
  }

  static Map<String, List<String>> withoutStart(Map<String, List<String>> catalogs) {
    Map<String, List<String>> out = new java.util.TreeMap<>();
    catalogs.forEach((t, lines) -> out.put(t, lines.stream().map(l -> l.replaceFirst("^(sequence .*) start=\\d+",
        "$1")).toList()));
    return out;
  }

  static List<String> both(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }

  /** Timeout classifications as the bot writes them (NULL where the review did not time out). */
  static final String RESILIENCE = """
      INSERT INTO resilience_events (delivery_id, repo, event_type, kind, checkpoint_files_inspected,
        timeout_classification, timeout_classification_mode, timeout_classification_reasons)
      SELECT 'tc-' || g, 'o/r', 'review', 'timeout', CASE WHEN g % 3 = 0 THEN NULL ELSE g END,
        (ARRAY['expected-bounded-outcome', 'hard-failure', 'unknown', NULL])[g % 4 + 1],
        (ARRAY['bounded-partial-timeout', 'retry-failed', 'unknown-malformed-evidence', NULL])[g % 4 + 1],
        CASE WHEN g % 4 = 3 THEN '{}' ELSE ARRAY['r' || g, 'slow'] END
      FROM generate_series(1, 12) g
      """;

  /**
   * A database kodiai's runner built (bench/KodiaiFixture, with resilience rows), taken by `up` through the runner to
   * our 063: the foundation by from-kodiai/001-003, every later kodiai file by its conversion, our own migrations as
   * they are. The tests convert 064-066 from there by hand, statement by statement.
   */
  static void convertedTo063(String url, Connection c) throws Exception {
    kodiaiDatabase(url, 20);
    try (Statement st = c.createStatement()) { st.execute(RESILIENCE); }
    AdoptSupport.convert(url);
    ourLaterMigrations(url, 63);
  }

  @Test
  void theFoundationsLaterFilesBecomeOur064To066AndOur067And068RunOnIt() throws Exception {
    List<String> at66 = both(FOUNDATION, INDEXED);
    Map<String, List<String>> ours66 = oursAt("adoptg66ours", 66, at66);
    Map<String, List<String>> ours68 = oursAt("adoptg68ours", 68, FOUNDATION);
    withDatabase("adoptg66", url -> {
      Map<String, KodiaiAdoption.TableSum> before;
      try (Connection c = DbClient.open(url)) {
        convertedTo063(url, c);
        before = KodiaiAdoption.sums(c);
        for (int pass = 1; pass <= 2; pass++) {
          for (int v = 64; v <= 66; v++) convert(c, v);
          assertCatalogs(ours66, catalogs(c, at66), "as our 066 leaves them (pass " + pass + ")");
        }
        assertSameRows(before, KodiaiAdoption.sums(c));
        ours(c, 67);
        ours(c, 68);
        // 068 starts reviews' new identity where the old sequence stopped (on any database with reviews)
        assertCatalogs(withoutStart(ours68), withoutStart(catalogs(c, FOUNDATION)),
            "our 067 and 068 on the converted tables: as ours at 068");
        assertEquals("2147483601", AdoptSliceATablesTest.one(c.createStatement(), "INSERT INTO reviews (repo,"
            + " pr_number) VALUES ('o/r', 1) RETURNING id"), "the review ids continue kodiai's");
        assertEquals("12 3", AdoptSliceATablesTest.one(c.createStatement(), "SELECT count(*) || ' ' ||"
            + " count(*) FILTER (WHERE timeout_classification = 'unknown') FROM resilience_events WHERE"
            + " delivery_id LIKE 'tc-%'"), "kodiai's classifications kept");
      }
    });
  }

  @Test
  void aTimeoutClassificationOurCheckRefusesStops064AtItsValidateWithTheRowsUntouched() throws Exception {
    withDatabase("adoptg64bad", url -> {
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        convertedTo063(url, c);
        st.execute("INSERT INTO resilience_events (delivery_id, repo, event_type, kind, timeout_classification)"
            + " VALUES ('bad', 'o/r', 'review', 'timeout', 'slow')"); // kodiai's text column takes any word
        String rows = AdoptStateTablesTest.rowsOf(c, "resilience_events");
        SQLException e = assertThrows(SQLException.class, () -> convert(c, 64));
        assertTrue(e.getMessage().contains("resilience_events_timeout_classification_check"), e.getMessage());
        assertEquals(rows, AdoptStateTablesTest.rowsOf(c, "resilience_events"), "no row changed");
        String valid = "SELECT string_agg(conname || '=' || convalidated, ' ' ORDER BY conname) FROM pg_constraint"
            + " WHERE conrelid = 'resilience_events'::regclass AND contype = 'c' AND conname LIKE '%timeout%'";
        assertEquals("resilience_events_timeout_classification_check=false"
            + " resilience_events_timeout_classification_mode_check=false", AdoptSliceATablesTest.one(st, valid),
            "left NOT VALID: the bot's new writes are checked");
        st.execute("UPDATE resilience_events SET timeout_classification = 'unknown' WHERE delivery_id = 'bad'");
        convert(c, 64);
        assertEquals("resilience_events_timeout_classification_check=true"
            + " resilience_events_timeout_classification_mode_check=true", AdoptSliceATablesTest.one(st, valid),
            "run again once the row is fixed");
      }
    });
  }

  /**
   * Runs the statements of `sql` before the first that contains `text`; that one is cancelled midway, while it
   * waits for a transaction of the bot's that writes to `table` (a concurrent build or drop waits for it).
   */
  static void cutAt(Connection c, String url, String sql, String text, String table) throws SQLException {
    try (Statement st = c.createStatement(); Connection bot = DbClient.open(url); Statement b = bot.createStatement()) {
      st.execute("DISCARD TEMP; RESET lock_timeout");
      for (var s : MigrationSource.split(sql)) {
        if (!s.sql().contains(text)) {
          st.execute(s.sql());
          continue;
        }
        bot.setAutoCommit(false);
        b.execute("UPDATE " + table + " SET id = id WHERE id = (SELECT min(id) FROM " + table + ")");
        st.execute("SET statement_timeout = '300ms'");
        assertThrows(SQLException.class, () -> st.execute(s.sql()), "cancelled midway: " + text);
        st.execute("RESET statement_timeout");
        bot.rollback();
        return;
      }
    }
    fail("no statement with " + text);
  }

  @Test
  void theIndexConversionCutMidwayResumes() throws Exception {
    Map<String, List<String>> ours66 = oursAt("adoptg66cutours", 66, both(FOUNDATION, INDEXED));
    withDatabase("adoptg66cut", url -> {
      try (Connection c = DbClient.open(url)) {
        convertedTo063(url, c);
        convert(c, 64);
        convert(c, 65);
        // kodiai's form of one of 066's indexes, as a conversion that kept it would leave it (052's drops it)
        c.createStatement().execute("CREATE INDEX IF NOT EXISTS idx_review_clusters_active_repo_member_count"
            + " ON review_clusters (repo, member_count DESC) WHERE retired = false");
        // a concurrent build cancelled (left INVALID), then a concurrent drop of kodiai's index cancelled
        cutAt(c, url, conversionOf(66), "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_learning_memories_cluster",
            "learning_memories");
        assertEquals("1", AdoptSliceATablesTest.one(c.createStatement(), "SELECT count(*) FROM pg_index WHERE NOT"
            + " indisvalid"), "the cut left an INVALID index");
        cutAt(c, url, conversionOf(66), "DROP INDEX CONCURRENTLY IF EXISTS idx_memories_owner_repo_active",
            "learning_memories");
        convert(c, 66);
        assertCatalogs(ours66, catalogs(c, both(FOUNDATION, INDEXED)), "resumed: as our 066 leaves them");
      }
    });
  }

  static final List<String> GRAPH = List.of("review_graph_builds", "review_graph_files", "review_graph_nodes",
      "review_graph_edges");

  /** A graph as the bot writes it: ids near 2^31, REAL confidences (0.9 is 0.89999998 as float4), NULLs. */
  static final String GRAPH_ROWS = """
      INSERT INTO review_graph_builds (id, repo, workspace_key, commit_sha, status, files_indexed, nodes_written)
        VALUES (2147483646, 'o/r', 'ws-1', 'abc', 'completed', 3, 9), (2147483647, 'o/s', 'ws-2', NULL, 'failed', 0, 0);
      SELECT setval('review_graph_builds_id_seq', 2147483650);
      INSERT INTO review_graph_files (repo, workspace_key, path, language, content_hash, build_id)
        SELECT 'o/r', 'ws-1', 'src/f' || g || '.cpp', 'cpp', CASE WHEN g % 2 = 0 THEN md5(g::text) END,
          CASE WHEN g % 3 = 0 THEN NULL ELSE 2147483646 END FROM generate_series(1, 6) g;
      INSERT INTO review_graph_nodes (repo, workspace_key, file_id, build_id, node_kind, stable_key, symbol_name,
          qualified_name, language, span_start_line, span_end_line, signature, attributes, confidence)
        SELECT 'o/r', 'ws-1', 1 + g % 6, CASE WHEN g % 4 <> 0 THEN 2147483646 END,
          (ARRAY['file', 'symbol', 'import', 'callsite', 'test'])[g % 5 + 1], 'k' || g,
          CASE WHEN g % 3 = 0 THEN NULL ELSE 'ns::Template<' || repeat('T', g) || '>' END, NULL, 'cpp',
          CASE WHEN g % 2 = 0 THEN g END, CASE WHEN g % 2 = 0 THEN g + 3 END, NULL,
          CASE WHEN g % 2 = 0 THEN jsonb_build_object('exported', true, 'n', g) ELSE '{}'::jsonb END,
          CASE WHEN g % 5 = 0 THEN NULL ELSE (g % 10) / 10.0 END
        FROM generate_series(1, 40) g;
      INSERT INTO review_graph_edges (repo, workspace_key, file_id, build_id, edge_kind, source_node_id,
          target_node_id, confidence, attributes)
        SELECT 'o/r', 'ws-1', 1 + g % 6, 2147483646, (ARRAY['calls', 'imports', 'contains'])[g % 3 + 1], g, g + 1,
          CASE WHEN g % 4 = 0 THEN NULL ELSE 0.9 END, CASE WHEN g % 3 = 0 THEN '{"w": 1}'::jsonb ELSE '{}' END
        FROM generate_series(1, 30) g;
      DELETE FROM review_graph_edges WHERE id = 30
      """;

  /** Every table's rows, each as text in a form both sides share (REAL as the double it becomes). */
  static List<String> graphRows(Connection c) throws SQLException {
    List<String> out = new ArrayList<>();
    for (String t : GRAPH) {
      boolean real = t.endsWith("nodes") || t.endsWith("edges");
      out.add(rowsAs(c, t, real ? "confidence" : "-", real ? "confidence::float8" : "NULL"));
    }
    return out;
  }

  /** Count and checksum of a table's rows as JSON, the column `col` replaced by `form` (its value in shared form). */
  static String rowsAs(Connection c, String table, String col, String form) throws SQLException {
    try (Statement st = c.createStatement()) {
      return AdoptSliceATablesTest.one(st, "SELECT count(*) || ' ' || md5(string_agg((to_jsonb(r) - '" + col
          + "')::text || ' ' || coalesce(r.shared::text, '-'), '|' ORDER BY r.id)) FROM (SELECT t.*, " + form
          + " AS shared FROM " + table + " t) r");
    }
  }

  /** The graph's catalog without kodiai 045's two indexes, which the conversion keeps for our 066. */
  static Map<String, List<String>> graphCatalog(Connection c) throws SQLException {
    Map<String, List<String>> out = new java.util.TreeMap<>();
    catalogs(c, GRAPH).forEach((t, l) -> out.put(t, l.stream().filter(x -> !x.contains("_workspace_file_id ")).toList()));
    return out;
  }

  @Test
  void theReviewGraphBecomesOur058WithItsRowsOnlineAndTwice() throws Exception {
    Map<String, List<String>> ours = oursAt("adoptg58ours", 58, GRAPH);
    withDatabase("adoptg58", url -> {
      kodiaiDatabase(url, 5);
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        st.execute(GRAPH_ROWS);
        List<String> before = graphRows(c);
        assertTrue(before.get(2).startsWith("40 "), before.toString());
        var sums = KodiaiAdoption.sums(c, KodiaiAdoption.provedTables("058-review-graph.sql"), false);
        assertEquals(GRAPH, List.copyOf(sums.keySet()), "the proof covers the graph");
        for (int pass = 1; pass <= 2; pass++) {
          convert(c, 58);
          assertEquals(before, graphRows(c), "every row kept, confidences as doubles (pass " + pass + ")");
          assertCatalogs(ours, graphCatalog(c), "as our 058 creates it (pass " + pass + ")");
        }
        assertSameRows(sums, KodiaiAdoption.sums(c, GRAPH, false));
        assertEquals(2, catalogs(c, GRAPH).values().stream().flatMap(List::stream)
            .filter(l -> l.startsWith("index ") && l.contains("_workspace_file_id ")).count(), "045's kept for 066");
        assertEquals("2147483651", AdoptSliceATablesTest.one(st, "INSERT INTO review_graph_builds (repo,"
            + " workspace_key) VALUES ('n/r', 'w') RETURNING id"), "the identity continues kodiai's sequence");
        assertEquals("31", AdoptSliceATablesTest.one(st, "INSERT INTO review_graph_edges (repo, workspace_key,"
            + " file_id, edge_kind, source_node_id, target_node_id) VALUES ('o/r', 'ws-1', 1, 'calls', 1, 3)"
            + " RETURNING id"), "past kodiai's deleted id");
        SQLException e = assertThrows(SQLException.class, () -> st.execute("INSERT INTO review_graph_nodes (repo,"
            + " workspace_key, file_id, node_kind, stable_key, language, attributes) VALUES ('o/r', 'ws-1', 1,"
            + " 'symbol', 'x', 'cpp', to_jsonb('{}'::text))"));
        assertTrue(e.getMessage().contains("review_graph_nodes_attributes_check"), e.getMessage());
      }
    });
  }

  @Test
  void aNodeOurChecksRefuseStops058AtItsValidateAndACutConversionResumes() throws Exception {
    Map<String, List<String>> ours = oursAt("adoptg58cutours", 58, GRAPH);
    withDatabase("adoptg58cut", url -> {
      kodiaiDatabase(url, 5);
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        st.execute(GRAPH_ROWS);
        st.execute("UPDATE review_graph_nodes SET attributes = to_jsonb('{\"a\": 1}'::text) WHERE id = 7");
        List<String> before = graphRows(c);
        // cut in the nodes' swap (waiting for the bot's transaction): nothing swapped
        cutAt(c, url, conversionOf(58), "CALL pg_temp.swap('review_graph_nodes'", "review_graph_nodes");
        assertEquals("1", AdoptSliceATablesTest.one(st, "SELECT count(*) FROM pg_attribute WHERE attrelid ="
            + " 'review_graph_nodes'::regclass AND attname = 'confidence_adopt'"), "cut before the swap");
        assertSameRows(KodiaiAdoption.sums(c, GRAPH, false), KodiaiAdoption.sums(c, GRAPH, true)); // before the swap
        SQLException e = assertThrows(SQLException.class, () -> convert(c, 58));
        assertTrue(e.getMessage().contains("review_graph_nodes_attributes_check"), e.getMessage());
        assertEquals(before, graphRows(c), "no row changed");
        assertEquals("f", AdoptSliceATablesTest.one(st, "SELECT convalidated FROM pg_constraint WHERE conname ="
            + " 'review_graph_nodes_attributes_check'"), "left NOT VALID: new writes are checked");
        st.execute("UPDATE review_graph_nodes SET attributes = '{\"a\": 1}' WHERE id = 7");
        // then cut in a concurrent index build (left INVALID), and run again
        cutAt(c, url, conversionOf(58), "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_review_graph_edges_build_id",
            "review_graph_edges");
        convert(c, 58);
        assertCatalogs(ours, graphCatalog(c), "resumed: as our 058 creates it");
      }
    });
  }

  static final List<String> CORPUS = List.of("canonical_code_chunks", "canonical_corpus_backfill_state");

  /** Chunks as the bot writes them: ids near 2^31, vectors and NULLs, deleted and stale rows, a backfill. */
  static final String CHUNKS = """
      INSERT INTO canonical_code_chunks (id, repo, owner, canonical_ref, commit_sha, file_path, language, start_line,
          end_line, chunk_type, symbol_name, chunk_text, content_hash, embedding, embedding_model, stale, deleted_at)
        SELECT 2147483600 + g, 'xbmc/xbmc', 'xbmc', 'master', md5(g::text), 'xbmc/utils/F' || g || '.cpp',
          CASE WHEN g % 5 = 0 THEN 'unknown' ELSE 'cpp' END, g, g + 20,
          (ARRAY['function', 'class', 'method', 'module', 'block'])[g % 5 + 1],
          CASE WHEN g % 5 = 4 THEN NULL ELSE 'ns::Sym' || g END, 'void f' || g || '() { return; } // parse',
          md5('c' || g), CASE WHEN g % 6 = 0 THEN NULL
            ELSE (SELECT array_agg(sin(g * i)::real) FROM generate_series(1, 1024) i)::vector END,
          CASE WHEN g % 6 = 0 THEN NULL ELSE 'voyage-code-3' END, g % 4 = 0,
          CASE WHEN g % 9 = 0 THEN now() END
        FROM generate_series(1, 45) g;
      SELECT setval('canonical_code_chunks_id_seq', 2147483700);
      INSERT INTO canonical_corpus_backfill_state (repo, owner, canonical_ref, run_id, status, files_total, files_done,
          chunks_done, last_file_path, commit_sha)
        VALUES ('xbmc/xbmc', 'xbmc', 'master', 'run-1', 'completed', 10, 10, 45, NULL, 'abc'),
          ('o/r', 'o', 'main', 'run-2', 'partial', NULL, 3, 0, 'src/a.ts', NULL)
      """;

  static List<String> corpusRows(Connection c) throws SQLException {
    return List.of(rowsAs(c, "canonical_code_chunks", "embedding", "embedding::halfvec(1024)"),
        rowsAs(c, "canonical_corpus_backfill_state", "-", "NULL"));
  }

  @Test
  void theCanonicalCorpusBecomesOur057WithItsRowsOnlineAndTwice() throws Exception {
    Map<String, List<String>> ours = oursAt("adoptg57ours", 57, CORPUS);
    withDatabase("adoptg57", url -> {
      kodiaiDatabase(url, 5);
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        st.execute(CHUNKS);
        List<String> before = corpusRows(c);
        assertTrue(before.get(0).startsWith("45 "), before.toString());
        var sums = KodiaiAdoption.sums(c, KodiaiAdoption.provedTables("057-canonical-code-corpus.sql"), false);
        assertEquals(CORPUS, List.copyOf(sums.keySet()), "the proof covers the corpus");
        for (int pass = 1; pass <= 2; pass++) {
          convert(c, 57);
          assertEquals(before, corpusRows(c), "every row kept, vectors as halfvec (pass " + pass + ")");
          assertCatalogs(ours, catalogs(c, CORPUS), "as our 057 creates it (pass " + pass + ")");
        }
        assertSameRows(sums, KodiaiAdoption.sums(c, CORPUS, false));
        assertEquals("2147483701 'let':1 'pars':3 'x':2", AdoptSliceATablesTest.one(st, "INSERT INTO canonical_code_chunks (repo,"
            + " owner, canonical_ref, commit_sha, file_path, start_line, end_line, chunk_text, content_hash, embedding)"
            + " VALUES ('o/r', 'o', 'main', 'c', 'a.ts', 1, 2, 'let x; // parsing', 'h', array_fill(0.5, ARRAY[1024])"
            + "::vector) RETURNING id || ' ' || tsv::text"), "the identity continues; tsv kept by the trigger");
        assertEquals("p", AdoptSliceATablesTest.one(st, "SELECT attstorage FROM pg_attribute WHERE attrelid ="
            + " 'canonical_code_chunks'::regclass AND attname = 'embedding'"), "stored inline, as ours (not in the catalog"
            + " lines)");
        assertEquals("main", AdoptSliceATablesTest.one(st, "SELECT canonical_ref FROM canonical_code_chunks ORDER BY"
            + " embedding <=> array_fill(0.5, ARRAY[1024])::vector LIMIT 1"), "the bot's nearest-chunk query");
        SQLException e = assertThrows(SQLException.class, () -> st.execute("INSERT INTO canonical_code_chunks (repo,"
            + " owner, canonical_ref, commit_sha, file_path, start_line, end_line, chunk_text, content_hash) VALUES"
            + " ('o/r', 'o', 'main', 'c', 'b.ts', 5, 2, 'x', 'h')"));
        assertTrue(e.getMessage().contains("canonical_code_chunks_lines_check"), e.getMessage());
      }
    });
  }

  @Test
  void aBackfillOurChecksRefuseStops057AtItsValidateAndACutConversionResumes() throws Exception {
    Map<String, List<String>> ours = oursAt("adoptg57cutours", 57, CORPUS);
    withDatabase("adoptg57cut", url -> {
      kodiaiDatabase(url, 5);
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        st.execute(CHUNKS);
        st.execute("UPDATE canonical_corpus_backfill_state SET status = 'done' WHERE run_id = 'run-2'");
        List<String> before = corpusRows(c);
        // cut in the vector batches (a chunk the bot is writing holds its row), then in the swap
        cutAt(c, url, conversionOf(57), "CALL pg_temp.prepare('canonical_code_chunks'", "canonical_code_chunks");
        cutAt(c, url, conversionOf(57), "CALL pg_temp.swap('canonical_code_chunks'", "canonical_code_chunks");
        assertEquals("1", AdoptSliceATablesTest.one(st, "SELECT count(*) FROM pg_attribute WHERE attrelid ="
            + " 'canonical_code_chunks'::regclass AND attname = 'embedding_adopt'"), "cut before the swap");
        assertSameRows(KodiaiAdoption.sums(c, CORPUS, false), KodiaiAdoption.sums(c, CORPUS, true)); // before the swap
        SQLException e = assertThrows(SQLException.class, () -> convert(c, 57));
        assertTrue(e.getMessage().contains("canonical_corpus_backfill_state_status_check"), e.getMessage());
        assertEquals(before, corpusRows(c), "no row changed");
        st.execute("UPDATE canonical_corpus_backfill_state SET status = 'completed' WHERE run_id = 'run-2'");
        cutAt(c, url, conversionOf(57), "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_canonical_chunks_embedding",
            "canonical_code_chunks");
        convert(c, 57);
        assertEquals(before.get(0), corpusRows(c).get(0), "every chunk kept");
        assertCatalogs(ours, catalogs(c, CORPUS), "resumed: as our 057 creates it");
      }
    });
  }
}
