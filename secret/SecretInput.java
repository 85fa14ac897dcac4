// Shared source (//SOURCES secret/*.java; needs cli/): where a password may come from. Never an
// argument (ps and shell history would show it): a file, one line, or an environment variable;
// or a strong one generated here. Messages name the source, never the value.

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

final class SecretInput {
  private SecretInput() {}

  /** A password file holds one line; reading stops past this many bytes (/dev/zero, a wrong file). */
  static final int MAX_FILE_BYTES = 1024;

  /** A password and where it came from ("--password-file F", "KODIAI_APP_PASSWORD"), for messages. */
  record Secret(String value, String source) { }

  /** Why a password was refused (exit 2): its source is named, its value never. */
  sealed interface Refusal extends Failure.Kind permits Unreadable, TooLong, Empty, ControlCharacter {
    default int exitCode() { return ExitCode.USAGE; }
  }

  /** The file could not be read (`error`: the exception's class only: its message may quote the file). */
  record Unreadable(String source, String error) implements Refusal {
    public String describe() { return "cannot read " + source + ": " + error; }
  }

  record TooLong(String source, int maxBytes) implements Refusal {
    public String describe() {
      return source + " is longer than " + maxBytes + " bytes: it must hold only the password, on one line";
    }
  }

  record Empty(String what, String source) implements Refusal {
    public String describe() { return "the " + what + " from " + source + " is empty"; }
  }

  record ControlCharacter(String what, String source) implements Refusal {
    public String describe() {
      return "the " + what + " from " + source + " contains a line break or control character";
    }
  }

  /**
   * The password from `file` (wins; the whole file, one trailing line break dropped) or from the
   * environment variable `envName` (value `envValue`); null when neither is given. Empty values,
   * line breaks and control characters are refused with a USAGE failure that names the source.
   */
  static Secret read(Path file, String fileOption, String envValue, String envName, String what) {
    String pw;
    String source;
    if (file != null) {
      source = fileOption + " " + file;
      byte[] bytes;
      try (InputStream in = Files.newInputStream(file)) {
        bytes = in.readNBytes(MAX_FILE_BYTES + 1);
      } catch (IOException | RuntimeException e) {
        throw new Failure(new Unreadable(source, e.getClass().getSimpleName()));
      }
      if (bytes.length > MAX_FILE_BYTES) throw new Failure(new TooLong(source, MAX_FILE_BYTES));
      pw = new String(bytes, StandardCharsets.UTF_8).replaceAll("[\r\n]+$", "");
    } else if (envValue != null && !envValue.isEmpty()) {
      source = envName;
      pw = envValue;
    } else {
      return null;
    }
    if (pw.isEmpty()) throw new Failure(new Empty(what, source));
    if (pw.chars().anyMatch(c -> c < 32 || c == 127)) throw new Failure(new ControlCharacter(what, source));
    return new Secret(pw, source);
  }

  private static final String UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ", LOWER = "abcdefghijkmnopqrstuvwxyz",
      DIGITS = "23456789", SYMBOLS = "-_.~";

  /** 32 characters, all four kinds (Azure's rule), only URL-safe symbols (so a URL needs no escaping). */
  static String generate() {
    SecureRandom rnd = new SecureRandom();
    String all = UPPER + LOWER + DIGITS + SYMBOLS;
    List<Character> chars = new ArrayList<>();
    for (String kind : List.of(UPPER, LOWER, DIGITS, SYMBOLS)) chars.add(kind.charAt(rnd.nextInt(kind.length())));
    while (chars.size() < 32) chars.add(all.charAt(rnd.nextInt(all.length())));
    Collections.shuffle(chars, rnd);
    StringBuilder sb = new StringBuilder();
    chars.forEach(sb::append);
    return sb.toString();
  }
}
