///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DESCRIPTION Runs kodiai-db's test suite (JUnit 5) against a real PostgreSQL with pgvector (--fast: the tests that need none); ends with 'N passed, N failed'.
//DEPS org.junit.platform:junit-platform-launcher:1.14.4
//DEPS org.junit.jupiter:junit-jupiter:5.14.4
//DEPS org.testcontainers:testcontainers-postgresql:2.0.5
// The rest comes with the sources (each shared file pins what it needs beside itself);
// slf4j-nop, which also keeps Testcontainers quiet, with pool/DbPool.java.
// The commands are compiled in too: the tests drive them in-process.
//SOURCES ../*.java ../cli/*.java ../process/*.java ../secret/*.java ../roles/*.java ../migration/*.java
//SOURCES ../localpg/*.java ../azure/*.java ../bench/*.java ../pool/*.java ../importer/*.java ../retrieval/*.java
//SOURCES SchemaCheck.java schema/ExpectedSchema.java harness/*.java importer/ImportFixtures.java
//SOURCES adopt/AdoptSupport.java */*Test.java
//FILES migrations/=../migrations/*.sql
//FILES migrations/from-kodiai/=../migrations/from-kodiai/*.sql
//JAVA_OPTIONS -XX:+UseSerialGC -XX:TieredStopAtLevel=1

// Usage: ./jbang test@kodiai [--fast] [NAME ...]   (NAME: run only test classes whose name contains it)
//        KODIAI_TEST_PG=15,17 ./jbang test@kodiai   (the whole run once per PostgreSQL major version)
// Exit 0 when every test passed, 1 when any failed or none ran, 2 when the test database could not start.

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.io.PrintStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.ZipFile;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.ClassSelector;
import org.junit.platform.launcher.TagFilter;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

public class TestRunner {
  static final String HELP = """
      Usage: ./jbang test@kodiai [-h] [--fast] [NAME...]
      Runs kodiai-db's tests (JUnit 5) against a real PostgreSQL with pgvector >= 0.8 and ends with one line,
      'N passed, N failed' (', N skipped' when some were). NAME: run only the test classes whose name contains it.
      --fast: only the tests that need no PostgreSQL (parsing, planning, URLs, exit codes, encoders, help texts,
      provisioning with a fake az), in well under a minute, once, without looking for a server.
      The server: KODIAI_TEST_DATABASE_URL if set, else Testcontainers (pgvector/pgvector:pg17) where a Docker
      engine answers, else a throwaway cluster from the installed binaries, deleted at the end.
        -h, --help   Show this help message and exit.

      Environment: KODIAI_TEST_DATABASE_URL (an admin URL of the server to test against), KODIAI_PG_BINDIR (the
      PostgreSQL server binaries of the throwaway cluster; default: pg_config --bindir, else the newest installed),
      KODIAI_TEST_PG (the PostgreSQL major version, e.g. 17; a list such as 15,17 runs the suite once per
      version), KODIAI_SQLITE_VEC (sqlite-vec's vec0.so for the import tests; default: the copy
      scripts/fetch-sqlite-vec.sh keeps in ~/.cache/kodiai-db), DATABASE_CONNECT_TIMEOUT_MS (as for every command).

      Exit codes:
        0  every test passed
        1  a test failed, or none ran
        2  no test database could be started, or not run from inside the checkout
      (the same numbers mean the same in every kodiai-db command: see README.md)
      """;

  public static void main(String[] args) throws Exception {
    PrintStream out = System.out;
    List<String> argList = List.of(args);
    if (argList.contains("--help") || argList.contains("-h")) {
      out.print(HELP);
      System.exit(0);
    }
    if (MigrationSource.checkoutRoot() == null) { // tests run scripts and read files of the checkout
      System.exit(stop(out, 2, "run the tests from inside the kodiai-db checkout (./jbang test@kodiai)"));
    }
    boolean fast = argList.contains(FAST);
    List<String> names = argList.stream().filter(a -> !a.equals(FAST)).toList();
    if (!fast) {
      List<Integer> versions;
      try {
        versions = TestDatabase.requestedVersions(System.getenv(TestDatabase.ENV_VERSION));
      } catch (IllegalArgumentException e) {
        System.exit(stop(out, 2, e.getMessage()));
        return;
      }
      if (versions.size() > 1) System.exit(runEachVersion(versions, args, out));
    }
    List<ClassSelector> selectors = selectors(names);
    if (selectors.isEmpty()) {
      out.println("no test class matches " + String.join(" ", names));
      System.exit(stop(out, 1, null));
    }
    if (fast) {
      TestDatabase.noServer = true;
      out.println("fast tier: the tests tagged '" + FAST_TAG + "', without PostgreSQL");
    } else {
      try {
        String url = TestDatabase.adminUrl();
        out.println("test database: " + TestDatabase.source() + ", PostgreSQL " + TestDatabase.serverMajor() + ", "
            + DbClient.parse(url).redacted());
      } catch (RuntimeException e) {
        System.exit(stop(out, 2, e.getMessage()));
      }
    }
    System.exit(execute(selectors, fast, out));
  }

  /** `--fast`: only the tests tagged FAST_TAG, which need no PostgreSQL (none is started). */
  static final String FAST = "--fast";
  static final String FAST_TAG = "fast";

  /** Prints the error (if any) and the summary line of a run that did not start; returns `code`. */
  private static int stop(PrintStream out, int code, String error) {
    if (error != null) out.println("error: " + error);
    out.println("0 passed, 0 failed");
    return code;
  }

  private static List<ClassSelector> selectors(List<String> names) throws Exception {
    List<ClassSelector> selectors = new ArrayList<>();
    for (String cls : testClasses())
      if (names.isEmpty() || names.stream().anyMatch(cls::contains)) selectors.add(selectClass(cls));
    return selectors;
  }

  /** Runs the selected tests, prints a line per test, the failures, and the summary; the exit code. */
  private static int execute(List<ClassSelector> selectors, boolean fast, PrintStream out) {
    Listener listener = new Listener(out);
    var builder = LauncherDiscoveryRequestBuilder.request().selectors(selectors);
    if (fast) builder.filters(TagFilter.includeTags(FAST_TAG));
    try {
      LauncherFactory.create().execute(builder.build(), listener);
    } finally {
      TestDatabase.shutdown();
    }
    if (!listener.failures.isEmpty()) {
      out.println();
      out.println("Failures:");
      listener.failures.forEach(out::println);
    }
    // running nothing is a failure
    if (listener.passed.get() + listener.failed.get() == 0) listener.failed.incrementAndGet();
    long skipped = listener.skipped.get();
    out.println(listener.passed.get() + " passed, " + listener.failed.get() + " failed"
        + (skipped > 0 ? ", " + skipped + " skipped" : ""));
    return listener.failed.get() == 0 ? 0 : 1;
  }

  /** Counts and prints each test's outcome as it finishes. */
  private static final class Listener implements TestExecutionListener {
    final AtomicLong passed = new AtomicLong(), failed = new AtomicLong(), skipped = new AtomicLong();
    final List<String> failures = new ArrayList<>();
    private final java.util.Map<String, Long> started = new java.util.concurrent.ConcurrentHashMap<>();
    private final PrintStream out;

    Listener(PrintStream out) { this.out = out; }

    @Override public void executionStarted(TestIdentifier id) { started.put(id.getUniqueId(), System.nanoTime()); }

    @Override public void executionSkipped(TestIdentifier id, String reason) {
      if (!id.isTest()) return;
      skipped.incrementAndGet();
      out.println("SKIP " + name(id) + " (" + reason + ")");
    }

    @Override public void executionFinished(TestIdentifier id, TestExecutionResult r) {
      long ms = (System.nanoTime() - started.getOrDefault(id.getUniqueId(), System.nanoTime())) / 1_000_000;
      if (r.getStatus() == TestExecutionResult.Status.SUCCESSFUL) {
        if (id.isTest()) { passed.incrementAndGet(); out.println("PASS " + name(id) + " (" + ms + " ms)"); }
        return;
      }
      // an assumption said so: skipped, visibly
      if (r.getStatus() == TestExecutionResult.Status.ABORTED && id.isTest()) {
        skipped.incrementAndGet();
        out.println("SKIP " + name(id) + " (" + r.getThrowable().map(TestRunner::describe).orElse("aborted") + ")");
        return;
      }
      // A failed container (e.g. @BeforeAll) fails the tests it holds: count it once.
      failed.incrementAndGet();
      String why = r.getThrowable().map(TestRunner::describe).orElse(r.getStatus().toString());
      out.println("FAIL " + name(id) + " (" + ms + " ms): " + why);
      failures.add(name(id) + ": " + why);
      r.getThrowable().ifPresent(t -> failures.add(trace(t)));
    }
  }

  /**
   * Runs the whole suite once per version, one after the other, each in a JVM of its own
   * (same class path and options) with KODIAI_TEST_PG set to that version: its output passes
   * through, then one line per version and the total. Exit 0 only when every run passed.
   */
  static int runEachVersion(List<Integer> versions, String[] args, PrintStream out) throws Exception {
    List<String> base = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java")));
    base.addAll(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments());
    base.addAll(List.of("-cp", System.getProperty("java.class.path"), TestRunner.class.getName()));
    base.addAll(List.of(args));
    java.util.regex.Pattern summary =
        java.util.regex.Pattern.compile("(\\d+) passed, (\\d+) failed(?:, (\\d+) skipped)?");
    long passed = 0, failed = 0, skipped = 0;
    int exit = 0;
    List<String> lines = new ArrayList<>();
    for (int v : versions) {
      out.println("=== PostgreSQL " + v + " (" + TestDatabase.ENV_VERSION + "=" + v + ")");
      ProcessBuilder pb = new ProcessBuilder(base).redirectError(ProcessBuilder.Redirect.INHERIT);
      pb.environment().put(TestDatabase.ENV_VERSION, String.valueOf(v));
      Process p = pb.start();
      p.getOutputStream().close();
      String last = "";
      try (var r = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(),
          java.nio.charset.StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          out.println(line);
          if (!line.isBlank()) last = line;
        }
      }
      int code = p.waitFor();
      var m = summary.matcher(last);
      boolean ok = m.matches();
      long f = ok ? Long.parseLong(m.group(2)) : 0;
      if (ok) { passed += Long.parseLong(m.group(1)); skipped += m.group(3) == null ? 0 : Long.parseLong(m.group(3)); }
      if (code != 0 && f == 0) f = 1; // a run that could not start counts as a failure
      failed += f;
      lines.add("PostgreSQL " + v + ": " + (ok ? last : "no summary")
          + (code != 0 && (!ok || f == 1 && m.group(2).equals("0"))
          ? " (exit " + code + (code == 2 ? ": no test database, see above" : "") + ")" : ""));
      if (code != 0) exit = exit == 1 || code == 1 ? 1 : code;
    }
    out.println();
    lines.forEach(out::println);
    out.println(passed + " passed, " + failed + " failed" + (skipped > 0 ? ", " + skipped + " skipped" : ""));
    return exit;
  }

  private static String name(TestIdentifier id) {
    String uid = id.getUniqueId();
    int c = uid.indexOf("[class:");
    String cls = c >= 0 ? uid.substring(c + 7, uid.indexOf(']', c)) : "";
    return id.isTest() ? cls + " > " + id.getDisplayName() : id.getDisplayName();
  }

  private static String describe(Throwable t) {
    String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    return DbClient.redact(m.replace('\n', ' '));
  }

  private static String trace(Throwable t) {
    StringBuilder sb = new StringBuilder("    " + t);
    for (StackTraceElement e : t.getStackTrace()) {
      if (e.getClassName().startsWith("org.junit") || e.getClassName().startsWith("java.")
          || e.getClassName().startsWith("jdk.")) continue;
      sb.append("\n      at ").append(e);
    }
    return DbClient.redact(sb.toString());
  }

  /** Every compiled class named *Test in this jar (or class folder). */
  private static List<String> testClasses() throws Exception {
    URL loc = TestRunner.class.getProtectionDomain().getCodeSource().getLocation();
    Path p = Path.of(loc.toURI());
    List<String> names = new ArrayList<>();
    if (Files.isDirectory(p)) {
      try (var s = Files.list(p)) { s.forEach(f -> names.add(f.getFileName().toString())); }
    } else {
      try (ZipFile z = new ZipFile(p.toFile())) { z.stream().forEach(e -> names.add(e.getName())); }
    }
    return names.stream().filter(n -> n.matches("[A-Za-z0-9]+Test\\.class")).map(n -> n.replace(".class", ""))
        .sorted().toList();
  }
}
