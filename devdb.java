///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS org.postgresql:postgresql:42.7.8
//DEPS com.pgvector:pgvector:0.1.6
//DEPS com.zaxxer:HikariCP:6.3.0
//DEPS info.picocli:picocli:4.7.7
//DEPS org.slf4j:slf4j-nop:2.0.17
//SOURCES cli/Cli.java DbClient.java localpg/LocalCluster.java migration/MigrationSource.java migration/Migrator.java migration/AdvisoryLock.java migrate.java
//FILES migrations/=migrations/*.sql
//FILES compose.yaml
//DESCRIPTION A local development database with pgvector and every migration applied: up, down [--purge], status, url.
//JAVA_OPTIONS -XX:TieredStopAtLevel=1 -XX:+UseSerialGC

import java.io.IOException;
import java.io.InputStream;
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
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "devdb", mixinStandardHelpOptions = true, version = "devdb 1.0",
    description = {"Runs kodiai's local development database: docker compose (compose.yaml) where a Docker engine answers,",
        "otherwise a PostgreSQL cluster from the installed binaries, kept in .devdb/ on port ${DEFAULT-VALUE}."},
    footerHeading = "%nExit codes:%n",
    footer = {"  0  done", "  1  failed (the message says why)", "  2  usage error",
        "  3  PostgreSQL or pgvector is missing and could not be installed (the message says how)"})
public class devdb implements Callable<Integer> {
  static final String USER = "kodiai", PASSWORD = "kodiai", DATABASE = "kodiai"; // dev-only credentials, as in compose.yaml

  @Parameters(index = "0", paramLabel = "ACTION", description = "up | down | status | url") String action;
  @Option(names = "--purge", description = "With down: delete the data too.") boolean purge;
  @Option(names = "--port", defaultValue = "${env:KODIAI_DEVDB_PORT:-54329}", description = "Port of the local cluster (default: ${DEFAULT-VALUE}).")
  int port;
  @Option(names = "--dir", defaultValue = "${env:KODIAI_DEVDB_DIR}", description = "Where the local cluster keeps its data (default: .devdb/ in the repository).")
  Path dir;
  @Option(names = "--no-docker", defaultValue = "${env:KODIAI_DEVDB_NO_DOCKER:-false}", description = "Use the local cluster even if Docker answers.")
  boolean noDocker;
  @Option(names = "--no-install", description = "Do not try to install missing PostgreSQL/pgvector; just say how.") boolean noInstall;
  @Option(names = {"-v", "--verbose"}, description = "Show stack traces of errors.") boolean verbose;

  static final class Failure extends RuntimeException {
    final int code;
    Failure(int code, String message) { super(message); this.code = code; }
  }

  public Integer call() throws Exception {
    boolean docker = !noDocker && dockerAnswers();
    return switch (action) {
      case "up" -> docker ? dockerUp() : localUp();
      case "down" -> docker ? dockerDown() : localDown();
      case "status" -> status(docker);
      case "url" -> { System.out.println(url(docker)); yield 0; }
      default -> throw new CommandLine.ParameterException(new CommandLine(this), "unknown action '" + action + "': use up, down, status or url");
    };
  }

  String url(boolean docker) {
    return docker ? "postgresql://" + USER + ":" + PASSWORD + "@localhost:5432/" + DATABASE
        : "postgresql://" + USER + ":" + PASSWORD + "@127.0.0.1:" + port + "/" + DATABASE;
  }

  // ------------------------------------------------------------ local cluster

  int localUp() throws Exception {
    LocalCluster cluster = cluster();
    if (!cluster.initialized()) {
      log("creating a PostgreSQL cluster in " + cluster.dataDir + " (port " + port + ")");
      cluster.init(USER, PASSWORD, false);
    }
    if (!cluster.running()) {
      log("starting PostgreSQL on 127.0.0.1:" + port);
      try {
        cluster.start();
      } catch (IOException e) {
        throw new Failure(1, "PostgreSQL did not start: " + e.getMessage() + " | " + cluster.logTail().replace('\n', ' ')
            + " (is port " + port + " taken? use --port)");
      }
    }
    return finishUp(url(false));
  }

  int localDown() throws Exception {
    LocalCluster cluster = new LocalCluster(dataDir(), port);
    if (cluster.running()) { cluster.stop(false); log("stopped"); }
    else log("not running");
    if (purge) {
      cluster.delete();
      try { Files.deleteIfExists(cluster.dataDir.getParent()); } catch (java.nio.file.DirectoryNotEmptyException keep) { /* not only ours */ }
      log("deleted " + cluster.dataDir);
    }
    return 0;
  }

  /** The cluster, after making sure PostgreSQL and pgvector are installed (installing them if allowed). */
  LocalCluster cluster() throws Exception {
    if (!installed()) {
      Path script = MigrationSource.checkoutRoot() == null ? null : MigrationSource.checkoutRoot().resolve("scripts/install-postgres.sh");
      if (noInstall || script == null || !Files.exists(script))
        throw new Failure(3, "PostgreSQL >= 15 with pgvector >= 0.8 is needed: " + LocalCluster.INSTALL_HINT);
      log("PostgreSQL or pgvector is missing: running " + script);
      Process p = new ProcessBuilder("bash", script.toString()).inheritIO().start();
      if (p.waitFor() != 0 || !installed())
        throw new Failure(3, "installing PostgreSQL/pgvector failed (see above): " + LocalCluster.INSTALL_HINT);
    }
    return new LocalCluster(dataDir(), port);
  }

  static boolean installed() {
    try {
      Path bin = LocalCluster.findBinDir();
      Process p = new ProcessBuilder(bin.resolve("pg_config").toString(), "--sharedir").redirectErrorStream(true).start();
      String share = new String(p.getInputStream().readAllBytes()).trim();
      p.waitFor(10, TimeUnit.SECONDS);
      return Files.exists(Path.of(share, "extension", "vector.control"));
    } catch (Exception e) {
      return false;
    }
  }

  /** .devdb/pgdata in the repository; as root it must be reachable by the postgres user, else /var/tmp. */
  Path dataDir() {
    Path base = dir != null ? dir : MigrationSource.checkoutRoot() != null ? MigrationSource.checkoutRoot().resolve(".devdb")
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

  static boolean dockerAnswers() {
    try {
      Process p = new ProcessBuilder("docker", "info", "--format", "{{.ServerVersion}}").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

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
      try (InputStream in = devdb.class.getResourceAsStream("/compose.yaml")) { Files.copy(in, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING); }
    }
    List<String> cmd = new java.util.ArrayList<>(List.of("docker", "compose", "-p", "kodiai-db", "-f", file.toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).inheritIO().start();
    if (p.waitFor() != 0) throw new Failure(1, "docker compose " + String.join(" ", args) + " failed (see above)");
  }

  // ------------------------------------------------------------------ common

  /** Creates the kodiai database if needed, applies every migration, prints DATABASE_URL=. */
  int finishUp(String url) throws Exception {
    String admin = DbClient.withDatabase(url, "postgres");
    try (Connection c = DbClient.open(admin); Statement st = c.createStatement()) {
      ResultSet rs = st.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + DATABASE + "'");
      if (!rs.next()) { st.execute("CREATE DATABASE " + DATABASE); log("created database " + DATABASE); }
    }
    int applied = migrate.runMigrations(url, null, null);
    log(applied == 0 ? "migrations: up to date" : "migrations: applied " + applied);
    System.out.println("DATABASE_URL=" + url);
    return 0;
  }

  int status(boolean docker) throws Exception {
    String url = url(docker);
    boolean running = docker || new LocalCluster(dataDir(), port).running();
    System.out.println("mode: " + (docker ? "docker compose" : "local cluster in " + dataDir()));
    if (!running) { System.out.println("state: stopped (start it with: ./jbang devdb@kodiai up)"); return 0; }
    try (Connection c = migrate.connectForMigrations(url)) {
      Migrator m = new Migrator(c, MigrationSource.load(null), System.out);
      var entries = m.status();
      System.out.println("state: running at " + DbClient.parse(url).redacted());
      for (var e : entries) System.out.printf("  %03d %-36s %s%n", e.version(), e.name(), e.state().name().toLowerCase().replace('_', ' '));
      System.out.println("migrations: " + entries.stream().filter(e -> e.state() == Migrator.State.APPLIED).count() + " applied of " + entries.size());
    } catch (DbClient.DbException e) {
      System.out.println("state: server running, database not reachable: " + e.getMessage() + " (run: ./jbang devdb@kodiai up)");
    }
    return 0;
  }

  static void log(String s) { System.err.println("devdb: " + s); }

  public static void main(String[] args) {
    CommandLine cl = Cli.withSafeUsageErrors(new CommandLine(new devdb())).setExecutionExceptionHandler((e, cmd, parsed) -> {
      int code = e instanceof Failure f ? f.code : e instanceof Migrator.MigrationException m ? m.exitCode == 2 ? 2 : 1 : 1;
      System.err.println("devdb: error: " + DbClient.redact(e.getMessage()));
      if (((devdb) cmd.getCommand()).verbose) e.printStackTrace();
      return code;
    });
    System.exit(cl.execute(args));
  }
}
