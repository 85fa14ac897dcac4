import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A password's refusals are kinds naming its source, never its value. */
@Fast
class SecretInputTest {
  @TempDir Path tmp;

  static Failure.Kind refusal(Path file, String envValue) {
    return assertThrows(Failure.class, () -> SecretInput.read(file, "--password-file", envValue, "PW", "password"))
        .kind();
  }

  @Test void eachRefusalNamesItsSourceAndExitsTwo() throws Exception {
    Path empty = Files.writeString(tmp.resolve("empty"), "\n");
    assertEquals(new SecretInput.Empty("password", "--password-file " + empty), refusal(empty, null));
    assertEquals(new SecretInput.TooLong("--password-file /dev/zero", SecretInput.MAX_FILE_BYTES),
        refusal(Path.of("/dev/zero"), null));
    Path missing = tmp.resolve("missing");
    assertEquals(new SecretInput.Unreadable("--password-file " + missing, "NoSuchFileException"),
        refusal(missing, null));
    Failure.Kind tab = refusal(null, "Tab\tInside1!");
    assertEquals(new SecretInput.ControlCharacter("password", "PW"), tab);
    assertEquals(ExitCode.USAGE, tab.exitCode());
    assertFalse(tab.describe().contains("Tab\tInside1!"), "the value is never shown");
  }

  @Test void theFileWinsAndOneTrailingLineBreakIsDropped() throws Exception {
    Path file = Files.writeString(tmp.resolve("pw"), "From-File-Pw9#\n");
    assertEquals(new SecretInput.Secret("From-File-Pw9#", "--password-file " + file),
        SecretInput.read(file, "--password-file", "From-Env", "PW", "password"));
    assertNull(SecretInput.read(null, "--password-file", "", "PW", "password"));
  }
}
