// Shared source of the bench command (//SOURCES bench/BenchJson.java): the rows of --json,
// written by hand so the bench needs no JSON library.

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** A JSON object written by hand (string, number, boolean and null values only). */
final class BenchJson {
  final Map<String, Object> fields = new LinkedHashMap<>();
  BenchJson put(String k, Object v) { fields.put(k, v); return this; }

  @Override public String toString() {
    StringBuilder sb = new StringBuilder("{");
    fields.forEach((k, v) -> {
      if (sb.length() > 1) sb.append(", ");
      sb.append(quote(k)).append(": ");
      if (v == null) sb.append("null");
      else if (v instanceof Boolean || v instanceof Integer || v instanceof Long) sb.append(v);
      else if (v instanceof Number n) {
        double d = n.doubleValue();
        sb.append(Double.isFinite(d) ? number(d) : "null");
      } else sb.append(quote(String.valueOf(v)));
    });
    return sb.append('}').toString();
  }

  /**
   * Six significant digits, never an exponent: a recall of 0.99996 stays 0.99996 and a p95 of 0.00004 ms stays
   * 0.00004 (four decimals wrote 1.0 and 0.0); a whole number keeps its ".0".
   */
  static String number(double d) {
    String s = new java.math.BigDecimal(d).round(new java.math.MathContext(6)).stripTrailingZeros().toPlainString();
    return s.contains(".") ? s : s + ".0";
  }

  static String quote(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (char ch : s.toCharArray()) {
      switch (ch) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> { if (ch < 0x20) sb.append(String.format("\\u%04x", (int) ch)); else sb.append(ch); }
      }
    }
    return sb.append('"').toString();
  }

  static void write(Path file, List<BenchJson> objects) throws IOException {
    StringBuilder sb = new StringBuilder("[\n");
    for (int i = 0; i < objects.size(); i++) sb.append("  ").append(objects.get(i)).append(i + 1 < objects.size()
        ? ",\n" : "\n");
    if (file.toAbsolutePath().getParent() != null) Files.createDirectories(file.toAbsolutePath().getParent());
    Files.writeString(file, sb.append("]\n").toString());
  }
}
