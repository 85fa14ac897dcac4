import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** The shell entry points: the ./jbang launcher and scripts/install-postgres.sh, where they must refuse. */
class ToolingScriptsTest {
  Path tmp; // made by hand: JUnit's @TempDir warns about every symlink it deletes

  @BeforeEach void makeTmp() throws Exception { tmp = Files.createTempDirectory("kodiai-scripts-test"); }

  @AfterEach void removeTmp() throws Exception {
    try (var s = Files.walk(tmp)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p); // a link, not its target
    }
  }

  record Run(int code, String out, String err) {}

  /** Runs a script of the checkout with exactly `env` as its environment (no inherited PATH, JAVA_HOME, ...). */
  static Run run(Map<String, String> env, String... cmd) throws Exception {
    return runIn(MigrationSource.checkoutRoot(), env, cmd);
  }

  /** A PATH folder holding only the named tools (links to the real ones). */
  Path pathWith(String... tools) throws Exception {
    Path bin = Files.createDirectories(tmp.resolve("bin"));
    for (String t : tools) {
      for (String dir : List.of("/usr/local/bin", "/usr/bin", "/bin")) {
        Path real = Path.of(dir, t);
        if (Files.isExecutable(real)) { Files.createSymbolicLink(bin.resolve(t), real); break; }
      }
    }
    return bin;
  }

  static final String[] BASICS = {"bash", "env", "cat", "rm", "mkdir", "mv", "touch", "mktemp", "dirname", "id", "sed", "sort", "head", "awk", "ls", "tail"};

  /**
   * The launcher replays JBang's command for an unchanged checkout (no JBang JVM), and asks JBang again, which
   * rebuilds, as soon as a source changes: a replayed run never runs stale code.
   */
  @Test void launcherReplaysJBangsCommandUntilASourceChanges() throws Exception {
    Path work = Files.createDirectories(tmp.resolve("checkout"));
    Files.writeString(work.resolve("jbang-catalog.json"), "{\"aliases\": {}}\n");
    Path script = work.resolve("Hello" + ProcessHandle.current().pid() + ".java");
    String cls = script.getFileName().toString().replace(".java", "");
    Files.writeString(script, "class " + cls + " { public static void main(String[] a) { System.out.println(\"one \" + String.join(\",\", a)); } }\n");
    String launcher = MigrationSource.checkoutRoot().resolve("jbang").toString();
    Path cache = Path.of(System.getenv().getOrDefault("KODIAI_CACHE_DIR",
        System.getenv().getOrDefault("XDG_CACHE_HOME", System.getProperty("user.home") + "/.cache") + "/kodiai-db"), "launch");
    java.util.function.Supplier<Long> entries = () -> {
      try (var st = Files.list(cache)) { return st.count(); } catch (Exception e) { return 0L; }
    };
    Map<String, String> env = new java.util.HashMap<>(System.getenv());
    env.remove("KODIAI_JBANG_NO_CACHE");
    Run first = runIn(work, env, "bash", launcher, script.getFileName().toString(), "a b", "c");
    assertEquals("one a b,c\n", first.out(), first.err());
    long before = entries.get();
    Run again = runIn(work, env, "bash", launcher, script.getFileName().toString(), "x");
    assertEquals("one x\n", again.out(), again.err());
    assertTrue(entries.get() >= 1, "the command JBang printed is kept");
    assertEquals(before, entries.get(), "an unchanged checkout replays the same entry");
    Files.writeString(script, Files.readString(script).replace("\"one \"", "\"two \""));
    Run changed = runIn(work, env, "bash", launcher, script.getFileName().toString(), "y");
    assertEquals("two y\n", changed.out(), "a changed source is rebuilt, not replayed: " + changed.err());
    env.put("KODIAI_JBANG_NO_CACHE", "1");
    Run asked = runIn(work, env, "bash", launcher, script.getFileName().toString(), "z");
    assertEquals("two z\n", asked.out(), asked.err());
  }

  /**
   * Launchers started together on a script nobody has built yet (replicas booting at once on one cache, a suite
   * starting every command) all run it, bundled files included: JBang's build runs under the launcher's lock. Without
   * it, 15 of 18 such runs failed here ("Error creating/updating jar", or a jar without its //FILES).
   */
  @Test void launchersStartedTogetherOnANewScriptAllRunItWithItsBundledFiles() throws Exception {
    Path work = Files.createDirectories(tmp.resolve("together"));
    Files.writeString(work.resolve("jbang-catalog.json"), "{\"aliases\": {}}\n");
    Files.writeString(work.resolve("bundled.txt"), "bundled-content\n");
    String cls = "Together" + ProcessHandle.current().pid() + "x" + System.nanoTime();
    Files.writeString(work.resolve(cls + ".java"), "//FILES bundled.txt\nclass " + cls + " { public static void main(String[] a) throws Exception {"
        + " var in = " + cls + ".class.getResourceAsStream(\"/bundled.txt\");"
        + " System.out.println(in == null ? \"MISSING\" : new String(in.readAllBytes()).trim()); } }\n");
    String launcher = MigrationSource.checkoutRoot().resolve("jbang").toString();
    Map<String, String> env = new java.util.HashMap<>(System.getenv());
    env.remove("KODIAI_JBANG_NO_CACHE");
    var pool = java.util.concurrent.Executors.newFixedThreadPool(6);
    try {
      List<java.util.concurrent.Future<Run>> runs = new java.util.ArrayList<>();
      for (int i = 0; i < 6; i++) runs.add(pool.submit(() -> runIn(work, env, "bash", launcher, cls + ".java")));
      for (var f : runs) {
        Run r = f.get(300, TimeUnit.SECONDS);
        assertEquals(0, r.code(), r.err());
        assertEquals("bundled-content\n", r.out(), r.err());
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** Runs `cmd` in `dir` with exactly `env` as its environment. */
  static Run runIn(Path dir, Map<String, String> env, String... cmd) throws Exception {
    ChildProcess.Result r = ChildProcess.of(cmd).dir(dir).exactEnv(env).run(java.time.Duration.ofSeconds(180));
    assertEquals(ChildProcess.End.EXITED, r.end(), String.join(" ", cmd) + " did not finish within 180 s");
    return new Run(r.exitCode(), r.stdout(), r.stderr());
  }

  @Fast @Test void launcherSaysJavaIsMissingAndHowToInstallIt() throws Exception {
    Path bin = pathWith(BASICS);
    Run r = run(Map.of("PATH", bin.toString(), "HOME", tmp.toString()), "bash", "jbang", "version");
    assertEquals(1, r.code());
    assertTrue(r.err().startsWith("jbang: Java 17 or newer is required and was not found."), r.err());
    assertTrue(r.err().contains("apt-get install openjdk-17-jdk"), r.err());
  }

  @Fast @Test void launcherSaysMavenIsMissingWhenJbangIsNotCachedYet() throws Exception {
    Path bin = pathWith(BASICS);
    Files.createSymbolicLink(bin.resolve("java"), Path.of(System.getProperty("java.home"), "bin", "java"));
    Run r = run(Map.of("PATH", bin.toString(), "HOME", tmp.toString(), "KODIAI_CACHE_DIR", tmp.resolve("cache").toString()),
        "bash", "jbang", "version");
    assertEquals(1, r.code());
    assertTrue(r.err().startsWith("jbang: Maven is required once, to fetch JBang 0.127.18 from Maven Central"), r.err());
    assertFalse(Files.exists(tmp.resolve("cache/jbang-0.127.18/lib")), "nothing half-cached");
  }

  @Test void launcherRunsThePinnedJbang() throws Exception {
    Run r = run(Map.of("PATH", System.getenv("PATH"), "HOME", System.getProperty("user.home")), "./jbang", "version");
    assertEquals(0, r.code(), r.err());
    assertEquals("0.127.18", r.out().strip());
  }

  @Test void launchersStartedTogetherOnAnEmptyCacheInstallJbangOnceAndAllRun() throws Exception {
    Path cache = tmp.resolve("cache");
    Map<String, String> env = Map.of("PATH", System.getenv("PATH"), "HOME", System.getProperty("user.home"),
        "KODIAI_CACHE_DIR", cache.toString());
    List<java.util.concurrent.Future<Run>> runs = new java.util.ArrayList<>();
    var pool = java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      for (int i = 0; i < 4; i++) runs.add(pool.submit(() -> run(env, "./jbang", "version")));
      for (var f : runs) {
        Run r = f.get(120, TimeUnit.SECONDS);
        assertEquals(0, r.code(), r.err());
        assertEquals("0.127.18", r.out().strip());
      }
    } finally {
      pool.shutdownNow();
    }
    Path dir = cache.resolve("jbang-0.127.18");
    try (var s = Files.list(dir)) {
      List<String> names = s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("lib")).sorted().toList();
      assertEquals(2, names.size(), "one published copy and the lib link, no leftovers: " + names);
    }
    assertTrue(Files.isSymbolicLink(dir.resolve("lib")) && Files.exists(dir.resolve("lib/.complete")));
  }

  @Fast @Test void installScriptExplainsWhatToInstallOffDebian() throws Exception {
    Path osRelease = Files.writeString(tmp.resolve("os-release"), "ID=fedora\nVERSION_ID=41\n");
    Path bin = pathWith(BASICS); // no pg_config: PostgreSQL looks missing
    Run r = run(Map.of("PATH", bin.toString(), "KODIAI_OS_RELEASE", osRelease.toString()), "bash", "scripts/install-postgres.sh");
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("this script installs packages on Debian 12 or 13 only"), r.err());
    assertTrue(r.err().contains("pgvector 0.8.0 or newer"), r.err());
    assertTrue(r.err().contains("KODIAI_TEST_DATABASE_URL"), r.err());
  }

  @Test void installScriptIsANoOpWhereEverythingIsInstalled() throws Exception {
    // The suite runs on a machine where .ci/run (or the developer) installed both already.
    Run r = run(Map.of("PATH", System.getenv("PATH")), "bash", "scripts/install-postgres.sh");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().matches("(?s)install-postgres: PostgreSQL \\d+(\\.\\d+)? with pgvector 0\\.(8|9|\\d\\d)\\.\\d+ is installed;"
        + " PgBouncer \\d+\\.\\d+(\\.\\d+)? is installed\\n"), r.err());
  }
}
