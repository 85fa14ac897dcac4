// Tests of the migrations on a real PostgreSQL with pgvector: each migration
// rolls back to exactly the schema before it (catalog snapshots), down 0
// leaves an empty database, down 2 removes exactly 003's full-text objects, and 001
// upgrades the _migrations table of kodiai's earlier runner.

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SchemaMigrationRoundTripTest extends SchemaFixtures {
  @RegisterExtension static final FreshDatabase db = new FreshDatabase();

  @BeforeAll static void migrateTheClassDatabase() {
    migrateToLatest(db);
  }

  /** Each migration with the version before it (0 for the first) and how many come before it. */
  static Stream<Arguments> everyMigration() {
    List<Integer> versions = MigrationSource.load(dir).migrations.stream().map(m -> m.version()).toList();
    return IntStream.range(0, versions.size()).mapToObj(i -> Arguments.of(i == 0 ? 0 : versions.get(i - 1), versions.get(i), i));
  }

  /** For every migration M after N: schema(up to N) == schema(up to N, up to M, down to N); and M really changes it. */
  @ParameterizedTest(name = "migration {0} -> {1} -> {0}")
  @MethodSource("everyMigration")
  void rollingBackEachMigrationRestoresTheSchemaBeforeIt(int n, int m, int before) throws Exception {
    withDatabase("roundtrip" + m, url -> {
      if (before > 0) assertEquals(before, Migrations.run(url, dir, n));
      List<String> atN = snapshot(url);
      assertEquals(1, Migrations.run(url, dir, m));
      List<String> atM = snapshot(url);
      assertNotEquals(atN, atM, "migration " + m + " changes the schema");
      assertEquals(1, Migrations.rollback(url, dir, n));
      List<String> back = snapshot(url);
      assertEquals("", CatalogSnapshot.diff(atN, back), "schema after down " + n + " vs. before up " + m);
      assertEquals(atN, back);
      // and the migration applies again on top of its own rollback
      assertEquals(1, Migrations.run(url, dir, m));
      assertEquals("", CatalogSnapshot.diff(atM, snapshot(url)));
    });
  }

  @Test void downZeroLeavesAnEmptyDatabase() throws Exception {
    withDatabase("downzero", url -> {
      List<String> empty = snapshot(url);
      assertEquals(LATEST, Migrations.run(url, dir, null));
      assertEquals(LATEST, Migrations.rollback(url, dir, 0));
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
      assertEquals(3, Migrations.run(url, dir, 3));
      List<String> at3 = snapshot(url);
      List<String> ofLaterMigrations; // what SchemaCheck misses at version 3: the objects of 004 and later
      try (Connection c = DbClient.open(url)) { ofLaterMigrations = SchemaCheck.check(c); }
      assertEquals(1, Migrations.rollback(url, dir, 2));
      List<String> at2 = snapshot(url);
      List<String> removed = at3.stream().filter(l -> !at2.contains(l)).toList();
      assertTrue(at2.stream().allMatch(at3::contains), "down 2 only removes: " + CatalogSnapshot.diff(at3, at2));
      assertEquals(10, removed.size(), "2 columns, 2 GIN indexes, 2 triggers, 2 functions, 2 comments: " + removed);
      for (String kind : List.of("column ", "index ", "trigger ", "function ", "comment "))
        assertEquals(2, removed.stream().filter(l -> l.startsWith(kind)).count(), kind + "lines in " + removed);
      assertTrue(removed.stream().allMatch(l -> l.contains("search_tsv")), removed.toString());
      try (Connection c = DbClient.open(url)) {
        List<String> failures = SchemaCheck.check(c).stream().filter(l -> !ofLaterMigrations.contains(l)).toList();
        assertFalse(failures.isEmpty());
        assertTrue(failures.stream().allMatch(l -> l.contains("search_tsv")), "only 003's objects are missing: " + failures);
      }
      assertEquals(1, Migrations.run(url, dir, 3));
      assertEquals("", CatalogSnapshot.diff(at3, snapshot(url)));
      assertEquals(LATEST - 3, Migrations.run(url, dir, null));
      try (Connection c = DbClient.open(url)) {
        assertEquals(List.of(), SchemaCheck.check(c));
      }
    });
  }

  /**
   * 002 and 007: the halfvec copy follows the float32 vector (a trigger, not a rewrite) until 007 makes it the
   * `embedding` column the bot writes and orders by; 007's down brings the float32 column back, exactly the
   * schema of 006, and keeps a per-repo index built on the halfvec column.
   */
  @Test void halfvecBecomesTheEmbeddingAnd007RollsBackKeepingPerRepoIndexes() throws Exception {
    withDatabase("halfvec", url -> {
      Migrations.run(url, dir, 6); // everything before 007
      List<String> at6 = snapshot(url);
      float[] v = unitVector(new java.util.Random(5));
      long id;
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        id = insertMemory(c, "kodiai/h", 1L, "halfvec copy", v, false);
        assertEquals(1, longOf(c, "SELECT count(*) FROM learning_memories WHERE id = ? AND embedding_half = embedding::halfvec(1024)", id));
        st.execute("UPDATE learning_memories SET embedding_half = NULL WHERE id = " + id);
        assertEquals(1, longOf(c,
            "SELECT count(*) FROM learning_memories WHERE id = ? AND embedding_half IS NOT NULL", id),
            "a direct write to the copy is overwritten from the vector");
        st.execute("CREATE INDEX idx_lm_repo_hnsw_test ON learning_memories USING hnsw (embedding_half"
            + " halfvec_cosine_ops)"
            + " WHERE repo = 'kodiai/h' AND NOT stale");
      }
      assertEquals(1, Migrations.run(url, dir, 7));
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        assertEquals(1, longOf(c, "SELECT count(*) FROM pg_attribute WHERE attrelid = 'learning_memories'::regclass "
            + "AND attname = 'embedding' AND attstorage = 'p' AND format_type(atttypid, atttypmod) ="
                + " 'halfvec(1024)'"), "inline halfvec");
        assertEquals(1, longOf(c, "SELECT count(*) FROM pg_indexes WHERE indexname = 'idx_lm_repo_hnsw_test'"
            + " AND indexdef LIKE '%(embedding halfvec_cosine_ops)%'"), "the per-repo index followed the rename");
        // the bot's forms: a float32 literal written with ::vector, ordered by <=> ::vector
        st.execute("UPDATE learning_memories SET embedding = '" + new com.pgvector.PGvector(v)
            + "'::vector WHERE id = " + id);
        assertEquals(id, longOf(c, "SELECT m.id FROM learning_memories m WHERE m.repo = 'kodiai/h' AND m.stale = false"
            + " ORDER BY m.embedding <=> ?::vector LIMIT 1", new com.pgvector.PGvector(v)));
        st.execute("DROP INDEX idx_lm_repo_hnsw_test");
        st.execute("CREATE INDEX idx_lm_repo_hnsw_test ON learning_memories USING hnsw (embedding halfvec_cosine_ops)"
            + " WHERE repo = 'kodiai/h' AND NOT stale");
      }
      List<String> at7 = snapshot(url).stream().filter(l -> !l.contains("idx_lm_repo_hnsw_test")).toList();
      assertEquals(1, Migrations.rollback(url, dir, 6));
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        assertEquals(1, longOf(c, "SELECT count(*) FROM pg_indexes WHERE indexname = 'idx_lm_repo_hnsw_test'"
            + " AND indexdef LIKE '%(embedding_half halfvec_cosine_ops)%'"), "007's down keeps the per-repo index");
        assertEquals(1, longOf(c,
            "SELECT count(*) FROM learning_memories WHERE id = ? AND embedding = embedding_half::vector"
            + " AND embedding_half = ?::vector::halfvec", id, new com.pgvector.PGvector(v)),
                "the float32 column is the halfvec widened");
        st.execute("DROP INDEX idx_lm_repo_hnsw_test");
        st.execute("DELETE FROM learning_memories");
      }
      assertEquals("", CatalogSnapshot.diff(at6, snapshot(url)), "rolling back 007 restores the schema of 006 exactly");
      assertEquals(1, Migrations.run(url, dir, 7));
      assertEquals("", CatalogSnapshot.diff(at7, snapshot(url)));
    });
  }

  /**
   * A table made by kodiai's earlier runner (id, name, applied_at) gets the new columns from 001 itself (and 012's).
   */
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
        // the one column 001 does not add
        st.execute(Files.readString(migrationFile("012-migrations-provided-by.sql")));
        assertEquals(expected, snapshot(c).stream().filter(l -> l.contains("_migrations")).toList());
        ResultSet rs = st.executeQuery("SELECT name, status, checksum FROM _migrations");
        assertTrue(rs.next());
        assertEquals("000-earlier.sql", rs.getString(1));
        assertEquals("applied", rs.getString(2), "old rows count as applied");
        assertNull(rs.getString(3), "old rows have no checksum");
      }
    });
  }

  /**
   * The earlier runner's table exactly as docs/migrate.md describes it (nullable name and applied_at, no
   * primary key), with 001 applied by that runner: `migrate up` adopts it, applies the rest, and the
   * result passes schema-check, as the docs promise (both starting points end at the same table).
   */
  @Test void adoptingTheEarlierRunnersTableAsDocumentedEndsAtTheSameTable() throws Exception {
    withDatabase("oldshape", url -> {
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        st.execute("CREATE TABLE _migrations (id serial, name text unique, applied_at timestamptz)");
        st.execute(Files.readString(migrationFile("001-initial-schema.sql")));
        st.execute("INSERT INTO _migrations (name, applied_at) VALUES ('001-initial-schema.sql', NULL)");
      }
      Migrations.run(url, migrationFile("001-initial-schema.sql").getParent(), null);
      try (Connection c = DbClient.open(url)) {
        assertEquals(List.of(), SchemaCheck.check(c));
      }
    });
  }
}
