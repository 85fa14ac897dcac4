// Tests of the tables of issue 21's slice B (migrations 050-066) on a real PostgreSQL with
// pgvector: per table, the statements kodiai's stores send (restated here with the same parameter
// shapes: vectors as '[...]' text cast with ::vector, JSON as the text the stock driver sends),
// the values they read back, and the CHECKs refusing what the code never writes.

import static org.junit.jupiter.api.Assertions.*;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class KodiaiSliceBStoreQueriesTest extends SchemaFixtures {
  @RegisterExtension static final FreshDatabase db = new FreshDatabase();

  @BeforeAll static void migrateTheClassDatabase() {
    migrateToLatest(db);
  }

  /** What the stores send for a vector: float32ArrayToVectorString, text cast with ::vector. */
  static String vec(float[] v) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < v.length; i++) sb.append(i == 0 ? "" : ",").append(v[i]);
    return sb.append(']').toString();
  }

  /** What stock postgres.js stores for `${JSON.stringify(x)}` in a jsonb column: the text as a JSON string. */
  static String stockJson(String jsonText) {
    return "to_jsonb('" + jsonText.replace("'", "''") + "'::text)";
  }

  static String stringOf(Connection c, String sql, Object... params) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) ps.setObject(i + 1, params[i]);
      ResultSet rs = ps.executeQuery();
      assertTrue(rs.next(), "a row from " + sql);
      return rs.getString(1);
    }
  }

  @Test void contributorProfilesUpsertScoreAndCascade() throws Exception {
    try (Connection c = db.connect()) {
      String upsert = "INSERT INTO contributor_profiles (github_username, slack_user_id, display_name) VALUES (?, ?, ?)"
          + " ON CONFLICT (github_username) DO UPDATE SET slack_user_id = EXCLUDED.slack_user_id, updated_at = now()"
          + " RETURNING id";
      long id = longOf(c, upsert, "octocat", "U1", "Octo Cat");
      assertEquals(id, longOf(c, upsert, "octocat", "U2", "Octo Cat"), "one profile per login");
      update(c, "UPDATE contributor_profiles SET overall_tier = ?, overall_score = ?, last_scored_at = now(), "
          + "trust_marker = ?"
          + " WHERE id = ?", "established", 0.8125, "calibrated-v3", id);
      String expertise = "INSERT INTO contributor_expertise (profile_id, dimension, topic, score, raw_signals, "
          + "last_active)"
          + " VALUES (?, ?, ?, ?, ?, now()) ON CONFLICT (profile_id, dimension, topic) DO UPDATE SET"
          + " score = EXCLUDED.score, raw_signals = contributor_expertise.raw_signals + EXCLUDED.raw_signals, "
          + "updated_at = now()";
      update(c, expertise, id, "language", "cpp", 0.5, 3);
      update(c, expertise, id, "language", "cpp", 0.75, 2);
      update(c, expertise, id, "file_area", "xbmc/cores", 0.25, 1);
      assertEquals("0.75 5", stringOf(c, "SELECT score || ' ' || raw_signals FROM contributor_expertise WHERE "
          + "topic = 'cpp'"));
      assertEquals("established 0.8125 U2", stringOf(c, "SELECT overall_tier || ' ' || overall_score || ' ' || "
          + "slack_user_id"
          + " FROM contributor_profiles WHERE github_username = 'octocat'"));
      assertCheckViolation(c, "UPDATE contributor_profiles SET overall_tier = 'guru' WHERE id = " + id);
      assertCheckViolation(c, "INSERT INTO contributor_expertise (profile_id, dimension, topic) VALUES "
          + "(" + id + ", 'color', 'x')");
      assertCheckViolation(c, "INSERT INTO contributor_expertise (profile_id, dimension, topic, raw_signals) "
          + "VALUES (" + id + ", 'language', 'go', -1)");
      exec(c, "DELETE FROM contributor_profiles WHERE id = " + id);
      assertEquals(0, longOf(c, "SELECT count(*) FROM contributor_expertise"), "expertise goes with its profile");
    }
  }

  @Test void reviewClustersNearestActiveCentroidAndRunState() throws Exception {
    Random rnd = new Random(21);
    float[] a = unitVector(rnd), b = unitVector(rnd);
    try (Connection c = db.connect()) {
      String upsert = "INSERT INTO review_clusters (repo, slug, label, centroid, member_count, "
          + "member_count_at_label, file_paths)"
          + " VALUES (?, ?, ?, ?::vector, ?, ?, ?::text[]) ON CONFLICT (repo, slug) DO UPDATE SET label = "
          + "EXCLUDED.label,"
          + " centroid = EXCLUDED.centroid, member_count = EXCLUDED.member_count, updated_at = now() RETURNING id";
      long ca = longOf(c, upsert, "kodiai/xbmc", "null-checks", "Null checks", vec(a), 12, 12, "{a.cpp,b.cpp}");
      long cb = longOf(c, upsert, "kodiai/xbmc", "leaks", "Leaks", vec(b), 5, 5, "{}");
      assertEquals(ca, longOf(c, upsert, "kodiai/xbmc", "null-checks", "Null pointer checks", vec(a), 13, 12, "{}"));
      exec(c, "UPDATE review_clusters SET retired = true WHERE id = " + cb);
      String nearest = "SELECT rc.id FROM review_clusters rc WHERE rc.repo = ? AND rc.retired = false AND "
          + "rc.centroid IS NOT NULL"
          + " ORDER BY rc.centroid <=> ?::vector LIMIT 1";
      assertEquals(ca, longOf(c, nearest, "kodiai/xbmc", vec(b)), "a retired cluster is never the nearest");
      // the assignment's FK: a review comment of slice A's table (an id past 2^31)
      exec(c, "INSERT INTO review_comments (id, repo, owner, pr_number, comment_github_id, thread_id, author_login,"
          + " body, chunk_index, chunk_text, token_count, github_created_at) VALUES (4153840487, 'kodiai/xbmc', 'kodiai',"
          + " 1, 1, 't1', 'a', 'b', 0, 'b', 1, now())");
      exec(c, "INSERT INTO review_cluster_assignments (cluster_id, review_comment_id, probability) VALUES "
          + "(" + ca + ", 4153840487, 0.9)"
          + " ON CONFLICT (cluster_id, review_comment_id) DO NOTHING");
      exec(c, "INSERT INTO review_cluster_assignments (cluster_id, review_comment_id, probability) VALUES "
          + "(" + ca + ", 4153840487, 0.2)"
          + " ON CONFLICT (cluster_id, review_comment_id) DO NOTHING");
      assertEquals("0.9", stringOf(c, "SELECT string_agg(probability::text, ',') FROM review_cluster_assignments"));
      assertCheckViolation(c, "INSERT INTO review_cluster_assignments (cluster_id, review_comment_id, "
          + "probability) VALUES (" + ca + ", 1, 1.5)");
      String runState = "INSERT INTO cluster_run_state (id, last_run_at, clusters_discovered, "
          + "comments_processed, labels_generated,"
          + " status, error_message, updated_at) VALUES (1, now(), ?, ?, ?, ?, ?, now()) ON CONFLICT (id) DO UPDATE SET"
          + " status = EXCLUDED.status, clusters_discovered = EXCLUDED.clusters_discovered, error_message = "
          + "EXCLUDED.error_message";
      update(c, runState, 2, 40, 2, "running", null);
      update(c, runState, 3, 41, 3, "completed", null);
      assertEquals("completed 3", stringOf(c, "SELECT status || ' ' || clusters_discovered FROM cluster_run_state"));
      assertCheckViolation(c, "INSERT INTO cluster_run_state (id) VALUES (2)");
      assertCheckViolation(c, "UPDATE cluster_run_state SET status = 'done'");
      exec(c, "DELETE FROM review_clusters WHERE id = " + ca);
      assertEquals(0, longOf(c, "SELECT count(*) FROM review_cluster_assignments"), "assignments go with their "
          + "cluster");
    }
  }

  @Test void suggestionClusterModelsStoreTheStockDriversCentroidArrays() throws Exception {
    try (Connection c = db.connect()) {
      String upsert = "INSERT INTO suggestion_cluster_models (repo, positive_centroids, negative_centroids, "
          + "member_count,"
          + " positive_member_count, negative_member_count, built_at, expires_at) VALUES ('kodiai/xbmc', %s, %s, "
          + "3, 2, 1, now(),"
          + " now() + interval '24 hours') ON CONFLICT (repo) DO UPDATE SET positive_centroids = "
          + "EXCLUDED.positive_centroids,"
          + " negative_centroids = EXCLUDED.negative_centroids, member_count = EXCLUDED.member_count, updated_at "
          + "= now()";
      exec(c, String.format(upsert, stockJson("[[0.5,0.25],[1,0]]"), stockJson("[]")));
      exec(c, String.format(upsert, stockJson("[[0.5,0.25]]"), stockJson("[[0,1]]")));
      assertEquals("array [[0.5, 0.25]] [[0, 1]]", stringOf(c, "SELECT jsonb_typeof(positive_centroids) || ' ' "
          + "|| positive_centroids"
          + " || ' ' || negative_centroids FROM suggestion_cluster_models WHERE repo = 'kodiai/xbmc'"));
      assertCheckViolation(c, String.format(upsert, stockJson("{\"a\":1}"), stockJson("[]")));
      assertCheckViolation(c, String.format(upsert, stockJson("\"[[1]]\""), stockJson("[]")));
      assertCheckViolation(c, "UPDATE suggestion_cluster_models SET member_count = -1");
    }
  }

  @Test void issuesAndCommentsUpsertSearchAndFindNeighbours() throws Exception {
    Random rnd = new Random(14);
    float[] e1 = unitVector(rnd), e2 = unitVector(rnd);
    try (Connection c = db.connect()) {
      String upsert = "INSERT INTO issues (repo, owner, issue_number, title, body, state, author_login, "
          + "author_association,"
          + " label_names, template_slug, comment_count, assignees, milestone, reaction_count, is_pull_request, locked,"
          + " embedding, embedding_model, github_created_at, github_updated_at, closed_at) VALUES ('xbmc/xbmc', "
          + "'xbmc', ?, ?, ?, ?,"
          + " 'octocat', 'MEMBER', ?::text[], NULL, 2, %s, NULL, 1, false, false, ?::vector, 'voyage-4', now(), "
          + "now(), NULL)"
          + " ON CONFLICT (repo, issue_number) DO UPDATE SET title = EXCLUDED.title, body = EXCLUDED.body, state "
          + "= EXCLUDED.state,"
          + " label_names = EXCLUDED.label_names, assignees = EXCLUDED.assignees, embedding = EXCLUDED.embedding";
      String assignees = stockJson("[{\"id\":583231,\"login\":\"octocat\"}]");
      update(c, String.format(upsert, assignees), 101, "Crash when scanning library", "Segfault in the video "
          + "scanner", "open", "{bug,crash}", vec(e1));
      update(c, String.format(upsert, assignees), 102, "Audio drift", "Passthrough loses "
          + "sync", "open", "{audio}", vec(e2));
      update(c, String.format(upsert, assignees), 101, "Crash when scanning the library", "Segfault in the video "
          + "scanner", "closed", "{bug}", vec(e1));
      assertEquals("array octocat 2", stringOf(c, "SELECT jsonb_typeof(assignees) || ' ' || (assignees -> 0 ->> "
          + "'login') || ' '"
          + " || (SELECT count(*) FROM issues) FROM issues WHERE issue_number = 101"));
      assertEquals(101, longOf(c, "SELECT issue_number FROM issues WHERE repo = ? AND search_tsv @@ "
          + "websearch_to_tsquery('english', ?)"
          + " ORDER BY ts_rank(search_tsv, websearch_to_tsquery('english', ?)) DESC LIMIT "
          + "1", "xbmc/xbmc", "library crash", "library crash"));
      assertEquals(102, longOf(c, "SELECT issue_number FROM issues WHERE repo = ? AND embedding IS NOT NULL AND "
          + "issue_number <> ?"
          + " ORDER BY embedding <=> ?::vector LIMIT 1", "xbmc/xbmc", 101, vec(e2)));
      assertCheckViolation(c, "UPDATE issues SET state = 'merged' WHERE issue_number = 102");
      assertCheckViolation(c, "UPDATE issues SET comment_count = -1 WHERE issue_number = 102");
      assertCheckViolation(c, "UPDATE issues SET assignees = " + stockJson("{\"login\":\"x\"}") + " WHERE "
          + "issue_number = 101");
      String comment = "INSERT INTO issue_comments (repo, issue_number, comment_github_id, author_login, "
          + "author_association, body,"
          + " embedding, embedding_model, github_created_at, github_updated_at) VALUES ('xbmc/xbmc', 101, ?, "
          + "'dev', 'NONE', ?,"
          + " ?::vector, 'voyage-4', now(), NULL) ON CONFLICT (repo, comment_github_id) DO UPDATE SET body = "
          + "EXCLUDED.body,"
          + " embedding = EXCLUDED.embedding, github_updated_at = now()";
      update(c, comment, 4153840487L, "Same crash here with NFS shares", vec(e1));
      update(c, comment, 4153840487L, "Same crash here with SMB shares", vec(e1));
      assertEquals(4153840487L, longOf(c, "SELECT comment_github_id FROM issue_comments WHERE search_tsv @@ "
          + "websearch_to_tsquery('english', 'smb')"));
      assertEquals(0, longOf(c, "SELECT count(*) FROM issue_comments WHERE search_tsv @@ "
          + "websearch_to_tsquery('english', 'nfs')"),
          "the trigger follows an edited body");
    }
  }

  @Test void issueSyncAndTriageStateFollowTheHandlers() throws Exception {
    try (Connection c = db.connect()) {
      String sync = "INSERT INTO issue_sync_state (repo, last_synced_at, last_page_cursor, total_issues_synced, "
          + "total_comments_synced,"
          + " backfill_complete, comment_last_synced_at, updated_at) VALUES ('xbmc/xbmc', now(), ?, ?, ?, ?, "
          + "NULL, now())"
          + " ON CONFLICT (repo) DO UPDATE SET last_page_cursor = EXCLUDED.last_page_cursor, total_issues_synced "
          + "= EXCLUDED.total_issues_synced,"
          + " backfill_complete = EXCLUDED.backfill_complete, updated_at = now()";
      update(c, sync, "Y3Vyc29y", 100, 300, false);
      update(c, sync, null, 250, 900, true);
      assertEquals("250 true", stringOf(c, "SELECT total_issues_synced || ' ' || backfill_complete FROM "
          + "issue_sync_state"));
      String triage = "INSERT INTO issue_triage_state (repo, issue_number, delivery_id, duplicate_count) VALUES "
          + "('xbmc/xbmc', ?, ?, ?)"
          + " ON CONFLICT (repo, issue_number) DO NOTHING RETURNING id";
      long t1 = longOf(c, triage, 101, "d-101", null);
      update(c, triage.replace(" RETURNING id", ""), 101, "d-101b", 3);
      assertNull(stringOf(c, "SELECT duplicate_count::text FROM issue_triage_state WHERE id = " + t1), "048: "
          + "nullable, no default");
      exec(c, "UPDATE issue_triage_state SET comment_github_id = 4153840487 WHERE id = " + t1);
      exec(c, "INSERT INTO issue_outcome_feedback (repo, issue_number, triage_id, outcome, "
          + "kodiai_predicted_duplicate, confirmed_duplicate,"
          + " duplicate_of_issue_number, state_reason, label_names, delivery_id) VALUES ('xbmc/xbmc', "
          + "101, " + t1 + ", 'duplicate', true,"
          + " true, 77, 'duplicate', '{duplicate}', 'd-close-101') ON CONFLICT (delivery_id) DO NOTHING");
      String threshold = "INSERT INTO triage_threshold_state (repo, alpha, beta_, sample_count) VALUES "
          + "('xbmc/xbmc', ?, ?, 1)"
          + " ON CONFLICT (repo) DO UPDATE SET alpha = triage_threshold_state.alpha + EXCLUDED.alpha - 1,"
          + " beta_ = triage_threshold_state.beta_ + EXCLUDED.beta_ - 1, sample_count = "
          + "triage_threshold_state.sample_count + 1, updated_at = now()";
      update(c, threshold, 2.0, 1.0);
      update(c, threshold, 1.0, 2.0);
      assertEquals("2 2 2", stringOf(c, "SELECT alpha || ' ' || beta_ || ' ' || sample_count FROM "
          + "triage_threshold_state"));
      exec(c, "INSERT INTO triage_comment_reactions (repo, issue_number, triage_id, comment_github_id, "
          + "thumbs_up, thumbs_down,"
          + " observation_recorded, observation_direction) VALUES ('xbmc/xbmc', 101, " + t1 + ", 4153840487, 3, "
          + "1, true, 'up')");
      assertCheckViolation(c, "UPDATE issue_outcome_feedback SET outcome = 'wontfix'");
      assertCheckViolation(c, "UPDATE triage_comment_reactions SET observation_direction = 'sideways'");
      assertCheckViolation(c, "UPDATE triage_threshold_state SET alpha = 0");
      assertCheckViolation(c, "UPDATE issue_triage_state SET duplicate_count = -1");
      exec(c, "DELETE FROM issue_triage_state WHERE id = " + t1);
      assertEquals("0 1", stringOf(c, "SELECT (SELECT count(*) FROM triage_comment_reactions) || ' '"
          + " || (SELECT count(*) FROM issue_outcome_feedback WHERE triage_id IS NULL)"), "reactions cascade, "
          + "feedback stays unlinked");
    }
  }

  @Test void embeddingRepairStateKeepsTheStockDriversFailureCounts() throws Exception {
    try (Connection c = db.connect()) {
      String write = "INSERT INTO embedding_repair_state (corpus, repair_key, run_id, target_model, dry_run, "
          + "resumed, status, resume_ready,"
          + " batch_index, batches_total, last_row_id, processed, repaired, skipped, failed, failure_counts, "
          + "last_failure_class,"
          + " last_failure_message, updated_at) VALUES (?, 'default', ?, 'voyage-4', false, false, ?, false, 3, "
          + "10, 4153840487, 300,"
          + " 290, 5, 5, %s, 'rate_limit', '429', now()) ON CONFLICT (corpus, repair_key) DO UPDATE SET run_id = "
          + "EXCLUDED.run_id,"
          + " status = EXCLUDED.status, failure_counts = EXCLUDED.failure_counts, updated_at = EXCLUDED.updated_at";
      update(c, String.format(write, stockJson("{\"rate_limit\":5}")), "issues", "run-1", "running");
      update(c, String.format(write, stockJson("{\"rate_limit\":5,\"timeout\":1}")), "issues", "run-1",
          "resume_required");
      assertEquals("object 1 resume_required", stringOf(c, "SELECT jsonb_typeof(failure_counts) || ' ' || "
          + "(failure_counts ->> 'timeout')"
          + " || ' ' || status FROM embedding_repair_state WHERE corpus = 'issues'"));
      assertCheckViolation(c, "UPDATE embedding_repair_state SET failure_counts = " + stockJson("[1]"));
      assertCheckViolation(c, "UPDATE embedding_repair_state SET status = 'paused'");
      assertCheckViolation(c, "UPDATE embedding_repair_state SET corpus = 'wiki_pages'");
      assertCheckViolation(c, "UPDATE embedding_repair_state SET failed = -1");
    }
  }

  @Test void canonicalChunksOneLivePerIdentityWithSearchAndBackfillState() throws Exception {
    Random rnd = new Random(33);
    float[] e = unitVector(rnd);
    String longPath = "src/" + "generated/".repeat(400) + "a.cpp"; // > 2704 bytes: no btree entry could hold it
    try (Connection c = db.connect()) {
      String insert = "INSERT INTO canonical_code_chunks (repo, owner, canonical_ref, commit_sha, file_path, "
          + "language, start_line, end_line,"
          + " chunk_type, symbol_name, chunk_text, content_hash, embedding, embedding_model, stale) VALUES "
          + "('xbmc/xbmc', 'xbmc', 'master',"
          + " 'abc123', ?, 'cpp', 10, 40, ?, ?, ?, ?, ?::vector, 'voyage-4', false) RETURNING id";
      long id = longOf(c, insert, longPath, "function", "CVideoScanner::Scan", "void Scan() { walk the library "
          + "}", "h1", vec(e));
      SQLException dup = assertThrows(SQLException.class,
          () -> longOf(c, insert, longPath, "function", "CVideoScanner::Scan", "other text", "h2", vec(e)));
      assertEquals("23505", dup.getSQLState(), "one live chunk per identity");
      longOf(c, insert, longPath, "block", null, "int x = 1;", "h3", vec(e));
      update(c, "UPDATE canonical_code_chunks SET deleted_at = now(), updated_at = now() WHERE repo = ? AND "
          + "owner = ? AND canonical_ref = ?"
          + " AND file_path = ? AND deleted_at IS NULL", "xbmc/xbmc", "xbmc", "master", longPath);
      long again = longOf(c, insert, longPath, "function", "CVideoScanner::Scan", "void Scan() { walk the "
          + "library }", "h1", vec(e));
      assertNotEquals(id, again, "after a soft delete the identity is free");
      assertEquals(again, longOf(c, "SELECT id FROM canonical_code_chunks WHERE repo = ? AND canonical_ref = ? "
          + "AND deleted_at IS NULL"
          + " AND tsv @@ plainto_tsquery('english', ?) ORDER BY ts_rank(tsv, plainto_tsquery('english', ?)) DESC "
          + "LIMIT 1",
          "xbmc/xbmc", "master", "library", "library"));
      assertEquals(again, longOf(c, "SELECT id FROM canonical_code_chunks WHERE repo = ? AND canonical_ref = ? "
          + "AND deleted_at IS NULL"
          + " AND embedding IS NOT NULL ORDER BY embedding <=> ?::vector LIMIT 1", "xbmc/xbmc", "master", vec(e)));
      assertCheckViolation(c, "UPDATE canonical_code_chunks SET chunk_type = 'struct' WHERE id = " + again);
      assertCheckViolation(c, "UPDATE canonical_code_chunks SET end_line = 1 WHERE id = " + again);
      String backfill = "INSERT INTO canonical_corpus_backfill_state (repo, owner, canonical_ref, run_id, "
          + "status, files_total, files_done,"
          + " chunks_total, chunks_done, chunks_skipped, chunks_failed, last_file_path, commit_sha, "
          + "error_message, updated_at)"
          + " VALUES ('xbmc/xbmc', 'xbmc', 'master', 'run-1', ?, 100, ?, NULL, 50, 2, 0, 'a.cpp', 'abc123', "
          + "NULL, now())"
          + " ON CONFLICT (repo, owner, canonical_ref) DO UPDATE SET status = EXCLUDED.status, files_done = "
          + "EXCLUDED.files_done";
      update(c, backfill, "running", 10);
      update(c, backfill, "partial", 60);
      assertEquals("partial 60", stringOf(c, "SELECT status || ' ' || files_done FROM "
          + "canonical_corpus_backfill_state"));
      assertCheckViolation(c, "UPDATE canonical_corpus_backfill_state SET status = 'done'");
    }
  }

  @Test void reviewGraphReplacesAFileGraph() throws Exception {
    try (Connection c = db.connect()) {
      long build = longOf(c, "INSERT INTO review_graph_builds (repo, workspace_key, commit_sha, status, "
          + "started_at) VALUES"
          + " ('xbmc/xbmc', 'ws-1', 'abc', 'running', now()) ON CONFLICT (repo, workspace_key) DO UPDATE SET "
          + "status = EXCLUDED.status,"
          + " updated_at = now() RETURNING id");
      String file = "INSERT INTO review_graph_files (repo, workspace_key, path, language, content_hash, "
          + "indexed_at, build_id)"
          + " VALUES ('xbmc/xbmc', 'ws-1', 'a.cpp', 'cpp', ?, now(), ?) ON CONFLICT (repo, workspace_key, path) "
          + "DO UPDATE SET"
          + " content_hash = EXCLUDED.content_hash, build_id = EXCLUDED.build_id, updated_at = now() RETURNING id";
      long f = longOf(c, file, "h1", build);
      assertEquals(f, longOf(c, file, "h2", build));
      // the store's batch: a jsonb_to_recordset of real JSON (attributes are objects)
      String nodes = "[{\"node_kind\":\"file\",\"stable_key\":\"a.cpp\",\"language\":\"cpp\",\"attributes\":{}},"
          + "{\"node_kind\":\"symbol\",\"stable_key\":\"a.cpp#Scan\",\"symbol_name\":\"Scan\",\"language\":\"cpp\","
          + "\"span_start_line\":10,\"attributes\":{\"exported\":true},\"confidence\":0.9}]";
      update(c, "INSERT INTO review_graph_nodes (repo, workspace_key, file_id, build_id, node_kind, stable_key, "
          + "symbol_name, language,"
          + " span_start_line, attributes, confidence) SELECT 'xbmc/xbmc', 'ws-1', ?, ?, b.node_kind, "
          + "b.stable_key, b.symbol_name, b.language,"
          + " b.span_start_line, COALESCE(b.attributes, '{}'::jsonb), b.confidence FROM "
          + "jsonb_to_recordset(?::jsonb) AS b(node_kind text,"
          + " stable_key text, symbol_name text, language text, span_start_line integer, attributes jsonb, "
          + "confidence double precision)",
          f, build, nodes);
      exec(c, "INSERT INTO review_graph_edges (repo, workspace_key, file_id, build_id, edge_kind, "
          + "source_node_id, target_node_id, attributes)"
          + " SELECT 'xbmc/xbmc', 'ws-1', " + f + ", " + build + ", 'declares', s.id, t.id, '{}' FROM "
          + "review_graph_nodes s, review_graph_nodes t"
          + " WHERE s.stable_key = 'a.cpp' AND t.stable_key = 'a.cpp#Scan'");
      assertEquals("0.9 true", stringOf(c, "SELECT confidence || ' ' || (attributes ->> 'exported') FROM "
          + "review_graph_nodes"
          + " WHERE stable_key = ANY(?::text[])", "{a.cpp#Scan}"));
      assertCheckViolation(c, "UPDATE review_graph_edges SET target_node_id = source_node_id");
      assertCheckViolation(c, "UPDATE review_graph_nodes SET attributes = " + stockJson("{}"));
      assertCheckViolation(c, "UPDATE review_graph_nodes SET node_kind = 'macro'");
      assertCheckViolation(c, "UPDATE review_graph_nodes SET confidence = 1.5");
      assertCheckViolation(c, "UPDATE review_graph_builds SET status = 'queued'");
      exec(c, "DELETE FROM review_graph_files WHERE id = " + f);
      assertEquals(0, longOf(c, "SELECT (SELECT count(*) FROM review_graph_nodes) + (SELECT count(*) FROM "
          + "review_graph_edges)"),
          "a file's nodes and edges go with it");
    }
  }

  @Test void generatedRulesLifecycle() throws Exception {
    try (Connection c = db.connect()) {
      String save = "INSERT INTO generated_rules (repo, title, rule_text, status, origin, signal_score, "
          + "member_count, cluster_centroid)"
          + " VALUES ('xbmc/xbmc', ?, ?, 'pending', 'generated', ?, ?, NULL) ON CONFLICT (repo, title) DO UPDATE SET"
          + " rule_text = EXCLUDED.rule_text, signal_score = EXCLUDED.signal_score, member_count = "
          + "EXCLUDED.member_count,"
          + " updated_at = now() RETURNING id";
      long id = longOf(c, save, "Check for null", "Check pointers for null before use", 0.7, 8);
      assertEquals(id, longOf(c, save, "Check for null", "Check pointers for null", 0.75, 9));
      exec(c, "UPDATE generated_rules SET status = 'active', activated_at = now() WHERE id = " + id);
      assertEquals("active 0.75 9", stringOf(c, "SELECT status || ' ' || signal_score || ' ' || member_count "
          + "FROM generated_rules"
          + " WHERE repo = 'xbmc/xbmc' AND status = 'active' ORDER BY signal_score DESC, member_count DESC, "
          + "activated_at DESC LIMIT 1"));
      assertCheckViolation(c, "UPDATE generated_rules SET signal_score = 1.5");
      assertCheckViolation(c, "UPDATE generated_rules SET status = 'draft'");
      assertCheckViolation(c, "UPDATE generated_rules SET origin = 'manual'");
    }
  }

  @Test void telemetryOfPromptSectionsCacheAndContinuations() throws Exception {
    try (Connection c = db.connect()) {
      String sections = "INSERT INTO prompt_section_events (delivery_id, repo, task_type, prompt_kind, "
          + "section_name, section_position,"
          + " char_count, estimated_tokens, truncated, budget_chars, budget_tokens, included_chars, "
          + "included_tokens, trimmed_chars,"
          + " trimmed_tokens, budget_status, budget_reason) VALUES ('d-1', 'xbmc/xbmc', 'review', 'system', "
          + "'rules', 0, ?, 30, false,"
          + " 4000, 1000, 120, 30, 0, 0, 'within-budget', NULL), ('d-1', 'xbmc/xbmc', 'review', 'system', "
          + "'memories', 1, 900, 225, true,"
          + " 800, 200, 800, 200, 100, 25, 'trimmed', 'over-budget') ON CONFLICT (delivery_id, task_type, "
          + "prompt_kind, section_position)"
          + " WHERE delivery_id IS NOT NULL DO UPDATE SET char_count = EXCLUDED.char_count, budget_status = "
          + "EXCLUDED.budget_status";
      update(c, sections, 120);
      update(c, sections, 125);
      assertEquals("2 125", stringOf(c, "SELECT count(*) || ' ' || max(char_count) FILTER (WHERE section_position = 0)"
          + " FROM prompt_section_events WHERE delivery_id = 'd-1'"), "exactly once per (delivery, path, position)");
      assertCheckViolation(c, "UPDATE prompt_section_events SET trimmed_tokens = -1");
      exec(c, "INSERT INTO review_cache_events (delivery_id, repo, pr_number, cache_surface, status, reason, "
          + "fingerprint_version,"
          + " safety_signal_names, missing_signal_names, invalidation_signal_names, bookkeeping_error_count) "
          + "VALUES ('d-1', 'xbmc/xbmc',"
          + " 27001, 'review-derived-prompt', 'hit', 'safe-reuse', 'v2', '{head_sha}', '{}', '{}', 0)");
      assertCheckViolation(c, "UPDATE review_cache_events SET status = 'stale'");
      assertCheckViolation(c, "UPDATE review_cache_events SET reason = 'because'");
      String family = "INSERT INTO continuation_family_state (family_key, base_review_output_key, "
          + "authoritative_attempt_id,"
          + " authoritative_attempt_ordinal, authoritative_outcome, final_stop_reason, projection_status, "
          + "superseded_by_attempt_id)"
          + " VALUES ('fam-1', 'rok-1', ?, ?, ?, ?, 'canonical', NULL) ON CONFLICT (family_key, "
          + "base_review_output_key) DO UPDATE SET"
          + " authoritative_attempt_id = EXCLUDED.authoritative_attempt_id, authoritative_attempt_ordinal = "
          + "EXCLUDED.authoritative_attempt_ordinal,"
          + " authoritative_outcome = EXCLUDED.authoritative_outcome, final_stop_reason = "
          + "EXCLUDED.final_stop_reason, updated_at = now()";
      update(c, family, "att-1", 1, "continuation-pending", "awaiting-continuation");
      update(c, family, "att-2", 2, "merged", "merged-continuation-results");
      assertEquals("att-2 merged", stringOf(c, "SELECT authoritative_attempt_id || ' ' || authoritative_outcome "
          + "FROM continuation_family_state"));
      assertCheckViolation(c, "UPDATE continuation_family_state SET authoritative_attempt_ordinal = 0");
      assertCheckViolation(c, "UPDATE continuation_family_state SET projection_status = 'final'");
    }
  }

  @Test void foundationColumnsOfTheSlice() throws Exception {
    try (Connection c = db.connect()) {
      exec(c, "INSERT INTO resilience_events (delivery_id, repo, event_type, kind, checkpoint_files_inspected, "
          + "timeout_classification,"
          + " timeout_classification_mode, timeout_classification_reasons) VALUES ('d-t', 'xbmc/xbmc', "
          + "'timeout', 'timeout', 12,"
          + " 'expected-bounded-outcome', 'bounded-partial-timeout', '{partial-timeout}')");
      exec(c, "INSERT INTO resilience_events (delivery_id, repo, event_type, kind) VALUES ('d-u', 'xbmc/xbmc', "
          + "'review', 'ok')");
      assertEquals("{}", stringOf(c, "SELECT timeout_classification_reasons::text FROM resilience_events WHERE "
          + "delivery_id = 'd-u'"));
      assertCheckViolation(c, "UPDATE resilience_events SET timeout_classification = 'soft' WHERE delivery_id = 'd-t'");
      assertCheckViolation(c, "UPDATE resilience_events SET timeout_classification_mode = 'later' WHERE "
          + "delivery_id = 'd-t'");
      assertCheckViolation(c, "UPDATE resilience_events SET checkpoint_files_inspected = -1 WHERE delivery_id = 'd-t'");
      long memory = insertMemory(c, "xbmc/xbmc", 4153840487L, "Check for null", unitVector(new Random(7)), false);
      exec(c, "UPDATE learning_memories SET language = 'cpp' WHERE id = " + memory);
      assertEquals("cpp 4153840487", stringOf(c, "SELECT language || ' ' || finding_id FROM learning_memories "
          + "WHERE id = " + memory));
    }
  }
}
