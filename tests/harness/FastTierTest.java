import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The harness's choices that need no server, and the fast tier itself (`test --fast`). */
@Fast
class FastTierTest {
  @Test void choosesEnvUrlThenDockerThenLocalCluster() {
    assertEquals(TestDatabase.Source.ENV, TestDatabase.choose("postgresql://u@h/db", true));
    assertEquals(TestDatabase.Source.ENV, TestDatabase.choose("postgresql://u@h/db", false));
    assertEquals(TestDatabase.Source.TESTCONTAINERS, TestDatabase.choose(null, true));
    assertEquals(TestDatabase.Source.LOCAL_CLUSTER, TestDatabase.choose("  ", false));
  }

  @Test void versionListsAreParsedOrRefusedInOneLine() {
    assertEquals(List.of(15, 17), TestDatabase.requestedVersions("15,17"));
    assertEquals(List.of(17), TestDatabase.requestedVersions(" 17 , 17"));
    assertEquals(List.of(), TestDatabase.requestedVersions(""));
    var e = assertThrows(IllegalArgumentException.class, () -> TestDatabase.requestedVersions("15;17"));
    assertTrue(e.getMessage().startsWith(TestDatabase.ENV_VERSION + " must be PostgreSQL major versions"), e.getMessage());
  }

  /**
   * `test --fast` in a JVM of its own whose PATH holds no PostgreSQL and whose KODIAI_PG_BINDIR points
   * nowhere: the tagged tests of the class asked for run and pass, and no server is looked for or started.
   */
  @Test void theFastTierRunsWithoutPostgres() throws Exception {
    List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow()));
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), TestRunner.class.getName(), TestRunner.FAST, "CliTest"));
    var env = new java.util.HashMap<>(System.getenv());
    env.put("PATH", "/nonexistent");
    env.put("KODIAI_PG_BINDIR", "/nonexistent");
    env.remove(TestDatabase.ENV_URL);
    var r = ChildProcess.of(cmd).exactEnv(env).mergeErrors().named("test --fast").run(java.time.Duration.ofSeconds(120));
    String out = r.stdout();
    assertTrue(r.ok(), r.problem() + "\n" + out);
    assertTrue(out.contains("PASS CliTest"), out);
    assertFalse(out.contains("test database:"), "no server was started: " + out);
    assertTrue(out.strip().matches("(?s).*\\n[1-9]\\d* passed, 0 failed"), out);
  }
}
