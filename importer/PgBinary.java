// Shared source of the importer (//SOURCES importer/PgBinary.java): a converted value in
// PostgreSQL's binary form: an int32 length (-1 for NULL), then the bytes of the type's
// send function. Binary COPY carries values in this form, and record_send() returns each
// column of a row in it: CopyWriter writes rows with it, Checksum hashes them with it, so
// the verification compares the source with what PostgreSQL sends back from the table,
// value for value, with no text printing or parsing on either side.

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.sql.SQLException;

final class PgBinary {
  private PgBinary() {}

  /** Where values go: a buffer with at least `n` bytes free (a COPY flushes, a checksum grows). */
  interface Sink { ByteBuffer room(int n) throws SQLException; }

  /**
   * `v` as Converter returned it for `t` (null for NULL). jsonb is sent as the source wrote
   * it (PostgreSQL parses it); with `jsonAsStored`, as PostgreSQL sends it back: its
   * canonical text (JsonText), the form record_send() gives.
   */
  static void put(Sink s, Object v, ColumnType t, boolean jsonAsStored) throws SQLException {
    if (v == null) { s.room(4).putInt(-1); return; }
    switch (t.kind()) {
      case INT2 -> s.room(6).putInt(2).putShort(((Long) v).shortValue());
      case INT4 -> s.room(8).putInt(4).putInt(((Long) v).intValue());
      case INT8 -> s.room(12).putInt(8).putLong((Long) v);
      case BOOL -> s.room(5).putInt(1).put((byte) ((Boolean) v ? 1 : 0));
      case TIMESTAMPTZ -> s.room(12).putInt(8).putLong(((Converter.Timestamp) v).pgMicros());
      case FLOAT8 -> s.room(12).putInt(8).putLong(Double.doubleToRawLongBits((Double) v));
      case TEXT -> { byte[] b = (byte[]) v; s.room(4 + b.length).putInt(b.length).put(b); }
      case JSONB -> { // jsonb's binary form: version 1, then the text
        Converter.Json j = (Converter.Json) v;
        byte[] b = jsonAsStored ? j.canonical() : j.text();
        s.room(5 + b.length).putInt(1 + b.length).put((byte) 1).put(b);
      }
      case NUMERIC -> numeric(s, (BigDecimal) v);
      case VECTOR -> { // pgvector's vector_send: int16 dims, int16 0, float4 big-endian each
        Converter.Vector vec = (Converter.Vector) v;
        byte[] b = vec.bigEndian();
        s.room(8 + b.length).putInt(4 + b.length).putShort((short) vec.dims()).putShort((short) 0).put(b);
      }
      case HALFVEC -> { // halfvec_send: int16 dims, int16 0, each element as an IEEE half, big-endian
        Converter.Vector vec = (Converter.Vector) v;
        byte[] b = vec.bigEndian();
        int n = vec.dims();
        ByteBuffer out = s.room(8 + 2 * n).putInt(4 + 2 * n).putShort((short) n).putShort((short) 0);
        for (int k = 0; k < b.length; k += 4)
          out.putShort(half(ByteBuffer.wrap(b, k, 4).getInt()));
      }
    }
  }

  /**
   * The IEEE half nearest to a float (given as its bits), ties to even: what pgvector's own cast
   * vector -> halfvec stores, so the import writes the value the bot's `$1::vector` would. The caller
   * has refused NaN, infinities and |x| >= 65520 (Vec0Reader), which have no finite half.
   */
  static short half(int bits) {
    int sign = (bits >>> 16) & 0x8000, abs = bits & 0x7fffffff;
    if (abs < 0x38800000) { // below 2^-14: a subnormal half (or zero), in units of 2^-24
      int exp = abs >>> 23;
      if (exp < 102) return (short) sign; // below 2^-25: rounds to zero
      int mant = (abs & 0x7fffff) | 0x800000, shift = 126 - exp;
      int h = mant >>> shift, rest = mant & ((1 << shift) - 1), halfway = 1 << (shift - 1);
      if (rest > halfway || (rest == halfway && (h & 1) != 0)) h++;
      return (short) (sign | h);
    }
    int rebased = abs - (112 << 23); // exponent bias 127 -> 15
    return (short) (sign | (rebased + 0xfff + ((rebased >>> 13) & 1)) >>> 13);
  }

  private static final BigInteger NBASE = BigInteger.valueOf(10_000);

  /**
   * numeric as numeric_send() gives it back: int16 ndigits, int16 weight, int16 sign, int16
   * dscale, then base-10000 digits, without leading or trailing zero digits (PostgreSQL
   * stores every numeric that way; zero has no digits and weight 0). Sent in this form, the
   * value PostgreSQL stores sends back the same bytes: dscale is the BigDecimal's scale
   * (Converter already rounded it to the column's), never below 0.
   */
  static void numeric(Sink s, BigDecimal d) throws SQLException {
    int dscale = Math.max(0, d.scale());
    // The digits as an integer with a fractional part that ends on a base-10000 boundary.
    int fracGroups = (dscale + 3) / 4;
    BigInteger u = d.unscaledValue().abs();
    if (d.scale() < 0) u = u.multiply(BigInteger.TEN.pow(-d.scale()));
    else u = u.multiply(BigInteger.TEN.pow(fracGroups * 4 - d.scale()));
    short[] groups = new short[u.bitLength() / 13 + 2]; // 10000 > 2^13: enough base-10000 digits
    int n = 0;
    while (u.signum() > 0) {
      BigInteger[] qr = u.divideAndRemainder(NBASE);
      groups[n++] = qr[1].shortValue(); // least significant first
      u = qr[0];
    }
    int low = 0;
    while (low < n && groups[low] == 0) low++; // trailing zero digits are not stored
    int ndigits = n - low;
    int weight = ndigits == 0 ? 0 : n - 1 - fracGroups;
    int sign = ndigits == 0 || d.signum() >= 0 ? 0x0000 : 0x4000;
    ByteBuffer b = s.room(12 + 2 * ndigits);
    b.putInt(8 + 2 * ndigits).putShort((short) ndigits).putShort((short) weight).putShort((short) sign)
        .putShort((short) dscale);
    for (int k = n - 1; k >= low; k--) b.putShort(groups[k]);
  }
}
