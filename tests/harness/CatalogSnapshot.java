// A full, comparable picture of a database's schema: every object a migration
// can create, as one sorted list of strings, so that two snapshots compare with
// assertEquals and a difference reads as the lines that differ.
//
//   List<String> before = CatalogSnapshot.take(connection);
//   ... migrate up and back down ...
//   assertEquals(before, CatalogSnapshot.take(connection));  // or CatalogSnapshot.diff(before, after)
//
// Covered, for every schema except pg_catalog, information_schema and pg_toast:
// schemas; tables, views, sequences and other relations (kind, persistence,
// options, row security); columns (type, collation, not null, default,
// identity, generated; by name, not position, so a column dropped and added
// again compares equal); constraints (full definition, deferrability);
// indexes (full definition); triggers (definition, enabled state); functions
// and procedures (full definition); types (domains, enums, composites, ranges);
// sequences' parameters; policies; comments; extensions and their versions;
// the database's own settings (ALTER DATABASE ... SET, for all roles).
// Objects that belong to an extension are represented by the extension line
// (name, version, schema), not listed one by one.
// Not covered (no migration here creates them): ownership and privileges,
// rules, publications, event triggers, statistics objects.

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

final class CatalogSnapshot {
  private CatalogSnapshot() {}

  private static final String USER_NS =
      "NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND %1$s NOT LIKE 'pg_temp_%%' AND %1$s NOT LIKE 'pg_toast_temp_%%'";

  private static String userNs(String col) { return col + " " + String.format(USER_NS, col); }

  /** Not an extension's member object. */
  private static String notExt(String catalog, String oid) {
    return "NOT EXISTS (SELECT 1 FROM pg_depend dep WHERE dep.classid = '" + catalog + "'::regclass AND dep.objid = " + oid
        + " AND dep.deptype = 'e')";
  }

  private static final String[] QUERIES = {
      // schemas
      "SELECT 'schema ' || n.nspname FROM pg_namespace n WHERE " + userNs("n.nspname"),
      // extensions
      "SELECT 'extension ' || e.extname || ' ' || e.extversion || ' schema=' || e.extnamespace::regnamespace::text FROM pg_extension e",
      // relations (indexes are listed with their definitions below)
      "SELECT 'relation ' || n.nspname || '.' || c.relname || ' kind=' || c.relkind::text || ' persistence=' || c.relpersistence::text"
          + " || coalesce(' options=' || array_to_string(c.reloptions, ','), '')"
          + " || CASE WHEN c.relrowsecurity THEN ' rls' ELSE '' END || CASE WHEN c.relforcerowsecurity THEN ' force-rls' ELSE '' END"
          + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
          + " WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND " + userNs("n.nspname") + " AND " + notExt("pg_class", "c.oid"),
      // columns
      "SELECT 'column ' || n.nspname || '.' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)"
          + " || CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation THEN ' collate ' || a.attcollation::regcollation::text ELSE '' END"
          + " || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END"
          + " || CASE a.attidentity WHEN 'a' THEN ' identity always' WHEN 'd' THEN ' identity by default' ELSE '' END"
          + " || CASE WHEN a.attgenerated = 's' THEN ' generated ' || pg_get_expr(d.adbin, d.adrelid)"
          + "         ELSE coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '') END"
          + " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
          + " JOIN pg_type t ON t.oid = a.atttypid"
          + " LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
          + " WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'c')"
          + " AND " + userNs("n.nspname") + " AND " + notExt("pg_class", "c.oid")
          + " AND (c.relkind <> 'c' OR " + notExt("pg_type", "c.reltype") + ")",
      // constraints (of tables and of domains)
      "SELECT 'constraint ' || n.nspname || '.' || coalesce(c.relname, t.typname) || '.' || co.conname || ' ' || pg_get_constraintdef(co.oid)"
          + " || CASE WHEN co.condeferrable THEN ' deferrable' ELSE '' END || CASE WHEN co.condeferred THEN ' initially deferred' ELSE '' END"
          + " || CASE WHEN NOT co.convalidated THEN ' not valid' ELSE '' END"
          + " FROM pg_constraint co JOIN pg_namespace n ON n.oid = co.connamespace"
          + " LEFT JOIN pg_class c ON c.oid = co.conrelid LEFT JOIN pg_type t ON t.oid = co.contypid"
          + " WHERE " + userNs("n.nspname") + " AND " + notExt("pg_class", "coalesce(c.oid, 0)"),
      // indexes
      "SELECT 'index ' || n.nspname || '.' || i.relname || ' ' || pg_get_indexdef(i.oid)"
          + " || CASE WHEN NOT x.indisvalid THEN ' INVALID' ELSE '' END"
          + " FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_namespace n ON n.oid = i.relnamespace"
          + " WHERE " + userNs("n.nspname") + " AND " + notExt("pg_class", "x.indrelid"),
      // triggers
      "SELECT 'trigger ' || n.nspname || '.' || c.relname || '.' || tg.tgname || ' ' || pg_get_triggerdef(tg.oid) || ' enabled=' || tg.tgenabled::text"
          + " FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
          + " WHERE NOT tg.tgisinternal AND " + userNs("n.nspname"),
      // functions and procedures: the full definition, on one line
      "SELECT 'function ' || n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ') '"
          + " || CASE WHEN p.prokind IN ('f', 'p', 'w') THEN replace(pg_get_functiondef(p.oid), E'\\n', '\\n') ELSE 'kind=' || p.prokind::text END"
          + " FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
          + " WHERE " + userNs("n.nspname") + " AND " + notExt("pg_proc", "p.oid"),
      // types: domains, enums, ranges, base and free-standing composite types (not row types of tables, not arrays)
      "SELECT 'type ' || n.nspname || '.' || t.typname || ' typtype=' || t.typtype::text"
          + " || CASE WHEN t.typtype = 'd' THEN ' over ' || format_type(t.typbasetype, t.typtypmod) || CASE WHEN t.typnotnull THEN ' not null' ELSE '' END"
          + "         || coalesce(' default ' || t.typdefault, '') ELSE '' END"
          + " || CASE WHEN t.typtype = 'e' THEN ' values ' || (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid) ELSE '' END"
          + " FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace"
          + " WHERE " + userNs("n.nspname") + " AND " + notExt("pg_type", "t.oid")
          + " AND (t.typrelid = 0 OR (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c')"
          + " AND NOT EXISTS (SELECT 1 FROM pg_type el WHERE el.typarray = t.oid)",
      // sequences' parameters (owned-by is part of the column default / identity)
      "SELECT 'sequence ' || n.nspname || '.' || c.relname || ' ' || format_type(s.seqtypid, NULL) || ' start=' || s.seqstart"
          + " || ' increment=' || s.seqincrement || ' min=' || s.seqmin || ' max=' || s.seqmax || ' cache=' || s.seqcache"
          + " || CASE WHEN s.seqcycle THEN ' cycle' ELSE '' END"
          + " || coalesce(' owned-by=' || (SELECT d.refobjid::regclass::text || '.' || a.attname FROM pg_depend d"
          + "      JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid"
          + "      WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i') AND d.refobjsubid > 0 LIMIT 1), '')"
          + " FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
          + " WHERE " + userNs("n.nspname") + " AND " + notExt("pg_class", "c.oid"),
      // row-level security policies
      "SELECT 'policy ' || schemaname || '.' || tablename || '.' || policyname || ' ' || permissive || ' ' || cmd"
          + " || ' roles=' || array_to_string(roles, ',') || coalesce(' using ' || qual, '') || coalesce(' check ' || with_check, '')"
          + " FROM pg_policies",
      // comments on anything outside the system schemas (extension members excluded)
      "SELECT 'comment ' || pg_describe_object(d.classoid, d.objoid, d.objsubid) || ': ' || d.description"
          + " FROM pg_description d, LATERAL pg_identify_object(d.classoid, d.objoid, d.objsubid) o"
          + " WHERE (o.schema IS NULL OR o.schema " + String.format(USER_NS, "o.schema") + ")"
          + " AND NOT EXISTS (SELECT 1 FROM pg_depend dep WHERE dep.classid = d.classoid AND dep.objid = d.objoid AND dep.deptype = 'e')"
          + " AND NOT (d.classoid = 'pg_namespace'::regclass AND o.identity IN ('pg_catalog', 'information_schema', 'pg_toast'))"
          + " AND d.classoid <> 'pg_am'::regclass AND d.classoid <> 'pg_language'::regclass"
          + " AND NOT (d.classoid = 'pg_extension'::regclass AND o.identity = 'plpgsql')",
      // defaults of this database for every role (ALTER DATABASE ... SET): a migration may set them
      "SELECT 'database setting ' || x FROM pg_db_role_setting s, unnest(s.setconfig) x"
          + " WHERE s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database()) AND s.setrole = 0",
  };

  /** The sorted snapshot of everything listed above. */
  static List<String> take(Connection c) throws SQLException {
    TreeSet<String> lines = new TreeSet<>();
    List<String> dupes = new ArrayList<>();
    try (Statement st = c.createStatement()) {
      for (String q : QUERIES) {
        try (ResultSet rs = st.executeQuery(q)) {
          while (rs.next()) if (!lines.add(rs.getString(1))) dupes.add(rs.getString(1));
        }
      }
    }
    List<String> out = new ArrayList<>(lines);
    out.addAll(dupes); // never expected; kept so that a duplicate still shows up in a comparison
    out.sort(null);
    return out;
  }

  /** A readable difference: "- line" only in a, "+ line" only in b; empty when equal. */
  static String diff(List<String> a, List<String> b) {
    TreeSet<String> onlyA = new TreeSet<>(a), onlyB = new TreeSet<>(b);
    onlyA.removeAll(b);
    onlyB.removeAll(a);
    StringBuilder sb = new StringBuilder();
    onlyA.forEach(l -> sb.append("- ").append(l).append('\n'));
    onlyB.forEach(l -> sb.append("+ ").append(l).append('\n'));
    return sb.toString();
  }
}
