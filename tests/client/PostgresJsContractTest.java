// The bot's driver contract (issue 13, docs/client.md): runs the node:test suite of
// clients/postgres-js through the real postgres.js against a fresh database migrated by
// the migration engine, and turns each node test into a JUnit test, so that every one of
// them is counted in the runner's summary line and a failing one fails the run with
// node's message. Nothing here is skipped quietly: a missing node, pinned dependencies that
// are not installed and cannot be (npm ci), a suite that cannot load or runs no test, all
// fail. .ci/run installs node, npm and the module's dependencies; on a developer's machine
// this class runs `npm ci` itself when node_modules does not hold the pinned version.

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.RegisterExtension;

class PostgresJsContractTest {
  @RegisterExtension static final FreshDatabase db = new FreshDatabase();

  static final long TIME_LIMIT_SECONDS = 300;       // the whole node suite; it takes a few seconds
  static final int[] NODE_AT_LEAST = {18, 19};      // custom reporters with a destination (Debian 12 ships 18.19)

  /** One line of test/line-reporter.js: a finished node test. */
  record NodeTest(String status, long ms, String file, String name, String message) {}

  @TestFactory Stream<DynamicTest> nodeSuite() throws Exception {
    Path module = MigrationSource.checkoutRoot().resolve("clients/postgres-js");
    String node = requireNode();
    requirePinnedDependencies(module);
    Migrations.run(db.url(), SchemaFixtures.dir, null); // 006 sets the session defaults the suite checks

    List<String> files;
    try (Stream<Path> s = Files.list(module.resolve("test"))) {
      files = s.map(p -> "test/" + p.getFileName()).filter(f -> f.endsWith(".test.js")).sorted().toList();
    }
    assertFalse(files.isEmpty(), "no test/*.test.js in " + module);

    Path results = Files.createTempFile("kodiai-node-tests-", ".txt");
    Path output = Files.createTempFile("kodiai-node-output-", ".txt");
    try {
      List<String> command = new ArrayList<>(List.of(node, "--test",
          "--test-reporter=./test/line-reporter.js", "--test-reporter-destination=" + results));
      command.addAll(files);
      ProcessBuilder pb = new ProcessBuilder(command).directory(module.toFile())
          .redirectErrorStream(true).redirectOutput(output.toFile());
      Map<String, String> env = pb.environment();
      env.put("DATABASE_URL", db.url()); // in the environment, never on a command line
      // A PgBouncer in transaction mode in front of this class's database (tests/harness/TestPooler.java).
      env.put("KODIAI_POOLER_URL", TestPooler.url(db.name(), TestPooler.Mode.TRANSACTION));
      env.remove("NODE_OPTIONS");
      Process p = pb.start();
      if (!p.waitFor(TIME_LIMIT_SECONDS, TimeUnit.SECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly().waitFor();
        fail("the node suite did not finish within " + TIME_LIMIT_SECONDS + " s: " + tail(output));
      }
      List<NodeTest> ran = parse(Files.readAllLines(results));
      List<DynamicTest> tests = new ArrayList<>();
      for (NodeTest t : ran) tests.add(DynamicTest.dynamicTest(t.file() + " > " + t.name(), () -> report(t)));
      int exit = p.exitValue();
      boolean failed = ran.stream().anyMatch(t -> t.status().equals("fail"));
      if (ran.isEmpty()) tests.add(DynamicTest.dynamicTest("node ran tests", () -> fail("node ran no test (exit " + exit + "): " + tail(output))));
      else if (exit != 0 && !failed) tests.add(DynamicTest.dynamicTest("node exit code", () -> fail("node exited " + exit + " with every test passed: " + tail(output))));
      return tests.stream();
    } finally {
      Files.deleteIfExists(results);
      Files.deleteIfExists(output);
    }
  }

  private static void report(NodeTest t) {
    switch (t.status()) {
      case "pass" -> { }
      case "skip" -> Assumptions.abort("skipped by node: " + t.message());
      default -> fail(DbClient.redact(t.message()));
    }
  }

  static List<NodeTest> parse(List<String> lines) {
    List<NodeTest> out = new ArrayList<>();
    for (String line : lines) {
      if (line.isBlank()) continue;
      String[] f = line.split("\t", 5);
      if (f.length != 5) throw new IllegalStateException("unexpected line from test/line-reporter.js: " + line);
      out.add(new NodeTest(f[0], Long.parseLong(f[1]), f[2], f[3], f[4]));
    }
    return out;
  }

  /** node on PATH, new enough; else a failure that says how to install it. */
  static String requireNode() throws Exception {
    String version;
    try {
      version = ChildProcess.of("node", "--version").mergeErrors().runOrThrow(java.time.Duration.ofSeconds(30)).stdout().strip();
    } catch (ChildProcess.Failed e) {
      throw new AssertionError("node is not installed or does not answer (" + e.getMessage() + "): install Debian's nodejs"
          + " and npm (.ci/run does), then `npm ci` in clients/postgres-js");
    }
    Matcher m = Pattern.compile("v(\\d+)\\.(\\d+)").matcher(version);
    assertTrue(m.find(), "node --version printed " + version);
    int major = Integer.parseInt(m.group(1)), minor = Integer.parseInt(m.group(2));
    assertTrue(major > NODE_AT_LEAST[0] || major == NODE_AT_LEAST[0] && minor >= NODE_AT_LEAST[1],
        "node " + version + " is too old: the suite needs " + NODE_AT_LEAST[0] + "." + NODE_AT_LEAST[1] + " or newer");
    return "node";
  }

  /** node_modules holds exactly the postgres version package.json pins; npm ci puts it there if need be. */
  static void requirePinnedDependencies(Path module) throws Exception {
    String pinned = version(Files.readString(module.resolve("package.json")), "\"postgres\"\\s*:\\s*\"([^\"]+)\"");
    if (!pinned.equals(installedVersion(module))) {
      System.out.println("installing clients/postgres-js's pinned dependencies (npm ci)");
      ChildProcess.Result r;
      try {
        r = ChildProcess.of("npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error").dir(module)
            .mergeErrors().run(java.time.Duration.ofSeconds(TIME_LIMIT_SECONDS));
      } catch (ChildProcess.Failed e) {
        throw new AssertionError("npm is not installed: install Debian's npm (.ci/run does), then `npm ci` in clients/postgres-js");
      }
      assertTrue(r.ok(), "npm ci in clients/postgres-js failed: " + r.problem());
    }
    assertEquals(pinned, installedVersion(module), "postgres.js in clients/postgres-js/node_modules is not the pinned version");
  }

  private static String installedVersion(Path module) throws IOException {
    Path installed = module.resolve("node_modules/postgres/package.json");
    return Files.exists(installed) ? version(Files.readString(installed), "\"version\"\\s*:\\s*\"([^\"]+)\"") : null;
  }

  private static String version(String json, String regex) {
    Matcher m = Pattern.compile(regex).matcher(json);
    assertTrue(m.find(), "no " + regex + " in package.json");
    return m.group(1);
  }

  private static String tail(Path output) throws IOException {
    List<String> lines = Files.readAllLines(output);
    return DbClient.redact(String.join(" | ", lines.subList(Math.max(0, lines.size() - 15), lines.size())));
  }
}
