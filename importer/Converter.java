// Shared source of the importer (//SOURCES importer/Converter.java): one SQLite value to the
// value of its PostgreSQL column, exactly, or a reason why it cannot be. SQLite stores
// any value in any column (type affinity), so every conversion checks the storage class
// it meets; nothing is coerced that PostgreSQL or the source would read differently.
//
// The canonical text of each value (Checksum) is built here too, from the source side of
// each conversion (the timestamp's text, the double's shortest decimal, the vector's bytes),
// so the verification compares the source with what PostgreSQL stored.

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

final class Converter {
  private Converter() {}

  /** Why a value cannot be imported; the message names what is wrong, not where (the caller adds that). */
  static final class Problem extends Exception {
    Problem(String message) { super(message, null, false, false); }
  }

  /** A timestamp: what binary COPY sends and the canonical text. */
  record Timestamp(long pgMicros, String canonical) {}

  /** A JSON value: the source text (PostgreSQL parses it itself) and its expected jsonb::text. */
  record Json(String text, JsonText.Value parsed) {}

  /** A vector: big-endian float4s as pgvector's binary form wants them. */
  record Vector(byte[] bigEndian, int dims) {}

  static final long PG_EPOCH_SECONDS = 946_684_800L; // 2000-01-01T00:00:00Z

  /**
   * `raw` as SQLite's JDBC driver returns it (null, Integer/Long, Double, String, byte[])
   * converted for `type`; returns null for NULL.
   */
  static Object convert(Object raw, ColumnType type) throws Problem {
    if (raw == null) return null;
    switch (type.kind()) {
      case INT2: return integer(raw, Short.MIN_VALUE, Short.MAX_VALUE, "smallint");
      case INT4: return integer(raw, Integer.MIN_VALUE, Integer.MAX_VALUE, "integer");
      case INT8: return integer(raw, Long.MIN_VALUE, Long.MAX_VALUE, "bigint");
      case TEXT: return text(raw);
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
          return new Json(s, JsonText.parse(s));
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
    if (nul >= 0) throw new Problem("text holds U+0000 at character " + (nul + 1) + ", which PostgreSQL text cannot store");
    return s;
  }

  // SQLite's datetime('now') (and strftime's %f variant): 'YYYY-MM-DD HH:MM:SS[.fff]', UTC.
  private static final Pattern TIMESTAMP = Pattern.compile("(\\d{4})-(\\d{2})-(\\d{2}) (\\d{2}):(\\d{2}):(\\d{2})(?:\\.(\\d{1,6}))?");

  static Timestamp timestamp(Object raw) throws Problem {
    if (!(raw instanceof String s)) throw new Problem("timestamp text expected, found " + describe(raw));
    Matcher m = TIMESTAMP.matcher(s);
    if (!m.matches()) throw new Problem("timestamp '" + clip(s) + "' is not 'YYYY-MM-DD HH:MM:SS' (UTC)");
    int year = Integer.parseInt(m.group(1));
    String frac = m.group(7) == null ? "" : m.group(7);
    int micros = frac.isEmpty() ? 0 : Integer.parseInt((frac + "000000").substring(0, 6));
    LocalDateTime t;
    try {
      if (year < 1) throw new DateTimeException("year 0");
      t = LocalDateTime.of(year, Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)),
          Integer.parseInt(m.group(4)), Integer.parseInt(m.group(5)), Integer.parseInt(m.group(6)), micros * 1000);
    } catch (DateTimeException e) {
      throw new Problem("timestamp '" + clip(s) + "' is not a date and time of the calendar");
    }
    long pg = Math.addExact(Math.multiplyExact(t.toEpochSecond(ZoneOffset.UTC) - PG_EPOCH_SECONDS, 1_000_000L), micros);
    String canonical = m.group(1) + "-" + m.group(2) + "-" + m.group(3) + " " + m.group(4) + ":" + m.group(5) + ":" + m.group(6)
        + "." + String.format("%06d", micros);
    return new Timestamp(pg, canonical);
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

  /** The canonical text of a converted value (see ColumnType.canonicalSql for the other side). */
  static String canonical(Object v) {
    if (v instanceof Long || v instanceof Boolean || v instanceof String) return v.toString();
    if (v instanceof Timestamp t) return t.canonical();
    if (v instanceof Json j) return j.parsed().canonical();
    if (v instanceof BigDecimal d) return d.toPlainString();
    if (v instanceof Double d) return String.format("%016x", Double.doubleToRawLongBits(d));
    if (v instanceof Vector vec) return Checksum.md5Hex(pgvectorSend(vec));
    throw new IllegalArgumentException(String.valueOf(v));
  }

  /** Element k of `v` (for messages; Vec0Reader finds elements beyond halfvec's range, |x| >= 65520,
   *  which pgvector's cast rounds to infinity and refuses: 65504 is the largest half). */
  static float element(Vector v, int k) {
    byte[] b = v.bigEndian();
    int p = k * 4;
    return Float.intBitsToFloat((b[p] & 0xff) << 24 | (b[p + 1] & 0xff) << 16 | (b[p + 2] & 0xff) << 8 | (b[p + 3] & 0xff));
  }

  /** pgvector's binary form (vector_send / vector_recv): int16 dims, int16 0, float4 big-endian each. */
  static byte[] pgvectorSend(Vector v) {
    ByteBuffer b = ByteBuffer.allocate(4 + v.bigEndian().length).order(ByteOrder.BIG_ENDIAN);
    b.putShort((short) v.dims()).putShort((short) 0).put(v.bigEndian());
    return b.array();
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
