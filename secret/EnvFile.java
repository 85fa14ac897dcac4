// Shared source (//SOURCES secret/*.java; no dependencies): the env files that provision and roles
// keep secrets in (`set -a; . FILE; set +a` loads them). Each writer owns one comment line and one
// VARIABLE=value line of the file and replaces only those; every other line is kept. Written
// atomically, always mode 0600, whatever the mode of an existing file was.

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

final class EnvFile {
  private EnvFile() {}

  static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
  static final int MAX_BYTES = 1 << 20;

  /**
   * Sets `variable` to `value` in `file` with `header` (a comment line) above it. Lines starting with
   * `headerPrefix`, `variable=` or `export variable=` are the writer's own: they are replaced, in place
   * of the last of them, else appended. False when the file already held exactly that (and was 0600).
   */
  static boolean set(Path file, String headerPrefix, String header, String variable, String value) throws IOException {
    String before = read(file);
    List<String> lines = new ArrayList<>(before.lines().toList());
    int at = -1;
    for (int i = lines.size() - 1; i >= 0; i--) {
      String l = lines.get(i).strip();
      if (l.startsWith(headerPrefix) || isAssignment(l, variable)) {
        lines.remove(i);
        at = i;
      }
    }
    lines.addAll(at >= 0 ? at : lines.size(), List.of(header, variable + "=" + value));
    return write(file, before, lines);
  }

  /** The value of `variable` in the file (the last assignment), or null when it has none or does not exist. */
  static String get(Path file, String variable) throws IOException {
    String found = null;
    for (String l : read(file).lines().toList()) {
      String s = l.strip();
      if (isAssignment(s, variable)) found = s.substring(s.indexOf('=') + 1);
    }
    return found;
  }

  /** Renames the assignments of `from` to `to` (values and places kept); false when there was none. */
  static boolean rename(Path file, String from, String to) throws IOException {
    String before = read(file);
    List<String> lines = new ArrayList<>();
    boolean any = false;
    for (String l : before.lines().toList()) {
      String s = l.strip();
      if (isAssignment(s, from)) {
        lines.add((s.startsWith("export ") ? "export " : "") + to + s.substring(s.indexOf('=')));
        any = true;
      } else {
        lines.add(l);
      }
    }
    return any && write(file, before, lines);
  }

  private static boolean isAssignment(String strippedLine, String variable) {
    return strippedLine.startsWith(variable + "=") || strippedLine.startsWith("export " + variable + "=");
  }

  private static String read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) return "";
    if (Files.size(file) > MAX_BYTES) throw new IOException(file + " is over 1 MiB: not an env file?");
    return Files.readString(file, StandardCharsets.UTF_8);
  }

  private static boolean write(Path file, String before, List<String> lines) throws IOException {
    String content = String.join("\n", lines) + "\n";
    if (content.equals(before) && Files.getPosixFilePermissions(file).equals(OWNER_ONLY)) return false;
    Path dir = file.toAbsolutePath().getParent();
    Path tmp = Files.createTempFile(dir, ".kodiai-env-", ".tmp", PosixFilePermissions.asFileAttribute(OWNER_ONLY));
    try {
      Files.writeString(tmp, content, StandardCharsets.UTF_8);
      try {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
      Files.setPosixFilePermissions(file, OWNER_ONLY);
    } finally {
      Files.deleteIfExists(tmp);
    }
    return true;
  }
}
