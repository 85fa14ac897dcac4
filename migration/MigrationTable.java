// Shared source: the _migrations table, where a database records what was applied.
// Knows its shape (the current one and kodiai's earlier runner's), reads it refusing
// contents it does not understand with one line each, and writes rows. The runner names
// the table with its schema, resolved once: a migration may change search_path, and the
// row it commits with must still land in this table.


import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

final class MigrationTable {
  static final String NAME = "_migrations";

  /**
   * A row, in the current format or the earlier runner's (id, name, applied_at); name ends in .down.sql while a
   * down file failed. providedBy: for a row recorded under a kodiai file's name (status 'provided'), our migration
   * that carries it.
   */
  record Row(int version, String name, String checksum, java.sql.Timestamp appliedAt,
      String status, String providedBy) {
    boolean failed() { return "failed".equals(status); }
    boolean failedDown() { return failed() && name.endsWith(".down.sql"); }
    /** Written by kodiai's runner as it writes every row: a name, nothing else. */
    boolean nameOnly() { return checksum == null && "applied".equals(status) && providedBy == null; }
  }

  /** Status of a row recorded for kodiai's runner under its file's name (KodiaiFiles). */
  static final String PROVIDED = "provided";

  /**
   * The table's rows by owner. ours: kodiai-db's migrations by version (also the earlier runner's
   * name-only rows of our own file names). provided: rows kodiai-db recorded under kodiai's
   * file names for kodiai's runner. foreign: name-only rows of kodiai's runner for files that
   * are not ours (004-webhook-queue.sql): accepted, shown by status, never given a version of ours.
   */
  record Rows(Map<Integer, Row> ours, List<Row> provided, List<Row> foreign) {
    /**
     * The names of kodiai's runner's rows as they are now, which KodiaiFiles.recognise() reads:
     * none unless one names a file that is not ours (rows of our own names only are the earlier
     * runner's, adopted as ours: docs/migrate.md); then also those of our names (001-003).
     */
    List<String> nameOnly() {
      List<String> names = new ArrayList<>();
      if (foreign.isEmpty()) return names;
      for (Row r : ours.values()) if (r.nameOnly()) names.add(r.name());
      for (Row r : foreign) names.add(r.name());
      return names;
    }

    Row foreign(String name) { return foreign.stream().filter(r -> r.name().equals(name)).findFirst().orElse(null); }
  }

  private final Connection conn;
  private final MigrationSource source; // our file names, which tell our rows from kodiai's runner's
  private String qualified; // schema-qualified, quoted; resolved on first use

  MigrationTable(Connection conn, MigrationSource source) {
    this.conn = conn;
    this.source = source;
  }

  /** The table's name for SQL: where it is, or where it will be created (the current schema). */
  String name() throws SQLException {
    if (qualified == null) {
      try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SELECT quote_ident(coalesce("
          + "(SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
          + " WHERE c.oid = to_regclass('" + NAME + "')),"
          + " current_schema(), 'public'))")) {
        rs.next();
        qualified = rs.getString(1) + "." + NAME;
      }
    }
    return qualified;
  }

  boolean exists() throws SQLException {
    try (Statement st = conn.createStatement();
         ResultSet rs = st.executeQuery("SELECT to_regclass('" + name().replace("'", "''") + "') IS NOT NULL")) {
      rs.next();
      return rs.getBoolean(1);
    }
  }

  /**
   * Creates the table, or upgrades one left by kodiai's earlier runner (id, name, applied_at).
   * Same shape as migration 001.
   */
  void ensure(MigrationSource source) throws SQLException { ensure(source, false, Set.of()); }

  /**
   * The same; providedBy: also the column provided_by (migration 012 adds it; a run that records
   * rows for kodiai's runner before 012, as a test's own folder does, needs it first); converting:
   * versions whose name-only rows a conversion takes over (not adopted as applied here).
   */
  void ensure(MigrationSource source, boolean providedBy, Set<Integer> converting) throws SQLException {
    try (Statement st = conn.createStatement()) {
      st.execute("CREATE TABLE IF NOT EXISTS " + name() + " (id serial PRIMARY KEY, name text NOT NULL UNIQUE,"
          + " applied_at timestamptz NOT NULL DEFAULT now())");
      st.execute("ALTER TABLE " + name() + " ADD COLUMN IF NOT EXISTS version integer,"
          + " ADD COLUMN IF NOT EXISTS checksum text, ADD COLUMN IF NOT EXISTS execution_ms integer,"
          + " ADD COLUMN IF NOT EXISTS status text NOT NULL DEFAULT 'applied',"
          + " ADD COLUMN IF NOT EXISTS applied_by text DEFAULT current_user");
      if (providedBy) st.execute("ALTER TABLE " + name() + " ADD COLUMN IF NOT EXISTS provided_by text");
      // The earlier runner's table as docs/migrate.md describes it (id serial, name text unique, applied_at
      // timestamptz) lacks 001's NOT NULLs, default and primary key: bring it to exactly 001's shape.
      String t = name(), reg = "'" + t.replace("'", "''") + "'::regclass";
      st.execute("DO $$ BEGIN\n"
          + "  IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = " + reg
          + " AND attname IN ('name', 'applied_at') AND NOT attnotnull)\n"
          + "     OR NOT EXISTS (SELECT 1 FROM pg_attrdef d JOIN pg_attribute a"
          + " ON a.attrelid = d.adrelid AND a.attnum = d.adnum\n"
          + "                    WHERE d.adrelid = " + reg + " AND a.attname = 'applied_at')\n"
          + "     OR NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = " + reg + " AND contype = 'p') THEN\n"
          + "    UPDATE " + t + " SET applied_at = now() WHERE applied_at IS NULL;\n"
          + "    ALTER TABLE " + t + " ALTER COLUMN name SET NOT NULL, ALTER COLUMN applied_at SET NOT NULL,"
          + " ALTER COLUMN applied_at SET DEFAULT now();\n"
          + "    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = " + reg + " AND contype = 'p') THEN\n"
          + "      ALTER TABLE " + t + " ADD CONSTRAINT _migrations_pkey PRIMARY KEY (id);\n"
          + "    END IF;\n"
          + "  END IF;\n"
          + "END $$");
    }
    // Adopt the earlier runner's rows: their version comes from the file name, their checksum from today's file.
    for (Row r : read(conn, name(), source).ours().values()) {
      MigrationSource.Migration m = source.byVersion(r.version());
      if (r.checksum() == null && m != null && !converting.contains(r.version()))
        try (PreparedStatement ps =
                 conn.prepareStatement("UPDATE " + name() + " SET version = ?, checksum = ? WHERE name = ?")) {
          ps.setInt(1, r.version());
          ps.setString(2, m.checksum());
          ps.setString(3, r.name());
          ps.executeUpdate();
        }
    }
  }

  /** Our recorded migrations by version; empty when there is no table yet. */
  Map<Integer, Row> read() throws SQLException { return readAll().ours(); }

  /** Every row, by owner (Rows); empty when there is no table yet. */
  Rows readAll() throws SQLException {
    return exists() ? read(conn, name(), source) : new Rows(new TreeMap<>(), List.of(), List.of());
  }

  /**
   * Reads the rows through any connection (also a second one, after the first was lost).
   * A table this runner did not write (another tool's, or hand-edited) is refused with one
   * line per thing found, before anything runs: exit 5. kodiai's runner's rows are accepted (Rows).
   */
  static Rows read(Connection c, String table, MigrationSource source) throws SQLException {
    Map<Integer, Row> rows = new TreeMap<>();
    List<Row> provided = new ArrayList<>(), foreign = new ArrayList<>();
    List<MigrationException.Problem> problems = new ArrayList<>();
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT * FROM " + table)) {
      Set<String> cols = new LinkedHashSet<>();
      for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) cols.add(rs.getMetaData().getColumnName(i));
      if (!cols.contains("name") || !cols.contains("applied_at"))
        throw new MigrationException(new MigrationException.NotMigrationTable(table, List.copyOf(cols)));
      while (rs.next()) {
        Row row = row(rs, cols, table, source, problems);
        if (row == null) continue;
        if (PROVIDED.equals(row.status())) { provided.add(row); continue; }
        if (row.version() < 0) { foreign.add(row); continue; }
        Row other = rows.put(row.version(), row);
        if (other != null)
          problems.add(new MigrationException.DuplicateRow(table, row.version(), other.name(), row.name()));
      }
    }
    if (!problems.isEmpty()) throw new MigrationException(new MigrationException.Invalid(List.copyOf(problems)));
    provided.sort(java.util.Comparator.comparing(Row::name));
    foreign.sort(java.util.Comparator.comparing(Row::name));
    return new Rows(rows, List.copyOf(provided), List.copyOf(foreign));
  }

  /**
   * One row, or null with a problem. Its version: the recorded one; for a name-only row, that of
   * the file name if it is one of ours (the earlier runner's), else -1 (kodiai's runner's row of
   * one of its own files: no version of ours, whatever its number).
   */
  private static Row row(ResultSet rs, Set<String> cols, String table, MigrationSource source,
      List<MigrationException.Problem> problems) throws SQLException {
    String name = rs.getString("name");
    String status = cols.contains("status") ? rs.getString("status") : "applied";
    String providedBy = cols.contains("provided_by") ? rs.getString("provided_by") : null;
    Integer version = null;
    if (cols.contains("version") && rs.getObject("version") != null) {
      try {
        version = rs.getInt("version");
      } catch (SQLException notANumber) {
        version = null;
      }
    } else if (PROVIDED.equals(status) || source != null && source.byFileName(name) == null
        && KodiaiFiles.number(name) >= 0) {
      version = -1;
    } else {
      version = versionOf(name);
    }
    if (version == null || name == null) {
      problems.add(new MigrationException.ForeignRow(table, name));
      return null;
    }
    if (!"applied".equals(status) && !"failed".equals(status) && !PROVIDED.equals(status))
      problems.add(new MigrationException.BadStatus(table, name, status));
    return new Row(version, name, cols.contains("checksum") ? rs.getString("checksum") : null,
        rs.getTimestamp("applied_at"), status,
        providedBy);
  }

  private static final Pattern VERSION_PREFIX = Pattern.compile("^(\\d{1,9})-[a-z0-9][a-z0-9_-]*(\\.down)?\\.sql$");

  private static Integer versionOf(String name) {
    Matcher m = VERSION_PREFIX.matcher(name == null ? "" : name);
    return m.find() ? Integer.parseInt(m.group(1)) : null;
  }

  /** Inserts a row now (autocommit): `failed` before a non-transactional migration runs, `applied` by resolve. */
  void insert(MigrationSource.Migration m, String status) throws SQLException { insert(m, status, false); }

  /**
   * The same; takeOver: a name-only row of that name (kodiai's runner's, which a conversion replaces) becomes this one.
   */
  void insert(MigrationSource.Migration m, String status, boolean takeOver) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement("INSERT INTO " + name()
        + " (name, version, checksum, execution_ms, status, applied_at) VALUES (?, ?, ?, 0, ?, clock_timestamp())"
        + (takeOver ? " ON CONFLICT (name) DO UPDATE SET version = EXCLUDED.version, checksum = EXCLUDED.checksum,"
            + " status = EXCLUDED.status, applied_at = EXCLUDED.applied_at WHERE " + name()
            + ".version IS NULL" : ""))) {
      ps.setString(1, m.fileName());
      ps.setInt(2, m.version());
      ps.setString(3, m.checksum());
      ps.setString(4, status);
      ps.executeUpdate();
    }
  }

  /** Runs an UPDATE or DELETE on the table: `sql` says `%s` where the table's name goes, `?` for the values. */
  int update(String sql, Object... values) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement(String.format(sql, name()))) {
      for (int i = 0; i < values.length; i++) ps.setObject(i + 1, values[i]);
      return ps.executeUpdate();
    }
  }

  /** How long each of these migrations took, as recorded; only those that committed. */
  Map<Integer, Integer> durations(List<MigrationSource.Migration> migrations) throws SQLException {
    Map<Integer, Integer> ms = new TreeMap<>();
    if (migrations.isEmpty()) return ms;
    StringBuilder in = new StringBuilder();
    for (var m : migrations) in.append(in.length() == 0 ? "" : ",").append(m.version());
    try (Statement st = conn.createStatement();
         ResultSet rs = st.executeQuery("SELECT version, coalesce(execution_ms, 0) FROM " + name()
             + " WHERE version IN (" + in + ")"
             + " AND status = 'applied'")) {
      while (rs.next()) ms.put(rs.getInt(1), rs.getInt(2));
    }
    return ms;
  }
}
