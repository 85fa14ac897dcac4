///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES cli/*.java process/*.java DbClient.java migration/*.java localpg/*.java
//FILES migrations/=migrations/*.sql
//FILES migrations/from-kodiai/=migrations/from-kodiai/*.sql
//FILES compose.yaml
//DESCRIPTION A local development database with pgvector and every migration applied: up, down [--purge], status, url.
//JAVA_OPTIONS -XX:TieredStopAtLevel=1 -XX:+UseSerialGC

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "devdb", mixinStandardHelpOptions = true, version = "devdb 1.0",
    description = {"Runs kodiai's local development database: docker compose (compose.yaml) where a Docker engine"
        + " answers,",
        "otherwise a PostgreSQL cluster from the installed binaries on 127.0.0.1, port " + devdb.DEFAULT_PORT
            + " (--port,",
        "KODIAI_DEVDB_PORT), kept in .devdb/ of the checkout (--dir, KODIAI_DEVDB_DIR); as root, when the postgres"
            + " user",
        "cannot reach the checkout, in /var/tmp/kodiai-devdb-HASH/ instead (`status` prints where).",
        "down --purge deletes only a cluster devdb created (it leaves a " + devdb.MARKER + " file in it).",
        "",
        "Environment: KODIAI_DEVDB_PORT, KODIAI_DEVDB_DIR, KODIAI_DEVDB_NO_DOCKER (true: as --no-docker),",
        "KODIAI_PG_BINDIR (the PostgreSQL server binaries to use; default: pg_config --bindir, else the newest"
            + " installed),",
        "KODIAI_DOCKER_COMPOSE_TIMEOUT (seconds docker compose may take; default 600). `docker info` gets 10 s."},
    footerHeading = "%nExit codes:%n",
    footer = {"  0  done", "  1  failed (the server or docker compose did not start; the message says why),",
        "     or url/status where no cluster exists yet (create it with up)",
        "  2  usage error (also --port outside 1-65535)",
        "  3  the database does not answer", "  4  timed out waiting for another migration runner's lock",
        "  5  the migrations disagree with the database (see ./jbang migrate@kodiai validate)",
        "  6  PostgreSQL or pgvector is missing and could not be installed (the message says how)",
        "  8  down --purge refused: the folder holds no " + devdb.MARKER + ", so devdb did not create it;",
        "     or, as root, a --dir the postgres user cannot enter (nothing created)",
        "(the same numbers mean the same in every kodiai-db command: see README.md)"})
public class devdb implements Callable<Integer> {
  // dev-only credentials, as in compose.yaml
  static final String USER = "kodiai", PASSWORD = "kodiai", DATABASE = "kodiai";
  static final String DEFAULT_PORT = "54329";
  /** Written into the data folder of a cluster devdb creates: the only kind `down --purge` deletes. */
  static final String MARKER = "kodiai-devdb.marker";

  @Parameters(index = "0", paramLabel = "ACTION", description = "up | down | status | url") String action;
  @Option(names = "--purge", description = "With down: delete the data too.") boolean purge;
  @Option(names = "--port", defaultValue = "${env:KODIAI_DEVDB_PORT}",
      description = {"Port of the local cluster (env KODIAI_DEVDB_PORT;"
          + " default: the port the cluster has, else " + DEFAULT_PORT
          + "). Given for an existing, stopped cluster, it moves the cluster there."})
  Integer port;
  @Option(names = "--dir", defaultValue = "${env:KODIAI_DEVDB_DIR}",
      description = "Where the local cluster keeps its data (default: .devdb/ in the repository).")
  Path dir;
  @Option(names = "--no-docker", defaultValue = "${env:KODIAI_DEVDB_NO_DOCKER:-false}",
      description = "Use the local cluster even if Docker answers.")
  boolean noDocker;
  @Option(names = "--no-install",
      description = "Do not try to install missing PostgreSQL/pgvector; just say how.") boolean noInstall;
  @Option(names = {"-v", "--verbose"}, description = "Show stack traces of errors.") boolean verbose;
  /** Where devdb prints: picocli's writers (main's are System.out/err; a test gives each run its own). */
  @Spec CommandSpec spec;

  public Integer call() throws Exception {
    // Checked before anything else: a port 0 written into postgresql.conf never starts, and a bad one changes nothing.
    if (port != null && (port < 1 || port > 65535))
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--port (or KODIAI_DEVDB_PORT) must be 1-65535, got " + port);
    Docker.Probe probe = noDocker ? Docker.Probe.NO_CLI : Docker.probe();
    if (Docker.timedOutNote(probe) != null) log(Docker.timedOutNote(probe));
    boolean docker = probe == Docker.Probe.ANSWERS;
    return switch (action) {
      case "up" -> docker ? dockerUp() : localUp();
      case "down" -> docker ? dockerDown() : localDown();
      case "status" -> status(docker);
      case "url" -> { if (!docker) requireCluster(); out().println(url(docker)); yield 0; }
      default -> throw new CommandLine.ParameterException(spec.commandLine(), "unknown action '" + action
          + "': use up, down, status or url");
    };
  }

  /**
   * `url` and `status` of a folder holding no cluster fail: in a fresh checkout, `export DATABASE_URL=$(devdb url)`
   * must not point at the default port, where another checkout's cluster (same credentials) may answer.
   */
  void requireCluster() {
    Path data = dataDir();
    if (!Files.exists(data.resolve("PG_VERSION")))
      throw new LocalPgException(ExitCode.FAILED, "no devdb cluster in " + data
          + ": create it with ./jbang devdb@kodiai up"
          + (dir != null ? " --dir " + dir : ""));
  }

  String url(boolean docker) {
    return docker ? DbClient.url(USER, PASSWORD, "localhost", 5432, DATABASE)
        : DbClient.url(USER, PASSWORD, "127.0.0.1", localPort(), DATABASE);
  }

  /**
   * The local cluster's port: where it runs, else --port / KODIAI_DEVDB_PORT, else the port in
   * its configuration, else the default. A port is not sticky: asking for another moves a stopped cluster.
   */
  int localPort() {
    Path data = dataDir();
    int running = LocalCluster.runningPort(data);
    if (running > 0) return running;
    if (port != null) return port;
    int configured = LocalCluster.configuredPort(data);
    return configured > 0 ? configured : Integer.parseInt(DEFAULT_PORT);
  }

  // ------------------------------------------------------------ local cluster

  int localUp() throws Exception {
    LocalCluster cluster = cluster();
    int p = cluster.port;
    if (cluster.running()) {
      if (port != null && port != cluster.runningPort())
        log("already running on port " + cluster.runningPort() + "; to move it to " + port
            + ": devdb down, then devdb up --port " + port);
      return finishUp(url(false));
    }
    // Before creating or starting anything: a port someone else holds is one line, not a server log.
    if (!PortHolder.free(p))
      throw new LocalPgException(ExitCode.FAILED, "port " + p + " on 127.0.0.1 is taken by " + PortHolder.describe(p)
          + ": choose another with --port N (or KODIAI_DEVDB_PORT=N)");
    if (!cluster.initialized()) {
      create(cluster, p);
    } else if (LocalCluster.configuredPort(cluster.dataDir) >= 0 && LocalCluster.configuredPort(cluster.dataDir) != p) {
      // also repairs `port = 0`, which an older devdb wrote for --port 0
      log("moving the cluster from port " + LocalCluster.configuredPort(cluster.dataDir) + " to " + p);
      cluster.setPort(p);
    }
    log("starting PostgreSQL on 127.0.0.1:" + p);
    try {
      cluster.start();
    } catch (IOException e) {
      throw new LocalPgException(ExitCode.FAILED, "PostgreSQL did not start on 127.0.0.1:" + p + "; see its log: "
          + cluster.logFile());
    }
    return finishUp(url(false));
  }

  /**
   * initdb into a new data folder, then the marker. As root the server user must be able to enter the folder's
   * parent (checked first, exit 8); any failure removes what was made, so no half-made folder stays behind.
   */
  void create(LocalCluster cluster, int p) throws Exception {
    Path state = cluster.dataDir.getParent();
    Path existing = state;
    while (existing != null && !Files.exists(existing)) existing = existing.getParent();
    if (LocalCluster.runningAsRoot() && existing != null && !LocalCluster.serverUserCanEnter(existing))
      throw new LocalPgException(ExitCode.LOCAL_ERROR, "the " + LocalCluster.OS_USER_WHEN_ROOT + " user, which runs"
          + " PostgreSQL when devdb runs as root, cannot enter " + existing
          + ": give it access (chmod o+x on " + existing
          + " and each folder above it) or choose a --dir it can reach (e.g. under /var/tmp); nothing was created");
    log("creating a PostgreSQL cluster in " + cluster.dataDir + " (port " + p + ")");
    boolean newStateDir = !Files.exists(state), newDataDir = !Files.exists(cluster.dataDir);
    try {
      cluster.init(USER, PASSWORD, false);
      Files.writeString(cluster.dataDir.resolve(MARKER), "created by kodiai devdb for " + cluster.dataDir
          + "\nstate folder created by devdb: " + (newStateDir ? "yes" : "no") + "\n");
    } catch (Exception e) {
      if (newDataDir) cluster.delete();
      if (newStateDir) {
        try { Files.deleteIfExists(state); } catch (IOException keep) { /* something else put files there */ }
      }
      throw e instanceof IOException ? new LocalPgException(ExitCode.FAILED, "could not create the cluster in "
          + cluster.dataDir + " (nothing left behind): " + e.getMessage()) : e;
    }
  }

  int localDown() throws Exception {
    LocalCluster cluster = new LocalCluster(dataDir(), localPort());
    Path marker = cluster.dataDir.resolve(MARKER);
    // Checked before anything is stopped: --dir may name a folder that is not devdb's at all.
    if (purge && Files.exists(cluster.dataDir) && !Files.isRegularFile(marker)) {
      throw new LocalPgException(ExitCode.LOCAL_ERROR, "refusing to delete " + cluster.dataDir
          + ": it holds no " + MARKER
          + ", so devdb did not create it (or an older devdb did); nothing was stopped or deleted."
          + " If it is only a devdb cluster, stop it with `devdb down` and delete the folder yourself");
    }
    if (cluster.running()) { cluster.stop(false); log("stopped"); }
    else log("not running");
    if (purge && Files.exists(cluster.dataDir)) {
      boolean stateDirOurs = Files.readString(marker).contains("state folder created by devdb: yes");
      cluster.delete();
      if (stateDirOurs) {
        try {
          Files.deleteIfExists(cluster.dataDir.getParent());
        } catch (java.nio.file.DirectoryNotEmptyException keep) { /* not only ours */ }
      }
      log("deleted " + cluster.dataDir);
    }
    return 0;
  }

  /** The cluster, after making sure PostgreSQL and pgvector are installed (installing them if allowed). */
  LocalCluster cluster() throws Exception {
    Path root = MigrationSource.checkoutRoot();
    PostgresInstall.ensure(!noInstall, root == null ? null : root.resolve("scripts/install-postgres.sh"), this::log);
    return new LocalCluster(dataDir(), localPort());
  }

  /** .devdb/pgdata in the repository; as root it must be reachable by the postgres user, else /var/tmp. */
  Path dataDir() {
    Path base = dir != null ? dir : MigrationSource.checkoutRoot() != null
        ? MigrationSource.checkoutRoot().resolve(".devdb")
        : Path.of(System.getProperty("user.home"), ".local/share/kodiai-db/devdb");
    if (dir == null && LocalCluster.runningAsRoot() && !reachableByOthers(base.getParent())) {
      base = Path.of("/var/tmp", "kodiai-devdb-" + Integer.toHexString(base.toAbsolutePath().toString().hashCode()));
    }
    return base.resolve("pgdata").toAbsolutePath();
  }

  static boolean reachableByOthers(Path p) {
    try {
      for (Path q = p.toAbsolutePath(); q != null; q = q.getParent())
        if (!Files.getPosixFilePermissions(q).contains(PosixFilePermission.OTHERS_EXECUTE)) return false;
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  // ------------------------------------------------------------------- docker

  int dockerUp() throws Exception {
    log("starting the compose service postgres (pgvector/pgvector:pg17)");
    compose("up", "-d", "--wait");
    return finishUp(url(true));
  }

  int dockerDown() throws Exception {
    if (purge) compose("down", "--volumes"); else compose("stop");
    return 0;
  }

  void compose(String... args) throws Exception {
    Path file = MigrationSource.checkoutRoot() != null ? MigrationSource.checkoutRoot().resolve("compose.yaml") : null;
    if (file == null || !Files.exists(file)) { // running from the catalog elsewhere: use the bundled copy
      file = Files.createTempFile("kodiai-compose", ".yaml");
      try (InputStream in = devdb.class.getResourceAsStream("/compose.yaml")) {
        Files.copy(in, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
    }
    Docker.compose(file, args);
  }

  // ------------------------------------------------------------------ common

  /** Creates the kodiai database if needed, applies every migration, prints DATABASE_URL=. */
  int finishUp(String url) throws Exception {
    String admin = DbClient.withDatabase(url, "postgres");
    try (Connection c = DbClient.open(admin); Statement st = c.createStatement()) {
      ResultSet rs = st.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + DATABASE + "'");
      if (!rs.next()) { st.execute("CREATE DATABASE " + DATABASE); log("created database " + DATABASE); }
    }
    int applied = Migrations.run(url, null, null);
    log(applied == 0 ? "migrations: up to date" : "migrations: applied " + applied);
    out().println("DATABASE_URL=" + url);
    return 0;
  }

  int status(boolean docker) throws Exception {
    if (!docker) requireCluster();
    String url = url(docker);
    boolean running = docker || new LocalCluster(dataDir(), localPort()).running();
    PrintWriter out = out();
    out.println("mode: " + (docker ? "docker compose" : "local cluster in " + dataDir()));
    if (!running) {
      long stale = docker ? 0 : new LocalCluster(dataDir(), localPort()).stalePid();
      out.println("state: stopped (start it with: ./jbang devdb@kodiai up)"
          + (stale > 0 ? "; its postmaster.pid is stale: PID " + stale
              + " is another program, which devdb leaves alone (up removes the file)" : ""));
      return 0;
    }
    DbClient.Target target = DbClient.parse(url);
    try (Connection c = Migrations.connect(target)) {
      var options = Migrations.options(out, java.time.Duration.ofSeconds(60),
          null, null);
      var entries = new Migrator(c, MigrationSource.load(null), options).status();
      out.println("state: running at " + target.redacted());
      for (var e : entries) out.printf("  %03d %-36s %s%n", e.version(), e.name(),
          e.state().name().toLowerCase().replace('_', ' '));
      out.println("migrations: " + entries.stream().filter(e -> e.state() == Migrator.State.APPLIED).count()
          + " applied of " + entries.size());
    } catch (DbClient.DbException e) {
      out.println("state: server running, database not reachable: " + e.getMessage()
          + " (run: ./jbang devdb@kodiai up)");
    }
    return 0;
  }

  /** A progress line on stderr: stdout holds only what `$(devdb url)` and scripts read. */
  void log(String s) { spec.commandLine().getErr().println("devdb: " + s); }

  PrintWriter out() { return spec.commandLine().getOut(); }

  public static void main(String[] args) {
    System.exit(Cli.commandLine(new devdb(), DbClient::redact).execute(args));
  }
}
