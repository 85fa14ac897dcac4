// Shared source of the importer (//SOURCES importer/ColumnType.java): the PostgreSQL column
// types the importer writes, read from the target's catalog (format_type), so the schema
// decides each conversion and a later migration that changes a type is followed, or
// refused when the importer does not know the type.

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** One target column type; `scale`/`precision` for numeric(p,s), `dims` for vector(n) and halfvec(n). */
record ColumnType(Kind kind, int precision, int scale, int dims) {
  enum Kind { INT2, INT4, INT8, TEXT, TIMESTAMPTZ, BOOL, JSONB, NUMERIC, FLOAT8, VECTOR, HALFVEC }

  private static final Pattern NUMERIC = Pattern.compile("numeric\\((\\d+),(\\d+)\\)");
  private static final Pattern VECTOR = Pattern.compile("(half)?vec(tor)?\\((\\d+)\\)");

  /** The type as format_type() prints it, or null when the importer cannot write it. */
  static ColumnType of(String formatted) {
    switch (formatted) {
      case "smallint": return new ColumnType(Kind.INT2, 0, 0, 0);
      case "integer": return new ColumnType(Kind.INT4, 0, 0, 0);
      case "bigint": return new ColumnType(Kind.INT8, 0, 0, 0);
      case "text": return new ColumnType(Kind.TEXT, 0, 0, 0);
      case "timestamp with time zone": return new ColumnType(Kind.TIMESTAMPTZ, 0, 0, 0);
      case "boolean": return new ColumnType(Kind.BOOL, 0, 0, 0);
      case "jsonb": return new ColumnType(Kind.JSONB, 0, 0, 0);
      case "double precision": return new ColumnType(Kind.FLOAT8, 0, 0, 0);
      case "numeric": return new ColumnType(Kind.NUMERIC, 0, -1, 0);
      default:
    }
    Matcher m = NUMERIC.matcher(formatted.replace(" ", ""));
    if (m.matches()) return new ColumnType(Kind.NUMERIC, Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), 0);
    m = VECTOR.matcher(formatted);
    if (m.matches() && (m.group(1) == null) == (m.group(2) != null)) // vector(n) or halfvec(n) (migration 007)
      return new ColumnType(m.group(1) == null ? Kind.VECTOR : Kind.HALFVEC, 0, 0, Integer.parseInt(m.group(3)));
    return null;
  }
}
