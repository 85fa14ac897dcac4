// Shared source (//SOURCES retrieval/RepoIndexes.java): one HNSW index per large repo on
// learning_memories, kept in step with repo sizes (`./jbang indexes@kodiai`, bench retrieval).
//
// Why: scanning a repo's rows exactly costs ~1.3-2 us per row, and a global HNSW index filtered
// by repo discards most of what it yields for a repo holding a few percent of the table (6 % and
// 10 % repos: p95 20-37 ms on-CPU on B1ms). A partial index `WHERE repo = '...' AND NOT stale`
// holds only that repo's live rows: nothing is filtered, a search costs 1-3 ms and recall is
// that of a small graph. The planner takes it by itself for the bot's `repo = $2 AND stale =
// false ORDER BY embedding <=> $1::vector` under custom plans (migration 006's plan_cache_mode),
// so the bot's query does not change. Repos up to MIN_ROWS live rows keep the exact plan
// (migration 008's btree); since issue 22 there is no global index (docs/retrieval.md).
//
// The indexed column is the halfvec one: `embedding` since migration 007, `embedding_half` (the
// copy 002 keeps) before it; an index built on the copy follows it when 007 renames it.
//
// Managed indexes are recognised by their name (PREFIX + 16 hex digits of md5(repo)); the
// comment on each names its repo for people. Nothing else on the table is touched.
//
// Since migration 070 learning_memories is partitioned by repo: a repo that had more than MIN_ROWS
// live rows then has a partition of its own with its own HNSW index (070 keeps it); every other
// repo is in learning_memories_default, and the per-repo indexes are kept on that partition (CREATE
// INDEX CONCURRENTLY is refused on a partitioned table). retrieveMemories' constant `repo = $2` prunes
// to the default partition when planned and proves the partial index's predicate; the owner query's
// run-time `m.repo = ar.repo` cannot, so such a repo is read exactly there (`status` says which).

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

final class RepoIndexes {
  private RepoIndexes() {}

  /** A repo with more live rows than this gets its own index (the exact plan's limit in docs/retrieval.md). */
  static final long MIN_ROWS = 3000;
  /**
   * An index is dropped only when its repo falls below MIN_ROWS / DROP_DIVISOR, so a repo near the limit does not flap.
   */
  static final long DROP_DIVISOR = 2;
  static final String PREFIX = "idx_lm_repo_hnsw_";
  /** pgvector's defaults written out (m = 16, ef_construction = 64), alike for every repo's graph; %s: the column. */
  static final String OPS = "USING hnsw (%s halfvec_cosine_ops) WITH (m = 16, ef_construction = 64)";
  /** SQL of a repo's index name (the repo expression in %s): derived in one place, for the plan and the tests alike. */
  private static final String NAME_SQL = "'" + PREFIX + "' || left(md5(%s), 16)";

  /** Advisory lock key of a running sync (migrate's lock uses another key). */
  static final long LOCK_KEY = 0x6b6f6469_69786e73L; // "kodiixns"

  enum Action { CREATE, REBUILD, KEEP, DROP }

  /** One line of the plan: what to do with the index of one repo (repo is null for an index whose repo is unknown). */
  record Step(Action action, String repo, String index, long liveRows, long indexBytes) {}

  /** The index name of a repo: stable, short, safe whatever characters the repo name holds. */
  static String indexName(Connection c, String repo) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT " + NAME_SQL.formatted("?"))) {
      ps.setString(1, repo);
      try (ResultSet rs = ps.executeQuery()) { rs.next(); return rs.getString(1); }
    }
  }

  /** The halfvec column of learning_memories (embedding since 007, 002's copy embedding_half before); null before. */
  static String column(Connection c) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
        "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass('learning_memories') AND attname IN"
            + " ('embedding', 'embedding_half')"
            + " AND NOT attisdropped AND atttypid = to_regtype('halfvec') ORDER BY attname LIMIT 1")) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  /** The table the indexes are on: the default partition once migration 070 partitioned learning_memories. */
  static String table(Connection c) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
        "SELECT d.relname FROM pg_partitioned_table p JOIN pg_class d ON d.oid = p.partdefid"
            + " WHERE p.partrelid = to_regclass('learning_memories')")) {
      return rs.next() ? rs.getString(1) : "learning_memories";
    }
  }

  /** True when the database has what the indexes need (a halfvec column: migration 002). */
  static boolean targetReady(Connection c) throws SQLException { return column(c) != null; }

  /**
   * What a sync would do, repo by repo, largest first: CREATE for a repo above minRows without
   * an index, REBUILD for one whose index is invalid (a build that was interrupted), KEEP for a
   * valid index whose repo still holds at least minRows / DROP_DIVISOR live rows, DROP otherwise.
   */
  static List<Step> plan(Connection c, long minRows) throws SQLException {
    record Existing(boolean valid, String repo, long bytes) {}
    Map<String, Existing> existing = new LinkedHashMap<>();
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT ic.relname, i.indisvalid, obj_description(ic.oid, 'pg_class'), pg_relation_size(ic.oid) "
            + "FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid "
            + "WHERE i.indrelid = ?::regclass AND starts_with(ic.relname, ?) ORDER BY 1")) {
      ps.setString(1, table(c));
      ps.setString(2, PREFIX);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) existing.put(rs.getString(1),
            new Existing(rs.getBoolean(2), repoOf(rs.getString(3)), rs.getLong(4)));
      }
    }
    List<Step> steps = new ArrayList<>();
    long keepFloor = Math.max(1, minRows / DROP_DIVISOR);
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT repo, count(*), " + NAME_SQL.formatted("repo") + " FROM " + table(c) + " WHERE NOT stale AND "
            + column(c) + " IS NOT NULL "
            + "GROUP BY repo HAVING count(*) >= ? ORDER BY 2 DESC, 1")) {
      ps.setLong(1, keepFloor);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String repo = rs.getString(1), name = rs.getString(3);
          long rows = rs.getLong(2);
          Existing e = existing.remove(name);
          if (e == null) { if (rows > minRows) steps.add(new Step(Action.CREATE, repo, name, rows, 0)); }
          else steps.add(new Step(e.valid ? Action.KEEP : Action.REBUILD, repo, name, rows, e.bytes));
        }
      }
    }
    // What is left belongs to repos that shrank below the floor, were deleted, or to no repo.
    for (var e : existing.entrySet())
      steps.add(new Step(Action.DROP, e.getValue().repo, e.getKey(), liveRows(c, e.getValue().repo),
          e.getValue().bytes));
    return steps;
  }

  /** Carries out one step; on a failed build the half-built (invalid) index is dropped again. */
  static void apply(Connection c, Step s, String maintenanceWorkMem) throws SQLException {
    if (s.action == Action.KEEP) return;
    if (s.action != Action.CREATE) exec(c, "DROP INDEX CONCURRENTLY IF EXISTS " + s.index);
    if (s.action == Action.DROP) return;
    exec(c, "SET maintenance_work_mem = " + quote(c, maintenanceWorkMem));
    try {
      String ops = OPS.formatted(column(c));
      exec(c, ddl(c, "CREATE INDEX CONCURRENTLY %I ON " + table(c) + " " + ops + " WHERE repo = %L AND NOT stale",
          s.index, s.repo));
      exec(c, ddl(c, "COMMENT ON INDEX %I IS %L", s.index, COMMENT + s.repo));
    } catch (SQLException e) {
      try {
        exec(c, "DROP INDEX CONCURRENTLY IF EXISTS " + s.index);
      } catch (SQLException ignored) {
        // the next sync rebuilds it
      }
      throw e;
    } finally {
      exec(c, "RESET maintenance_work_mem");
    }
  }

  /** The plan as a table, one line per repo, and what it amounts to. */
  static void print(PrintWriter out, List<Step> steps, long minRows) {
    out.printf(Locale.ROOT, "%-8s %10s %10s  %-33s %s%n", "action", "live rows", "index MB", "index", "repo");
    for (Step s : steps)
      out.printf(Locale.ROOT, "%-8s %,10d %10s  %-33s %s%n", s.action.name().toLowerCase(Locale.ROOT), s.liveRows,
          s.indexBytes == 0 ? "-" : String.format(Locale.ROOT, "%.1f", s.indexBytes / 1048576.0), s.index,
          s.repo == null ? "(unknown repo)" : s.repo);
    if (steps.isEmpty()) out.printf(Locale.ROOT, "no repo has more than %,d live rows: no per-repo index needed%n",
        minRows);
  }

  /**
   * Under migration 070's layout: the repos over minRows that are in the default partition (served by their
   * index for retrieveMemories, read exactly by the owner query) and how to give them a partition of their own.
   */
  static void printPartitionNote(Connection c, PrintWriter out, List<Step> steps, long minRows) throws SQLException {
    if (table(c).equals("learning_memories")) return;
    List<String> repos = steps.stream().filter(s -> s.action != Action.DROP && s.liveRows > minRows)
        .map(Step::repo).toList();
    if (repos.isEmpty()) return;
    out.printf(Locale.ROOT, "%d repo(s) over %,d live rows in %s: the owner query reads them exactly; a partition"
        + " of their own serves it (in a maintenance window: indexes move --maintenance-window): %s%n", repos.size(),
        minRows, table(c), String.join(", ", repos));
  }

  static long count(List<Step> steps, Action a) { return steps.stream().filter(s -> s.action == a).count(); }

  static final String COMMENT = "kodiai-db per-repo HNSW index (indexes@kodiai) for repo: ";

  private static String repoOf(String comment) {
    return comment != null && comment.startsWith(COMMENT) ? comment.substring(COMMENT.length()) : null;
  }

  private static long liveRows(Connection c, String repo) throws SQLException {
    if (repo == null) return 0;
    String sql = "SELECT count(*) FROM learning_memories WHERE repo = ? AND NOT stale";
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, repo);
      try (ResultSet rs = ps.executeQuery()) { rs.next(); return rs.getLong(1); }
    }
  }

  /** DDL with identifiers and literals quoted by the server's own format(), whatever the repo name holds. */
  private static String ddl(Connection c, String template, String ident, String literal) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT format(?, ?::text, ?::text)")) {
      ps.setString(1, template);
      ps.setString(2, ident);
      ps.setString(3, literal);
      try (ResultSet rs = ps.executeQuery()) { rs.next(); return rs.getString(1); }
    }
  }

  private static String quote(Connection c, String value) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT quote_literal(?::text)")) {
      ps.setString(1, value);
      try (ResultSet rs = ps.executeQuery()) { rs.next(); return rs.getString(1); }
    }
  }

  private static void exec(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement()) { st.execute(sql); }
  }
}
