// The online kit's copy helpers (from-kodiai/online-kit.sql, "Added with 070") on a real PostgreSQL, on small
// tables of their own: copy_rows unwatched, the bot's writes meanwhile (an update moving a row to another
// partition, a delete, a finding deleted and written again under a new id), then the mirror, a write the
// stale copy would refuse without the mirror's other unique keys, reconcile, and check_copy: the copy equals
// the table, and check_copy refuses a copy that differs.

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CopyKitTest extends SchemaFixtures {
  @Test void theCopyHelpersMakeAPartitionedCopyEqualWhileTheTableIsWritten() throws Exception {
    withDatabase("copykit", url -> {
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        c.setAutoCommit(true);
        List<String> problems = new ArrayList<>();
        String kit = ConversionKit.oneLine(Files.readString(dir.resolve(KodiaiFiles.FROM_KODIAI)
            .resolve(ConversionKit.FILE)), problems);
        assertEquals(List.of(), problems);
        for (MigrationSource.Statement s : MigrationSource.split(kit)) st.execute(s.sql());
        st.execute("CREATE TABLE src (id bigint PRIMARY KEY, repo text NOT NULL, k bigint, v text, UNIQUE (repo, k))");
        st.execute("INSERT INTO src SELECT g, 'r' || (g % 3), g, 'v' || g FROM generate_series(1, 12000) g");
        st.execute("CREATE TABLE dst (LIKE src) PARTITION BY LIST (repo)");
        st.execute("CREATE TABLE dst_r0 PARTITION OF dst FOR VALUES IN ('r0')");
        st.execute("CREATE TABLE dst_rest PARTITION OF dst DEFAULT");
        st.execute("ALTER TABLE dst ADD PRIMARY KEY (repo, id)");
        st.execute("CALL pg_temp.copy_rows('src', 'dst', 5000)");
        // unwatched: these reach the copy only through the reconcile
        st.execute("UPDATE src SET v = 'moved', repo = 'r0' WHERE id = 4");  // r1 -> r0: another partition
        st.execute("DELETE FROM src WHERE id = 6");
        st.execute("DELETE FROM src WHERE id = 7");
        st.execute("INSERT INTO src VALUES (20001, 'r1', 7, 'again')");     // finding (r1, 7) under a new id
        st.execute("ALTER TABLE dst ADD UNIQUE (repo, k)");
        mirror(st, "{}");
        // with the copy's stale (r1, 7) still there, the bot's next write of that finding would fail
        st.execute("DELETE FROM src WHERE id = 20001");
        assertThrows(SQLException.class, () -> st.execute("INSERT INTO src VALUES (20002, 'r1', 7, 'third')"));
        mirror(st, "{\"repo, k\"}");
        st.execute("INSERT INTO src VALUES (20002, 'r1', 7, 'third')");
        st.execute("UPDATE src SET v = 'watched' WHERE id = 10");
        st.execute("CALL pg_temp.reconcile('src', 'dst', 5000)");
        st.execute("SELECT pg_temp.check_copy('src', 'dst', '{repo,id}')");
        assertEquals(count(st, "SELECT count(*) FROM src"), count(st, "SELECT count(*) FROM dst"));
        assertEquals("moved", one(st, "SELECT v FROM dst_r0 WHERE id = 4"));
        assertEquals("third", one(st, "SELECT v FROM dst WHERE repo = 'r1' AND k = 7"));
        assertEquals(0, count(st, "SELECT count(*) FROM dst WHERE id IN (6, 7, 20001)"));
        // and a copy that differs is refused, naming both tables
        st.execute("ALTER TABLE src DISABLE TRIGGER src_mirror");
        st.execute("UPDATE src SET v = 'unmirrored' WHERE id = 11");
        SQLException e = assertThrows(SQLException.class,
            () -> st.execute("SELECT pg_temp.check_copy('src', 'dst', '{repo,id}')"));
        assertTrue(e.getMessage().contains("1 rows of src and its copy dst differ"), e.getMessage());
      }
    });
  }

  /** The kit's mirror of src into dst, created (again) with the given other unique keys. */
  static void mirror(Statement st, String uniques) throws SQLException {
    List<String> ddl = new ArrayList<>();
    try (ResultSet rs = st.executeQuery("SELECT unnest(pg_temp.mirror('src', 'dst', '{repo,id}', '" + uniques
        + "'))")) {
      while (rs.next()) ddl.add(rs.getString(1));
    }
    st.execute("DROP TRIGGER IF EXISTS src_mirror ON src");
    st.execute("DROP TRIGGER IF EXISTS src_mirror_truncate ON src");
    for (String s : ddl) st.execute(s);
  }

  static String one(Statement st, String sql) throws SQLException {
    try (ResultSet rs = st.executeQuery(sql)) { assertTrue(rs.next(), sql); return rs.getString(1); }
  }
}
