// Shared source of the importer (//SOURCES importer/JsonText.java; no dependencies): JSON
// text from a SQLite column, checked the way PostgreSQL's jsonb input checks it, and
// printed the way jsonb prints it (jsonb::text).
//
// Why not a JSON library: the importer must refuse exactly what jsonb refuses (\u0000,
// a lone surrogate, a raw control character, NaN, trailing text) *before* anything is
// written, and must predict jsonb's own canonical text (keys sorted by length then
// bytes, the last of duplicate keys kept, numbers as numeric prints them, ", " and
// ": " separators) to verify the import independently of PostgreSQL. General-purpose
// parsers accept more and print differently, so the checks would be written anyway.

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;

final class JsonText {
  /** What the top level of a value is: the shape a CHECK (jsonb_typeof) can ask for. */
  enum Kind { OBJECT, ARRAY, STRING, NUMBER, BOOLEAN, NULL }

  /**
   * A parsed value: its kind, its jsonb::text, and what jsonb changes in it beyond spacing and
   * key order (null: nothing): a repeated key (jsonb keeps the last) or a number written in
   * another form than numeric prints it (1e2 is stored as 100, -0 as 0).
   */
  record Value(Kind kind, String canonical, String change) {}

  /** Invalid JSON; the message says where and why, fit to end a one-line error. */
  static final class Invalid extends Exception {
    Invalid(String message) { super(message, null, false, false); }
  }

  private final String s;
  private int i;
  private String change; // the first change jsonb makes, for the message

  private JsonText(String s) { this.s = s; }

  /** Parses `text` as one JSON value, or throws Invalid. */
  static Value parse(String text) throws Invalid {
    JsonText p = new JsonText(text);
    p.ws();
    StringBuilder out = new StringBuilder(text.length() + 16);
    Kind k = p.value(out, 0);
    p.ws();
    if (p.i < text.length()) throw p.error("unexpected text after the JSON value");
    return new Value(k, out.toString(), p.change);
  }

  private static final int MAX_DEPTH = 1000; // PostgreSQL stops at its stack depth; deep enough for any store's JSON

  private Kind value(StringBuilder out, int depth) throws Invalid {
    if (depth > MAX_DEPTH) throw error("nested deeper than " + MAX_DEPTH + " levels");
    if (i >= s.length()) throw error("the JSON ends too early");
    char c = s.charAt(i);
    switch (c) {
      case '{': return object(out, depth);
      case '[': return array(out, depth);
      case '"': quote(string(), out); return Kind.STRING;
      case 't': literal("true"); out.append("true"); return Kind.BOOLEAN;
      case 'f': literal("false"); out.append("false"); return Kind.BOOLEAN;
      case 'n': literal("null"); out.append("null"); return Kind.NULL;
      default:
        if (c == '-' || (c >= '0' && c <= '9')) { out.append(number()); return Kind.NUMBER; }
        throw error("unexpected character " + show(c));
    }
  }

  private Kind object(StringBuilder out, int depth) throws Invalid {
    i++; // {
    // jsonb order: shorter key first, then by UTF-8 bytes; a repeated key keeps its last value.
    TreeMap<byte[], String[]> members = new TreeMap<>(KEY_ORDER);
    ws();
    if (peek() == '}') { i++; out.append("{}"); return Kind.OBJECT; }
    while (true) {
      ws();
      if (peek() != '"') throw error("expected a quoted key");
      String key = string();
      ws();
      if (peek() != ':') throw error("expected ':' after a key");
      i++;
      ws();
      StringBuilder v = new StringBuilder();
      value(v, depth + 1);
      String[] earlier = members.put(key.getBytes(StandardCharsets.UTF_8), new String[] {key, v.toString()});
      if (earlier != null && change == null) change = "the key \"" + key
          + "\" appears twice (jsonb keeps the last value)";
      ws();
      char c = peek();
      i++;
      if (c == '}') break;
      if (c != ',') throw error("expected ',' or '}' in an object");
    }
    out.append('{');
    boolean first = true;
    for (String[] kv : members.values()) {
      if (!first) out.append(", ");
      first = false;
      quote(kv[0], out);
      out.append(": ").append(kv[1]);
    }
    out.append('}');
    return Kind.OBJECT;
  }

  private static final Comparator<byte[]> KEY_ORDER = (a, b) -> a.length != b.length
      ? Integer.compare(a.length, b.length) : Arrays.compareUnsigned(a, b);

  private Kind array(StringBuilder out, int depth) throws Invalid {
    i++; // [
    ws();
    if (peek() == ']') { i++; out.append("[]"); return Kind.ARRAY; }
    List<String> items = new ArrayList<>();
    while (true) {
      ws();
      StringBuilder v = new StringBuilder();
      value(v, depth + 1);
      items.add(v.toString());
      ws();
      char c = peek();
      i++;
      if (c == ']') break;
      if (c != ',') throw error("expected ',' or ']' in an array");
    }
    out.append('[').append(String.join(", ", items)).append(']');
    return Kind.ARRAY;
  }

  /** A string literal's value (escapes decoded), as jsonb stores it. */
  private String string() throws Invalid {
    i++; // "
    StringBuilder sb = new StringBuilder();
    while (true) {
      if (i >= s.length()) throw error("a string is not closed");
      char c = s.charAt(i++);
      if (c == '"') return sb.toString();
      if (c < 0x20) throw error("control character " + show(c) + " must be escaped inside a string");
      if (c != '\\') { sb.append(c); continue; }
      if (i >= s.length()) throw error("a string is not closed");
      char e = s.charAt(i++);
      switch (e) {
        case '"' -> sb.append('"');
        case '\\' -> sb.append('\\');
        case '/' -> sb.append('/');
        case 'b' -> sb.append('\b');
        case 'f' -> sb.append('\f');
        case 'n' -> sb.append('\n');
        case 'r' -> sb.append('\r');
        case 't' -> sb.append('\t');
        case 'u' -> {
          int u = hex4();
          if (u == 0) throw error("\\u0000 cannot be stored in jsonb");
          if (Character.isHighSurrogate((char) u)) {
            if (i + 6 > s.length() || s.charAt(i) != '\\' || s.charAt(i + 1) != 'u') throw error("a high surrogate \\u"
                + hex(u) + " is not followed by a low one");
            i += 2;
            int low = hex4();
            if (!Character.isLowSurrogate((char) low)) throw error("a high surrogate \\u" + hex(u)
                + " is not followed by a low one");
            sb.append((char) u).append((char) low);
          } else if (Character.isLowSurrogate((char) u)) {
            throw error("a low surrogate \\u" + hex(u) + " has no high surrogate before it");
          } else {
            sb.append((char) u);
          }
        }
        default -> throw error("invalid escape \\" + show(e));
      }
    }
  }

  private int hex4() throws Invalid {
    if (i + 4 > s.length()) throw error("\\u needs four hex digits");
    int v = 0;
    for (int k = 0; k < 4; k++) {
      int d = Character.digit(s.charAt(i++), 16);
      if (d < 0) throw error("\\u needs four hex digits");
      v = v * 16 + d;
    }
    return v;
  }

  /** A number literal (JSON grammar), printed as PostgreSQL's numeric prints it. */
  private String number() throws Invalid {
    int start = i;
    if (peek() == '-') i++;
    if (peek() == '0') i++;
    else if (isDigit(peek())) while (isDigit(peek())) i++;
    else throw error("invalid number");
    if (peek() == '.') {
      i++;
      if (!isDigit(peek())) throw error("invalid number: digits must follow '.'");
      while (isDigit(peek())) i++;
    }
    if (peek() == 'e' || peek() == 'E') {
      i++;
      if (peek() == '+' || peek() == '-') i++;
      if (!isDigit(peek())) throw error("invalid number: digits must follow the exponent");
      while (isDigit(peek())) i++;
    }
    String written = s.substring(start, i);
    BigDecimal d = new BigDecimal(written);
    // numeric keeps the scale it was given but never a negative one (1e2 -> 100), and has no -0.
    if (d.scale() < 0) d = d.setScale(0);
    String stored = d.signum() == 0 ? d.abs().toPlainString() : d.toPlainString();
    if (!stored.equals(written) && change == null) change = "the number " + written + " is stored as " + stored;
    return stored;
  }

  private void literal(String word) throws Invalid {
    if (!s.startsWith(word, i)) throw error("unexpected character " + show(s.charAt(i)));
    i += word.length();
  }

  private void ws() {
    while (i < s.length()) {
      char c = s.charAt(i);
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') i++;
      else break;
    }
  }

  private char peek() { return i < s.length() ? s.charAt(i) : '\0'; }
  private static boolean isDigit(char c) { return c >= '0' && c <= '9'; }

  /** jsonb's string output: ", \, \b \f \n \r \t escaped, other control characters as \\u00xx, the rest as is. */
  static void quote(String v, StringBuilder out) {
    out.append('"');
    for (int k = 0; k < v.length(); k++) {
      char c = v.charAt(k);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20) out.append("\\u").append(hex(c));
          else out.append(c);
        }
      }
    }
    out.append('"');
  }

  private static String hex(int c) { return String.format("%04x", c); }
  private static String show(char c) {
    return c < 0x20 || c == 0x7f ? "U+" + String.format("%04X", (int) c) : "'" + c + "'";
  }

  private Invalid error(String why) { return new Invalid(why + " (at character " + (i + 1) + ")"); }
}
