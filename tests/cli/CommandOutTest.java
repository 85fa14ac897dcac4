// Commands print through picocli's writers (cli/CommandOut.java): what bench prints reaches the
// writers a test gives the run, and text cut between two writes mid-character arrives whole.

import static org.junit.jupiter.api.Assertions.*;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

@Fast
class CommandOutTest {
  @Test void aCharacterCutBetweenTwoWritesArrivesWhole() {
    StringWriter w = new StringWriter();
    PrintStream out = CommandOut.over(new PrintWriter(w, true));
    byte[] bytes = "p95 ≤ 25 ms, 2 × faster: ok\n".getBytes(StandardCharsets.UTF_8);
    for (byte b : bytes) out.write(b); // one byte at a time: every multi-byte character is cut
    out.flush();
    assertEquals("p95 ≤ 25 ms, 2 × faster: ok\n", w.toString());
  }

  @Test void benchPrintsToTheWritersOfItsRun() {
    Captured c = Captured.run(Cli.commandLine(new bench(), DbClient::redact));
    assertEquals(0, c.code(), c.toString());
    assertTrue(c.out().startsWith("Usage: bench "), c.toString());
    c = Captured.run(Cli.commandLine(new bench(), DbClient::redact), "import", "--memories", "10");
    assertEquals(ExitCode.USAGE, c.code(), c.toString());
    assertEquals("bench import: --memories must be >= 100\n", c.err(), c.toString());
  }
}
