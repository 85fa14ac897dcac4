import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Captured.run(CommandLine, ...) captures per invocation: commands run side by side keep their output apart (no
 * command prints to System.out, and Captured swaps nothing and holds no lock).
 */
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

  /**
   * Every alias at once on several threads: each -V prints only its own version; devdb's progress line (down) and
   * error line (url), each naming a folder of its own, the usage errors devdb and roles raise in call(), and
   * schema-check's refusal reach only their own run.
   */
  @Test void everyAliasRunsOnSeveralThreadsAtOnce() throws Exception {
    Path base = Files.createTempDirectory("kodiai-captured");
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Callable<String>> checks = new ArrayList<>();
      for (int round = 0; round < 4; round++) {
        for (var alias : HelpTest.IN_PROCESS.entrySet()) checks.add(() -> version(alias.getValue().get()));
        Path down = base.resolve("down-" + round), url = base.resolve("url-" + round);
        checks.add(() -> devdb(down, "down", 0, "", "devdb: not running\n"));
        checks.add(() -> devdb(url, "url", ExitCode.FAILED, "", "devdb: error: no devdb cluster in " + url
            .resolve("pgdata") + ": create it with ./jbang devdb@kodiai up --dir " + url + "\n"));
        checks.add(() -> devdb(url, "sideways", ExitCode.USAGE, "", "devdb: error: unknown action 'sideways': use up,"
            + " down, status or url\nTry 'devdb --help' for more information.\n")); // a usage error of call()
        checks.add(() -> check(Captured.run(roles.commandLine()), ExitCode.USAGE, "", "roles: error: say what to do:"
            + " create-app-user NAME, drop-app-user NAME, drop-group or status\n"
            + "Try 'roles --help' for more information.\n"));
        String bad = "postgresql://nobody@[broken-" + round;
        checks.add(() -> check(Captured.run(HelpTest.IN_PROCESS.get("schema-check").get(), bad), ExitCode.USAGE, "",
            null));
      }
      List<String> wrong = new ArrayList<>();
      for (Future<String> f : pool.invokeAll(checks)) if (f.get() != null) wrong.add(f.get());
      assertEquals(List.of(), wrong);
    } finally {
      pool.shutdownNow();
      try (var files = Files.walk(base)) {
        for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
      }
    }
  }

  /** null if `-V` printed exactly the command's version on its own out, else what went wrong. */
  static String version(CommandLine cl) {
    return check(Captured.run(cl, "-V"), 0, cl.getCommandSpec().version()[0] + "\n", "");
  }

  static String devdb(Path dir, String action, int code, String out, String err) {
    return check(Captured.run(HelpTest.IN_PROCESS.get("devdb").get(), action, "--no-docker", "--no-install", "--dir",
        dir.toString()), code, out, err);
  }

  /** null if `c` ended with `code` and printed `out` and `err` (null: one line), else what it did instead. */
  static String check(Captured c, int code, String out, String err) {
    boolean ok = c.code() == code && c.out().equals(out)
        && (err == null ? c.err().lines().count() == 1 : c.err().equals(err));
    return ok ? null : c.toString();
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
