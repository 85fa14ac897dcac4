// Shared source of the importer (//SOURCES importer/Checksum.java): the canonical form of a
// row that the verification compares on both sides: PostgreSQL's record_send() of the row's
// written columns: int32 column count, then per column its type's oid and its value in
// binary form (PgBinary: int32 length or -1 for NULL, then the type's send bytes). The
// lengths keep one value from being mistaken for the next. A row's hash is the first 8
// bytes of the MD5 of that form as a signed 64-bit number; a table's checksum is the count
// and the sum of its rows' hashes (mod 2^64), which does not depend on row order.
// PostgreSQL computes the same with rowHashSql() from the table itself (binary send forms,
// so it costs no text formatting: a quarter of a text form's time per row); Java computes it
// from the converted source values. A difference in any column of any row changes the sum,
// and then the rows are compared one by one to name the ids.
//
// Timestamps are the exception to "from the converted values": Java hashes the instant of the
// source *text*, parsed again here with java.time (sourceTimestamp), not the Converter's
// result, so a conversion that shifts or truncates a timestamp (a fraction not padded to
// microseconds, say) shows up as a difference instead of being verified against itself.

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.temporal.ChronoField;
import java.util.List;

final class Checksum {
  private final List<ColumnType> types;
  private final int[] oids;
  private final MessageDigest md5;
  private ByteBuffer buf = ByteBuffer.allocate(1 << 14).order(ByteOrder.BIG_ENDIAN);
  private final PgBinary.Sink sink = this::room;

  /** Hashes rows of columns of these types; `oids`: each column's type oid, as record_send() writes it. */
  Checksum(List<ColumnType> types, int[] oids) {
    this.types = types;
    this.oids = oids;
    try {
      this.md5 = MessageDigest.getInstance("MD5");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The hash of one row whose converted values are `values` (nulls allowed), in column order. */
  long rowHash(Object[] values) {
    buf.clear();
    buf.putInt(values.length);
    try {
      for (int k = 0; k < values.length; k++) {
        room(4).putInt(oids[k]);
        PgBinary.put(sink, values[k], types.get(k), true);
      }
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e); // room() never throws
    }
    md5.update(buf.array(), 0, buf.position());
    byte[] d = md5.digest();
    long h = 0;
    for (int k = 0; k < 8; k++) h = (h << 8) | (d[k] & 0xff);
    return h;
  }

  private ByteBuffer room(int n) {
    if (buf.remaining() < n) {
      ByteBuffer b = ByteBuffer.allocate(Math.max(buf.capacity() * 2, buf.position() + n)).order(ByteOrder.BIG_ENDIAN);
      buf.flip();
      buf = b.put(buf);
    }
    return buf;
  }

  /** The same hash computed by PostgreSQL for the row of `alias` (a bigint expression); `columns` unquoted. */
  static String rowHashSql(List<String> columns, String alias) {
    StringBuilder sb = new StringBuilder("('x' || substr(md5(record_send(ROW(");
    for (int k = 0; k < columns.size(); k++) {
      if (k > 0) sb.append(", ");
      sb.append(alias).append(".\"").append(columns.get(k).replace("\"", "\"\"")).append('"');
    }
    return sb.append("))), 1, 16))::bit(64)::bigint").toString();
  }

  private static final DateTimeFormatter SOURCE_TIME = new DateTimeFormatterBuilder()
      .appendPattern("uuuu-MM-dd").optionalStart().appendLiteral(' ').optionalEnd().optionalStart()
      .appendLiteral('T').optionalEnd()
      .appendPattern("HH:mm:ss").optionalStart().appendFraction(ChronoField.NANO_OF_SECOND, 1, 9, true).optionalEnd()
      .optionalStart().appendLiteral('Z').optionalEnd().toFormatter()
      .withResolverStyle(java.time.format.ResolverStyle.STRICT);

  /**
   * The instant a source timestamp text names, as microseconds since 2000-01-01 UTC, read with
   * java.time (independently of Converter.timestamp); the text was already accepted by it.
   */
  static Converter.Timestamp sourceTimestamp(String text) {
    LocalDateTime t = LocalDateTime.parse(text, SOURCE_TIME);
    long seconds = t.toEpochSecond(ZoneOffset.UTC) - Converter.PG_EPOCH_SECONDS;
    return new Converter.Timestamp(seconds * 1_000_000L + t.getNano() / 1000);
  }

  /** A table's checksum as PostgreSQL's sum(numeric) of the row hashes gives it, reduced mod 2^64. */
  static long fold(BigInteger sum) { return sum == null ? 0 : sum.longValue(); }
}
