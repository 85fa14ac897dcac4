// devdb beside other clusters (issue 12): a second checkout while the first one's cluster
// holds the port gets one line naming the port and the holder before anything is created;
// --port then gives a working second cluster; --port moves an existing cluster; a failed
// start names the log file instead of pasting it. In-process, in temporary folders on free ports.

import static org.junit.jupiter.api.Assertions.*;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DevdbBesideOthersTest {
  static Path first, second;  // the .devdb folders of two checkouts
  static int port;            // the first checkout's port, which the second one also asks for

  @BeforeAll static void folders() throws Exception {
    first = Files.createTempDirectory("kodiai-devdb-first");
    second = Files.createTempDirectory("kodiai-devdb-second");
    for (Path d : List.of(first, second)) Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwx--x--x"));
    port = LocalCluster.freePort();
  }

  @AfterAll static void cleanUp() {
    devdb(first, "down", "--purge");
    devdb(second, "down", "--purge");
  }

  /** devdb as main runs it (one-line errors), with the given folder; the port only where `args` says. */
  static DevdbTest.Run devdb(Path dir, String... args) { return DevdbTest.inProcess(dir, List.of(args)); }

  static String url(int p) { return "postgresql://kodiai:kodiai@127.0.0.1:" + p + "/kodiai"; }

  static List<String> errors(DevdbTest.Run r) { return r.err().lines().filter(l -> l.startsWith("devdb: error:")).toList(); }

  @Test @Order(1) void secondCheckoutOnATakenPortGetsOneLineBeforeAnythingIsCreated() throws Exception {
    DevdbTest.Run a = devdb(first, "up", "--port", "" + port);
    assertEquals(0, a.code(), a.err());
    DevdbTest.Run b = devdb(second, "up", "--port", "" + port);
    assertEquals(ExitCode.FAILED, b.code(), b.err());
    String expected = "devdb: error: port " + port + " on 127.0.0.1 is taken by another devdb cluster \\(pid \\d+, data "
        + java.util.regex.Pattern.quote(first.resolve("pgdata").toString()) + "\\): choose another with --port N \\(or KODIAI_DEVDB_PORT=N\\)";
    assertTrue(b.err().strip().matches(expected), b.err());
    assertEquals(1, b.err().lines().count(), "nothing else said: " + b.err());
    assertFalse(Files.exists(second.resolve("pgdata")), "checked before creating anything");
  }

  @Test @Order(2) void withAnotherPortTheSecondCheckoutGetsAWorkingClusterBesideTheFirst() throws Exception {
    int other = LocalCluster.freePort();
    DevdbTest.Run b = devdb(second, "up", "--port", "" + other);
    assertEquals(0, b.code(), b.err());
    assertTrue(b.out().strip().endsWith("DATABASE_URL=" + url(other)), b.out());
    try (Connection c1 = DbClient.open(url(port)); Connection c2 = DbClient.open(url(other))) {
      assertNotEquals(MigrateTest.rows(url(port), "SHOW data_directory"), MigrateTest.rows(url(other), "SHOW data_directory"));
    }
    assertEquals(url(other) + "\n", devdb(second, "url").out(), "url needs no --port: the cluster's own port");
  }

  @Test @Order(3) void portIsNotStickyForAnExistingCluster() throws Exception {
    assertEquals(0, devdb(second, "down").code());
    int moved = LocalCluster.freePort();
    DevdbTest.Run r = devdb(second, "up", "--port", "" + moved);
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("moving the cluster from port "), r.err());
    assertTrue(r.out().strip().endsWith("DATABASE_URL=" + url(moved)), r.out());
    assertEquals(List.of("t"), MigrateTest.rows(url(moved), "SELECT to_regclass('_migrations') IS NOT NULL"), "same data, new port");
    assertEquals(0, devdb(second, "down").code());
    DevdbTest.Run again = devdb(second, "up"); // no --port: the port it has now
    assertEquals(0, again.code(), again.err());
    assertTrue(again.out().strip().endsWith("DATABASE_URL=" + url(moved)), again.out());
  }

  @Test @Order(4) void aPortHeldByAnotherProgramIsNamedToo() throws Exception {
    assertEquals(0, devdb(second, "down").code());
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      DevdbTest.Run r = devdb(second, "up", "--port", "" + s.getLocalPort());
      assertEquals(ExitCode.FAILED, r.code());
      assertEquals(List.of("devdb: error: port " + s.getLocalPort() + " on 127.0.0.1 is taken by java (pid " + ProcessHandle.current().pid()
          + "): choose another with --port N (or KODIAI_DEVDB_PORT=N)"), errors(r), r.err());
    }
  }

  @Test @Order(5) void aFailedStartNamesTheLogFileInsteadOfPastingIt() throws Exception {
    Path conf = second.resolve("pgdata/postgresql.conf");
    String good = Files.readString(conf);
    Files.writeString(conf, good + "no_such_setting_here = 1\n");
    try {
      int p = LocalCluster.freePort();
      DevdbTest.Run r = devdb(second, "up", "--port", "" + p);
      assertEquals(ExitCode.FAILED, r.code());
      assertEquals(List.of("devdb: error: PostgreSQL did not start on 127.0.0.1:" + p + "; see its log: " + second.resolve("pgdata/server.log")),
          errors(r), r.err());
      assertTrue(Files.readString(second.resolve("pgdata/server.log")).contains("no_such_setting_here"), "the reason is in that file");
    } finally {
      Files.writeString(conf, good);
    }
  }

  @Test void helpShowsTheDefaultPort() {
    DevdbTest.Run r = devdb(first, "--help");
    assertTrue(r.out().contains("54329") && !r.out().contains("null"), r.out());
  }
}
