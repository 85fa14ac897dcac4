import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** `--wait`: replicas that boot before the database is up wait for it instead of failing (dbmate's `wait`). */
class MigrateWaitTest {
  @RegisterExtension static final FreshDatabase db = new FreshDatabase();
  Path dir;

  @BeforeEach void folder() throws IOException {
    dir = Files.createTempDirectory("kodiai-wait");
    Files.writeString(dir.resolve("001-a.sql"), "CREATE TABLE waited_for (id int);");
    Files.writeString(dir.resolve("001-a.down.sql"), "DROP TABLE IF EXISTS waited_for;");
  }

  @AfterEach void clean() throws Exception {
    MigrateTest.cli("down", "0", "--url", db.url(), "--dir", dir.toString());
    try (var s = Files.list(dir)) { for (Path p : s.toList()) Files.delete(p); }
    Files.delete(dir);
  }

  /** The test database's URL with another port. */
  static String viaPort(String url, int port) {
    DbClient.Target t = DbClient.parse(url);
    return url.replace(":" + t.port() + "/", ":" + port + "/");
  }

  @Test void waitsForADatabaseThatComesUpAndThenMigrates() throws Exception {
    DbClient.Target real = DbClient.parse(db.url());
    int port = LocalCluster.freePort();
    try (Forwarder f = new Forwarder(port, real.port(), 1500)) {
      long t0 = System.nanoTime();
      var r = MigrateTest.cli("up", "--wait", "20", "--url", viaPort(db.url(), port), "--dir", dir.toString());
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertEquals(0, r.code(), r.err());
      assertTrue(r.err().startsWith("migrate: waiting up to 20 s for the database: cannot connect to 127.0.0.1:" + port), r.err());
      assertTrue(r.out().contains("applied 001-a.sql"), r.out());
      assertTrue(ms >= 1400, "it waited for the server: " + ms + " ms");
    }
  }

  @Test void givesUpAfterTheWaitWithExit3() {
    int port = LocalCluster.freePort();
    long t0 = System.nanoTime();
    var r = MigrateTest.cli("status", "--wait", "2", "--url", viaPort(db.url(), port), "--dir", dir.toString());
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertEquals(3, r.code());
    assertTrue(ms >= 2000 && ms < 8000, ms + " ms");
    assertTrue(r.err().contains("connection refused (is PostgreSQL running and listening there?) (waited 2 s)"), r.err());
  }

  @Test void aWrongPasswordIsNotWorthWaitingFor() {
    String bad = db.url().replaceFirst("://([^:]+):[^@]+@", "://$1:Wrong-Pass-123@");
    long t0 = System.nanoTime();
    var r = MigrateTest.cli("status", "--wait", "30", "--url", bad, "--dir", dir.toString());
    assertEquals(3, r.code());
    assertTrue((System.nanoTime() - t0) / 1_000_000 < 5000, "failed at once");
    assertFalse(r.err().contains("waiting"), r.err());
    assertFalse(r.err().contains("Wrong-Pass-123"), r.err());
  }

  @Test void withoutWaitARefusedConnectionFailsAtOnce() {
    var r = MigrateTest.cli("status", "--url", viaPort(db.url(), LocalCluster.freePort()), "--dir", dir.toString());
    assertEquals(3, r.code());
    assertFalse(r.err().contains("waiting"), r.err());
  }

  /** A TCP forwarder from `from` to `to` on 127.0.0.1 that starts listening only after `delayMs`. */
  static final class Forwarder implements AutoCloseable {
    private volatile ServerSocket server;
    private volatile boolean closed;

    Forwarder(int from, int to, long delayMs) {
      Thread t = new Thread(() -> {
        try {
          Thread.sleep(delayMs);
          server = new ServerSocket(from, 50, InetAddress.getLoopbackAddress());
          while (!closed) {
            Socket client = server.accept();
            Socket upstream = new Socket(InetAddress.getLoopbackAddress(), to);
            pipe(client.getInputStream(), upstream.getOutputStream());
            pipe(upstream.getInputStream(), client.getOutputStream());
          }
        } catch (IOException | InterruptedException ignored) {
          // closed
        }
      }, "forwarder");
      t.setDaemon(true);
      t.start();
    }

    private static void pipe(InputStream in, OutputStream out) {
      Thread t = new Thread(() -> {
        try (in; out) { in.transferTo(out); } catch (IOException ignored) { /* peer closed */ }
      });
      t.setDaemon(true);
      t.start();
    }

    @Override public void close() throws IOException {
      closed = true;
      if (server != null) server.close();
    }
  }
}
