// A real PgBouncer (Debian's `pgbouncer` package) in front of the test server, for the
// pooler tests: one process per pooling mode, started on first use and reused by the whole
// run, stopped by TestDatabase.shutdown(). Stock settings apart from what a throwaway needs
// (port, files, auth): in particular no ignore_startup_parameters, so a client that puts
// `options` in its startup packet is refused exactly as by an unconfigured PgBouncer, and
// transaction mode keeps session state (advisory locks, SET) on whatever server connection
// ran it, as in production (Azure's built-in PgBouncer runs in transaction mode).
//
//   String url = TestPooler.url(db.name(), TestPooler.Mode.TRANSACTION);   // admin user, through PgBouncer

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

final class TestPooler {
  enum Mode { TRANSACTION, SESSION }

  static final String TEMP_PREFIX = "kodiai-test-pgbouncer-";

  /** A started PgBouncer: its folder (config, log, pid file) and port. */
  record Running(Path dir, int port, long pid) {
    Path log() { return dir.resolve("pgbouncer.log"); }
  }

  private static final Map<Mode, Running> running = new EnumMap<>(Mode.class);

  /** A URL for `database` on the test server through the PgBouncer of `mode`, as the admin user. */
  static synchronized String url(String database, Mode mode) {
    DbClient.Target admin = DbClient.parse(TestDatabase.adminUrl());
    if (running.isEmpty()) TestDatabase.beforeShutdown(TestPooler::stopAll);
    Running r = running.computeIfAbsent(mode, m -> start(m, admin));
    return DbClient.url(admin.user(), admin.password(), "127.0.0.1", r.port(), database);
  }

  /** The PgBouncer of `mode` (started if need be), e.g. to read its log. */
  static synchronized Running of(Mode mode) {
    url("postgres", mode);
    return running.get(mode);
  }

  static Path binary() {
    for (String dir : (System.getenv().getOrDefault("PATH", "") + ":/usr/sbin").split(":")) {
      Path p = Path.of(dir.isEmpty() ? "." : dir, "pgbouncer");
      if (Files.isExecutable(p)) return p;
    }
    throw new IllegalStateException("PgBouncer is not installed: run `sudo scripts/install-postgres.sh` (installs Debian's pgbouncer)");
  }

  private static Running start(Mode mode, DbClient.Target admin) {
    Path dir = null;
    try {
      dir = Files.createTempDirectory(TEMP_PREFIX);
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
      int port = LocalCluster.freePort();
      // Plain-text password in the auth file: PgBouncer then speaks SCRAM to the client and to the server.
      Files.writeString(dir.resolve("userlist.txt"), "\"" + admin.user() + "\" \"" + admin.password() + "\"\n");
      Files.writeString(dir.resolve("pgbouncer.ini"), String.join("\n",
          "[databases]",
          "* = host=" + admin.host() + " port=" + admin.port(),
          "[pgbouncer]",
          "listen_addr = 127.0.0.1",
          "listen_port = " + port,
          "unix_socket_dir =",
          "auth_type = scram-sha-256",
          "auth_file = " + dir.resolve("userlist.txt"),
          "pool_mode = " + mode.name().toLowerCase(),
          "max_client_conn = 200",
          "logfile = " + dir.resolve("pgbouncer.log"),
          "pidfile = " + dir.resolve("pgbouncer.pid"), ""));
      if (LocalCluster.runningAsRoot()) giveToServerUser(dir); // PgBouncer refuses to run as root
      List<String> cmd = new java.util.ArrayList<>();
      if (LocalCluster.runningAsRoot()) cmd.addAll(List.of("runuser", "-u", LocalCluster.OS_USER_WHEN_ROOT, "--"));
      cmd.addAll(List.of(binary().toString(), "-d", "-q", dir.resolve("pgbouncer.ini").toString()));
      ChildProcess.Result r = ChildProcess.of(cmd).mergeErrors().run(java.time.Duration.ofSeconds(20));
      if (!r.ok())
        throw new IOException("pgbouncer did not start" + (r.end() == ChildProcess.End.TIMED_OUT ? " within 20 s" : "")
            + ": " + r.stdout().strip() + " " + tail(dir.resolve("pgbouncer.log")));
      // The daemon writes its pid file and starts listening in its own time, in either order.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      long pid;
      while ((pid = pid(dir.resolve("pgbouncer.pid"))) <= 0 || !listening(port)) {
        if (System.nanoTime() > deadline) throw new IOException("pgbouncer is not listening on " + port + ": " + tail(dir.resolve("pgbouncer.log")));
        Thread.sleep(20);
      }
      return new Running(dir, port, pid);
    } catch (IOException | InterruptedException | RuntimeException e) {
      if (dir != null) { // a daemon that started but was not ready in time must not outlive the run
        long pid = pid(dir.resolve("pgbouncer.pid"));
        if (pid > 0) ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
      }
      throw new IllegalStateException("test pooler (" + mode + "): " + DbClient.redact(e.getMessage()), e);
    }
  }

  /** Stops every PgBouncer of this run and deletes its folder. */
  static synchronized void stopAll() {
    for (Running r : running.values()) {
      ProcessHandle.of(r.pid()).ifPresent(h -> {
        h.destroy(); // SIGTERM: immediate shutdown
        try { h.onExit().get(10, TimeUnit.SECONDS); } catch (Exception e) { h.destroyForcibly(); }
      });
      try (var s = Files.walk(r.dir())) {
        for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
      } catch (IOException ignored) {
        // best effort: a temporary folder
      }
    }
    running.clear();
  }

  /** The number in a pid file, or -1 while it is missing or not written yet. */
  private static long pid(Path file) {
    try {
      return Long.parseLong(Files.readString(file).strip());
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
  }

  private static boolean listening(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
    } catch (IOException e) {
      return "";
    }
  }

  private static void giveToServerUser(Path dir) throws IOException {
    var owner = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(LocalCluster.OS_USER_WHEN_ROOT);
    try (var s = Files.walk(dir)) {
      for (Path p : s.toList()) Files.setOwner(p, owner);
    }
  }
}
