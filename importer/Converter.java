// Shared source of the importer (//SOURCES importer/Converter.java): one SQLite value to the
// value of its PostgreSQL column, exactly, or a reason why it cannot be. SQLite stores
// any value in any column (type affinity), so every conversion checks the storage class
// it meets; nothing is coerced that PostgreSQL or the source would read differently.
//
// The converted values are what PgBinary writes: the bytes COPY sends, and (jsonb: with the
// canonical text PostgreSQL will give back) what the verification's checksum hashes.

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;

final class Converter {
  private Converter() {}

  /** Why a value cannot be imported; the message names what is wrong, not where (the caller adds that). */
  static final class Problem extends Exception {
    Problem(String message) { super(message, null, false, false); }
  }

  /** A timestamp: microseconds since 2000-01-01 00:00 UTC, as binary COPY sends it. */
  record Timestamp(long pgMicros) {}

  /** A JSON value, UTF-8: the source text (PostgreSQL parses it itself), its expected jsonb::text, what jsonb changes
   * (or null). */
  record Json(byte[] text, byte[] canonical, String change) {}

  /** A vector: big-endian float4s as pgvector's binary form wants them. */
  record Vector(byte[] bigEndian, int dims) {}

  static final long PG_EPOCH_SECONDS = 946_684_800L; // 2000-01-01T00:00:00Z

  /**
   * `raw` as SQLite's JDBC driver returns it (null, Integer/Long, Double, String, byte[])
   * converted for `type` (text as its UTF-8 bytes); returns null for NULL.
   */
  static Object convert(Object raw, ColumnType type) throws Problem {
    if (raw == null) return null;
    switch (type.kind()) {
      case INT2: return integer(raw, Short.MIN_VALUE, Short.MAX_VALUE, "smallint");
      case INT4: return integer(raw, Integer.MIN_VALUE, Integer.MAX_VALUE, "integer");
      case INT8: return integer(raw, Long.MIN_VALUE, Long.MAX_VALUE, "bigint");
      case TEXT: return utf8(text(raw));
      case BOOL: {
        if (raw instanceof Integer || raw instanceof Long) {
          long v = ((Number) raw).longValue();
          if (v == 0) return Boolean.FALSE;
          if (v == 1) return Boolean.TRUE;
          throw new Problem("flag " + v + " is neither 0 nor 1");
        }
        throw new Problem("flag holds " + describe(raw) + ", not 0 or 1");
      }
      case TIMESTAMPTZ: return timestamp(raw);
      case JSONB: {
        String s = text(raw);
        try {
          JsonText.Value v = JsonText.parse(s);
          return new Json(utf8(s), utf8(v.canonical()), v.change());
        } catch (JsonText.Invalid e) {
          throw new Problem("invalid JSON: " + e.getMessage());
        }
      }
      case NUMERIC: return numeric(raw, type);
      case FLOAT8: {
        if (raw instanceof Double d) return d;
        if (raw instanceof Integer || raw instanceof Long) {
          long v = ((Number) raw).longValue();
          if ((long) (double) v == v) return (double) v;
          throw new Problem("integer " + v + " has no exact double");
        }
        throw new Problem("number expected, found " + describe(raw));
      }
      case VECTOR: throw new Problem("vectors come from the vec0 table, not from a column");
      default: throw new IllegalStateException(type.toString());
    }
  }

  private static Long integer(Object raw, long min, long max, String pgType) throws Problem {
    if (raw instanceof Integer || raw instanceof Long) {
      long v = ((Number) raw).longValue();
      if (v < min || v > max) throw new Problem(v + " is out of range for " + pgType);
      return v;
    }
    throw new Problem("integer expected, found " + describe(raw));
  }

  /** Text exactly as stored; refused only where PostgreSQL's text cannot hold it (U+0000). */
  static String text(Object raw) throws Problem {
    if (!(raw instanceof String s)) throw new Problem("text expected, found " + describe(raw));
    int nul = s.indexOf('\0');
    if (nul >= 0) throw new Problem("text holds U+0000 at character " + (nul + 1)
        + ", which PostgreSQL text cannot store");
    return s;
  }

  /**
   * The timestamp shapes kodiai's stores write, all UTC: SQLite's datetime('now')
   * 'YYYY-MM-DD HH:MM:SS' (strftime's %f adds '.SSS'), and GitHub's ISO 8601
   * 'YYYY-MM-DDTHH:MM:SSZ' (feedback_reactions.reacted_at, dep_bump_merge_history.merged_at;
   * JavaScript's toISOString adds '.sssZ'). A fraction of any length is read as the decimal
   * it is ('.5' is 500,000 us); digits past the microsecond must be zeros (timestamptz
   * holds microseconds). Parsed by hand: a regular expression cost a quarter of the import's
   * Java time. The verification parses the source text again, independently (Checksum).
   */
  static Timestamp timestamp(Object raw) throws Problem {
    if (!(raw instanceof String s)) throw new Problem("timestamp text expected, found " + describe(raw));
    boolean iso = s.length() > 10 && s.charAt(10) == 'T';
    int end = iso ? s.length() - 1 : s.length(); // the ISO shape ends in Z
    int fraction = fractionDigits(s, end);
    boolean shape = fraction >= 0 && (!iso || s.charAt(end) == 'Z') && (iso || s.charAt(10) == ' ')
        && s.charAt(4) == '-'
        && s.charAt(7) == '-' && s.charAt(13) == ':' && s.charAt(16) == ':' && allDigits(s, 0, 19);
    if (!shape) throw new Problem("timestamp '" + clip(s) + "' is not 'YYYY-MM-DD HH:MM:SS[.ffffff]' nor"
        + " 'YYYY-MM-DDTHH:MM:SS[.ffffff]Z' (UTC)");
    int micros = 0;
    for (int k = 0; k < 6; k++) micros = micros * 10 + (k < fraction ? s.charAt(20 + k) - '0' : 0);
    for (int k = 6; k < fraction; k++)
      if (s.charAt(20 + k) != '0') throw new Problem("timestamp '" + clip(s)
          + "' is finer than a microsecond, which timestamptz cannot hold");
    int year = digits(s, 0, 4);
    LocalDateTime t;
    try {
      if (year < 1) throw new DateTimeException("year 0");
      t = LocalDateTime.of(year, digits(s, 5, 2), digits(s, 8, 2), digits(s, 11, 2), digits(s, 14, 2), digits(s, 17,
          2));
    } catch (DateTimeException e) {
      throw new Problem("timestamp '" + clip(s) + "' is not a date and time of the calendar");
    }
    long seconds = t.toEpochSecond(ZoneOffset.UTC) - PG_EPOCH_SECONDS;
    return new Timestamp(Math.addExact(Math.multiplyExact(seconds, 1_000_000L), micros));
  }

  /** The digits after '.' at index 19 up to `end` (0 when there is no fraction), or -1 when the shape is wrong. */
  private static int fractionDigits(String s, int end) {
    if (end < 19) return -1;
    if (end == 19) return 0;
    if (s.charAt(19) != '.' || end == 20) return -1;
    return allDigits(s, 20, end) ? end - 20 : -1;
  }

  /** Whether s[from, to) holds only ASCII digits, skipping the separators of 'YYYY-MM-DD HH:MM:SS'. */
  private static boolean allDigits(String s, int from, int to) {
    if (s.length() < to) return false;
    for (int k = from; k < to; k++) {
      boolean separator = to == 19 && (k == 4 || k == 7 || k == 10 || k == 13 || k == 16);
      if (!separator && (s.charAt(k) < '0' || s.charAt(k) > '9')) return false;
    }
    return true;
  }

  private static int digits(String s, int from, int count) {
    int v = 0;
    for (int k = from; k < from + count; k++) v = v * 10 + (s.charAt(k) - '0');
    return v;
  }

  /**
   * A REAL (or INTEGER) as numeric: the shortest decimal that reads back as the stored
   * double (Double.toString, as BigDecimal.valueOf does), rounded half away from zero to
   * the column's scale only: 0.1 + 0.2 stored as 0.30000000000000004 becomes 0.3000000000.
   */
  static BigDecimal numeric(Object raw, ColumnType type) throws Problem {
    BigDecimal d;
    if (raw instanceof Integer || raw instanceof Long) d = BigDecimal.valueOf(((Number) raw).longValue());
    else if (raw instanceof Double v) {
      if (v.isNaN() || v.isInfinite()) throw new Problem(v + " cannot be stored in numeric");
      d = BigDecimal.valueOf(v);
    } else throw new Problem("number expected, found " + describe(raw));
    if (type.scale() >= 0 && type.precision() > 0) {
      d = d.setScale(type.scale(), RoundingMode.HALF_UP);
      if (d.precision() - d.scale() > type.precision() - type.scale())
        throw new Problem(d.toPlainString() + " does not fit numeric(" + type.precision() + "," + type.scale() + ")");
    }
    return d;
  }

  /**
   * What a value loses or has rewritten on its way (null: it arrives as written): a REAL rounded
   * to a numeric column's scale, JSON that jsonb normalises (a repeated key, a number's form).
   * Spacing and key order are not counted: JSON readers do not see them.
   */
  static String silentChange(Object raw, Object converted) {
    if (converted instanceof Converter.Json j) return j.change() == null ? null : "jsonb changes it: " + j.change();
    if (converted instanceof BigDecimal d && raw instanceof Double v && BigDecimal.valueOf(v).compareTo(d) != 0)
      return "the REAL " + v + " would be stored as " + d.toPlainString() + " (rounded to the column's scale)";
    return null;
  }

  /** The kind of silent change a column of `type` can make, for the summary. */
  static String silentChangeKind(ColumnType type) {
    return type.kind() == ColumnType.Kind.NUMERIC ? "rounded to numeric(" + type.precision() + "," + type.scale() + ")"
        : "normalised by jsonb (a repeated key: the last kept; a number in another form, e.g. 1e2 stored as 100)";
  }

  /** Element k of `v` (for messages; Vec0Reader finds elements beyond halfvec's range, |x| >= 65520,
   *  which pgvector's cast rounds to infinity and refuses: 65504 is the largest half). */
  static float element(Vector v, int k) {
    byte[] b = v.bigEndian();
    int p = k * 4;
    return Float.intBitsToFloat(
        (b[p] & 0xff) << 24 | (b[p + 1] & 0xff) << 16 | (b[p + 2] & 0xff) << 8 | (b[p + 3] & 0xff));
  }

  static String describe(Object raw) {
    if (raw instanceof String s) return "text '" + clip(s) + "'";
    if (raw instanceof byte[] b) return "a blob of " + b.length + " bytes";
    if (raw instanceof Double d) return "real " + d;
    return raw.getClass().getSimpleName().toLowerCase() + " " + raw;
  }

  /** A value shown in a one-line message: at most 60 characters, control characters visible. */
  static String clip(String s) {
    StringBuilder sb = new StringBuilder();
    s.codePoints().limit(60).forEach(cp -> {
      if (cp < 0x20 || cp == 0x7f) sb.append(String.format("\\x%02x", cp));
      else sb.appendCodePoint(cp);
    });
    return s.codePointCount(0, s.length()) > 60 ? sb + "..." : sb.toString();
  }

  static byte[] utf8(String s) { return s.getBytes(StandardCharsets.UTF_8); }
}
