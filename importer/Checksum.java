// Shared source of the importer (//SOURCES importer/Checksum.java): the canonical form of a
// row that the verification compares on both sides. A row's text is, column by column,
// `N` for NULL or `S<bytes>:<value>` (bytes = UTF-8 length of the canonical value, so no
// value can be mistaken for a separator); its hash is the first 8 bytes of its MD5 as a
// signed 64-bit number; a table's checksum is the count and the sum of its rows' hashes
// (mod 2^64), which does not depend on row order. PostgreSQL computes the same with
// rowHashSql(); a difference in any column of any row changes the sum, and then the rows
// are compared one by one to name the ids.

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

final class Checksum {
  private Checksum() {}

  /** The hash of one row whose converted values are `values` (nulls allowed), in column order. */
  static long rowHash(Object[] values) {
    StringBuilder sb = new StringBuilder(256);
    for (Object v : values) {
      if (v == null) { sb.append('N'); continue; }
      String c = Converter.canonical(v);
      sb.append('S').append(utf8Length(c)).append(':').append(c);
    }
    byte[] d = md5().digest(sb.toString().getBytes(StandardCharsets.UTF_8));
    long h = 0;
    for (int k = 0; k < 8; k++) h = (h << 8) | (d[k] & 0xff);
    return h;
  }

  /** The same hash computed by PostgreSQL for the row of `alias` (a bigint expression). */
  static String rowHashSql(List<String> columns, List<ColumnType> types, String alias) {
    StringBuilder sb = new StringBuilder("('x' || substr(md5(concat(");
    for (int k = 0; k < columns.size(); k++) {
      if (k > 0) sb.append(", ");
      String col = alias + ".\"" + columns.get(k).replace("\"", "\"\"") + "\"";
      String canon = types.get(k).canonicalSql(col);
      sb.append("CASE WHEN ").append(col).append(" IS NULL THEN 'N' ELSE 'S' || octet_length(").append(canon)
          .append(") || ':' || ").append(canon).append(" END");
    }
    return sb.append(")), 1, 16))::bit(64)::bigint").toString();
  }

  /** A table's checksum as PostgreSQL's sum(numeric) of the row hashes gives it, reduced mod 2^64. */
  static long fold(BigInteger sum) { return sum == null ? 0 : sum.longValue(); }

  static String md5Hex(byte[] bytes) { return HexFormat.of().formatHex(md5().digest(bytes)); }

  private static MessageDigest md5() {
    try {
      return MessageDigest.getInstance("MD5");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static int utf8Length(String s) {
    int n = 0;
    for (int k = 0; k < s.length(); k++) {
      char c = s.charAt(k);
      if (c < 0x80) n++;
      else if (c < 0x800) n += 2;
      else if (Character.isHighSurrogate(c)) { n += 4; k++; }
      else n += 3;
    }
    return n;
  }
}
