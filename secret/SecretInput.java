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
        throw new Failure(ExitCode.USAGE, "cannot read " + source + ": " + e.getClass().getSimpleName());
      }
      if (bytes.length > MAX_FILE_BYTES)
        throw new Failure(ExitCode.USAGE, source + " is longer than " + MAX_FILE_BYTES
            + " bytes: it must hold only the password, on one line");
      pw = new String(bytes, StandardCharsets.UTF_8).replaceAll("[\r\n]+$", "");
    } else if (envValue != null && !envValue.isEmpty()) {
      source = envName;
      pw = envValue;
    } else {
      return null;
    }
    if (pw.isEmpty()) throw new Failure(ExitCode.USAGE, "the " + what + " from " + source + " is empty");
    if (pw.chars().anyMatch(c -> c < 32 || c == 127))
      throw new Failure(ExitCode.USAGE, "the " + what + " from " + source
          + " contains a line break or control character");
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
