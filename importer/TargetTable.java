// Shared source of the importer (//SOURCES importer/TargetTable.java): what the target's
// catalog says about one table: its columns and their types, NOT NULLs, CHECK constraints,
// foreign keys and btree indexes. The importer checks staged rows against these before it
// writes anything, so a constraint added by a later migration (004's jsonb shapes, say) is
// checked without the importer knowing it.

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

final class TargetTable {
  record Check(String name, String expression, List<String> columns) {}
  record ForeignKey(String name, String column, String parentTable) {}
  record BtreeIndex(String name, List<String> columns) {}

  final String name;
  final Map<String, String> types = new LinkedHashMap<>(); // column -> format_type()
  // column -> its type's oid (the checksum hashes it, as record_send() sends it)
  final Map<String, Integer> typeOids = new LinkedHashMap<>();
  final List<String> notNull = new ArrayList<>();
  /** Stored generated columns (column -> expression): PostgreSQL computes them, the importer never writes them. */
  final Map<String, String> generated = new LinkedHashMap<>();
  final List<Check> checks = new ArrayList<>();
  final List<ForeignKey> foreignKeys = new ArrayList<>();
  final List<BtreeIndex> btreeTextIndexes = new ArrayList<>(); // btree indexes on at least one text/jsonb column
  String identitySequence;
  /** Columns a trigger of the table turns into a tsvector (003) -> the text search configuration it uses. */
  final Map<String, String> tsvectorSources = new LinkedHashMap<>();

  private TargetTable(String name) { this.name = name; }

  /** The table's catalog entry, or null when the table does not exist. */
  static TargetTable load(Connection c, String table) throws SQLException {
    TargetTable t = new TargetTable(table);
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attgenerated <> '', "
        + "pg_get_expr(d.adbin, d.adrelid), a.atttypid::int "
            + "FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
            + "WHERE a.attrelid = to_regclass(?) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum")) {
      ps.setString(1, "public." + table);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          t.types.put(rs.getString(1), rs.getString(2));
          t.typeOids.put(rs.getString(1), rs.getInt(6));
          if (rs.getBoolean(3)) t.notNull.add(rs.getString(1));
          if (rs.getBoolean(4)) t.generated.put(rs.getString(1), rs.getString(5));
        }
      }
    }
    if (t.types.isEmpty()) return null;
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT conname, contype, pg_get_expr(conbin, conrelid), "
            + "(SELECT attname FROM pg_attribute WHERE attrelid = conrelid AND attnum = conkey[1]), "
            + "confrelid::regclass::text, "
            + "(SELECT array_agg(attname) FROM pg_attribute WHERE attrelid = conrelid AND attnum = ANY (conkey)) "
            + "FROM pg_constraint WHERE conrelid = to_regclass(?) AND contype IN ('c', 'f') ORDER BY conname")) {
      ps.setString(1, "public." + table);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          if (rs.getString(2).equals("c")) t.checks.add(new Check(rs.getString(1), rs.getString(3),
              List.of((String[]) rs.getArray(6).getArray())));
          else t.foreignKeys.add(new ForeignKey(rs.getString(1), rs.getString(4), rs.getString(5)));
        }
      }
    }
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT i.indexrelid::regclass::text, array_agg(a.attname ORDER BY k.n) FILTER (WHERE a.atttypid IN "
        + "('text'::regtype, 'jsonb'::regtype)) "
            + "FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam "
            + "CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY k(attnum, n) "
            + "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
            + "WHERE i.indrelid = to_regclass(?) AND am.amname = 'btree' GROUP BY 1")) {
      ps.setString(1, "public." + table);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          java.sql.Array arr = rs.getArray(2);
          if (arr != null) t.btreeTextIndexes.add(new BtreeIndex(rs.getString(1), List.of((String[]) arr.getArray())));
        }
      }
    }
    loadTsvectorSources(c, t);
    try (PreparedStatement ps = c.prepareStatement("SELECT pg_get_serial_sequence(?, 'id')")) {
      ps.setString(1, "public." + table);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        t.identitySequence = rs.getString(1);
      }
    }
    return t;
  }

  private static final java.util.regex.Pattern TO_TSVECTOR =
      java.util.regex.Pattern.compile("to_tsvector\\(\\s*'([^']+)'(?:::[\\w.]+)?\\s*,\\s*NEW\\.(\\w+)\\s*\\)");

  /** Reads the trigger functions of the table for `to_tsvector('config'..., NEW.column)` (003's search_tsv triggers).
   * */
  private static void loadTsvectorSources(Connection c, TargetTable t) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT p.prosrc FROM pg_trigger g JOIN pg_proc p ON p.oid = g.tgfoid"
        + " WHERE g.tgrelid = to_regclass(?) AND NOT g.tgisinternal")) {
      ps.setString(1, "public." + t.name);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          java.util.regex.Matcher m = TO_TSVECTOR.matcher(rs.getString(1));
          while (m.find()) t.tsvectorSources.put(m.group(2), m.group(1));
        }
      }
    }
  }

  /** The importer's type for `column`, or null when it does not know how to write that type. */
  ColumnType type(String column) { return ColumnType.of(types.get(column)); }

  static String quote(String ident) { return "\"" + ident.replace("\"", "\"\"") + "\""; }
}
