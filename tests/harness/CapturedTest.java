import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Captured.run(CommandLine, ...) captures per invocation: commands run side by side keep their output apart. */
@Fast
class CapturedTest {
  static final String URL = "postgresql://nobody@localhost:1/none"; // never reached: the options fail first

  @Test void commandsRunInParallelEachGetTheirOwnOutputAndKind() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Captured>> runs = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        String[] args = i % 2 == 0 ? new String[] {"sync", "--url", URL, "--min-rows", "0"}
            : new String[] {"status", "--url", URL, "--lock-timeout", "-1"};
        runs.add(pool.submit((Callable<Captured>) () -> Captured.run(indexes.commandLine(), args)));
      }
      for (int i = 0; i < runs.size(); i++) {
        Captured c = runs.get(i).get();
        String option = i % 2 == 0 ? "--min-rows" : "--lock-timeout";
        assertEquals(ExitCode.USAGE, c.code(), c.toString());
        assertEquals(option, assertInstanceOf(IndexesFailure.BadOption.class, c.kind()).option(), c.toString());
        assertEquals(1, c.err().lines().count(), "its own line only: " + c);
        assertTrue(c.err().contains(option), c.toString());
        assertEquals("", c.out());
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test void helpGoesToTheInvocationsOwnOutAndNoFailureIsKept() {
    Captured c = Captured.run(roles.commandLine(), "status", "--help");
    assertEquals(0, c.code(), c.toString());
    assertTrue(c.out().startsWith("Usage: roles status"), c.out());
    assertNull(c.kind());
  }

  @Test void benchRefusesABadCountWithItsKind() {
    Captured c = Captured.run(Cli.commandLine(new bench(), DbClient::redact), "migrate", "--count", "0");
    assertEquals(new BenchFailure.BadOption("--count", 1), c.kind(), c.toString());
    assertTrue(c.err().startsWith("bench: error: ") && c.err().lines().count() == 1, c.err()); // cli/ renders it
    c = Captured.run(Cli.commandLine(new bench(), DbClient::redact), "hybrid", "--dominant-share", "1.5");
    assertInstanceOf(BenchFailure.BadValue.class, c.kind(), c.toString());
    assertEquals(ExitCode.USAGE, c.code());
  }
}
