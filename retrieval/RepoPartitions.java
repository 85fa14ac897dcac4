// Shared source (//SOURCES retrieval/RepoPartitions.java; no dependencies but java.sql): the rule of migration 070's
// per-repo partitions of learning_memories, written once for every command that makes one (`import` before it
// loads a large repo into an empty partitioned table, `indexes move` for a repo already in the default partition).
//
// Migration 070 (its SQL: it cannot call Java) gives a partition of its own to every repo with more than MIN_ROWS
// live memories with an embedding: named PREFIX + the first 16 hex digits of md5(repo) (any repo name gives a
// safe, stable name), toast_tuple_target 4080, a comment naming the repo, and an HNSW index `<partition>_hnsw`
// on its live rows. Every other repo is in DEFAULT. The parent's partitioned indexes (primary key, unique key,
// btrees, GIN) and row triggers (003's tsvector, 010's search copy) appear on a partition by themselves when it
// is created or attached; the HNSW index does not (there is none on the parent), so it is built here.
// tests/retrieval/RepoPartitionsTest checks this rule against what 070 creates.

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;

final class RepoPartitions {
  private RepoPartitions() {}

  /** A repo with more live memories (with an embedding) than this gets a partition of its own (070's 3,000). */
  static final long MIN_ROWS = 3000;
  static final String TABLE = "learning_memories";
  static final String PREFIX = "learning_memories_repo_";
  static final String DEFAULT = "learning_memories_default";
  /** The storage option 070 gives every partition (002's, for the inline halfvec). */
  static final String STORAGE = "WITH (toast_tuple_target = 4080)";
  /** The partition's graph: pgvector's defaults written out, as every per-repo graph; on its live rows. */
  static final String HNSW = "USING hnsw (embedding halfvec_cosine_ops) WITH (m = 16, ef_construction = 64)"
      + " WHERE NOT stale";

  /** The partition of `repo`: PREFIX + left(md5(repo), 16), as 070 names it (md5 of the UTF-8 bytes). */
  static String name(String repo) {
    try {
      byte[] md5 = MessageDigest.getInstance("MD5").digest(repo.getBytes(StandardCharsets.UTF_8));
      return PREFIX + HexFormat.of().formatHex(md5).substring(0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e); // every Java runtime has MD5
    }
  }

  static String hnswName(String repo) { return name(repo) + "_hnsw"; }

  /** The comment 070 puts on a repo's partition. */
  static String comment(String repo) {
    return "learning_memories of repo " + repo + " (migration 070: a partition per repo over 3,000 live memories)";
  }

  /** True when learning_memories is partitioned with 070's default partition (false before 070: nothing to do). */
  static boolean partitioned(Connection c) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
        "SELECT d.relname FROM pg_partitioned_table p JOIN pg_class d ON d.oid = p.partdefid"
            + " WHERE p.partrelid = to_regclass('" + TABLE + "')")) {
      return rs.next() && DEFAULT.equals(rs.getString(1));
    }
  }

  /** True when `repo` has a partition of its own. */
  static boolean hasPartition(Connection c, String repo) throws SQLException {
    return exists(c, "SELECT to_regclass(?) IS NOT NULL", name(repo));
  }

  /** True when the default partition holds any row of `repo`, live or stale (the unique key's btree finds it). */
  static boolean inDefault(Connection c, String repo) throws SQLException {
    return exists(c, "SELECT EXISTS (SELECT 1 FROM " + DEFAULT + " WHERE repo = ?)", repo);
  }

  /**
   * Creates the (empty) partition of `repo` with 070's storage option and comment. Takes ACCESS EXCLUSIVE on
   * learning_memories and its default partition (scanned: it must hold no row of the repo) until the commit.
   */
  static void create(Connection c, String repo) throws SQLException {
    exec(c, format(c, "CREATE TABLE %I PARTITION OF " + TABLE + " FOR VALUES IN (%L) " + STORAGE, name(repo), repo));
    exec(c, format(c, "COMMENT ON TABLE %I IS %L", name(repo), comment(repo)));
  }

  /** Builds the partition's HNSW index (plain CREATE INDEX: inside the caller's transaction). */
  static void buildHnsw(Connection c, String repo) throws SQLException {
    exec(c, format(c, "CREATE INDEX %I ON %I " + HNSW, hnswName(repo), name(repo)));
  }

  /** True when the partition of `repo` has its HNSW index, valid. */
  static boolean hnswReady(Connection c, String repo) throws SQLException {
    return exists(c, "SELECT EXISTS (SELECT 1 FROM pg_index WHERE indexrelid = to_regclass(?) AND indisvalid)",
        hnswName(repo));
  }

  /**
   * Builds the partition's HNSW index CONCURRENTLY (autocommit; the bot reads and writes the partition meanwhile,
   * served exactly): an invalid one left by an interrupted build is dropped first, a failed build drops its own.
   */
  static void buildHnswConcurrently(Connection c, String repo) throws SQLException {
    String drop = format(c, "DROP INDEX CONCURRENTLY IF EXISTS %I", hnswName(repo));
    exec(c, drop);
    try {
      exec(c, format(c, "CREATE INDEX CONCURRENTLY %I ON %I " + HNSW, hnswName(repo), name(repo)));
    } catch (SQLException e) {
      try { exec(c, drop); } catch (SQLException ignored) { /* the next move builds it */ }
      throw e;
    }
  }

  /** SQL with identifiers and literals quoted by the server's own format(), whatever the repo name holds. */
  static String format(Connection c, String template, String... args) throws SQLException {
    StringBuilder sql = new StringBuilder("SELECT format(?");
    for (int i = 0; i < args.length; i++) sql.append(", ?::text");
    try (PreparedStatement ps = c.prepareStatement(sql.append(")").toString())) {
      ps.setString(1, template);
      for (int i = 0; i < args.length; i++) ps.setString(i + 2, args[i]);
      try (ResultSet rs = ps.executeQuery()) { rs.next(); return rs.getString(1); }
    }
  }

  static void exec(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement()) { st.execute(sql); }
  }

  private static boolean exists(Connection c, String sql, String arg) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, arg);
      try (ResultSet rs = ps.executeQuery()) { rs.next(); return rs.getBoolean(1); }
    }
  }
}
