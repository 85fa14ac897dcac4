// Shared source (//SOURCES localpg/LocalCluster.java): a PostgreSQL cluster run from the
// installed server binaries (found by PostgresInstall), for the test harness and bench
// (throwaway) and devdb (kept).
// initdb and pg_ctl refuse to run as root, so as root every server command runs
// as the `postgres` user through runuser, and the data folder belongs to it.

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

final class LocalCluster {
  static final String OS_USER_WHEN_ROOT = "postgres";

  final Path dataDir;   // the cluster's PGDATA
  final int port;       // TCP port on 127.0.0.1; no Unix socket, so deep paths do not matter
  final Path binDir;    // where initdb, pg_ctl and postgres live

  LocalCluster(Path dataDir, int port) { this(dataDir, port, PostgresInstall.binDir()); }

  /** A cluster run by the binaries in `binDir` (e.g. PostgresInstall.binDir(17)). */
  LocalCluster(Path dataDir, int port, Path binDir) {
    this.dataDir = dataDir.toAbsolutePath();
    this.port = port;
    this.binDir = binDir;
  }

  static boolean runningAsRoot() {
    return "root".equals(System.getProperty("user.name"));
  }

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException("no free TCP port on 127.0.0.1: " + e.getMessage());
    }
  }

  /** A cluster made by temporary(): its admin URL (with the password), and how to remove it all. */
  record Temporary(LocalCluster cluster, String adminUrl) {
    /** Stops the server at once and deletes its data and the temporary folder. */
    void discard() throws IOException, InterruptedException {
      cluster.stop(true);
      cluster.delete();
      Files.deleteIfExists(cluster.dataDir.getParent());
    }
  }

  /**
   * A started cluster in a new temporary folder named `prefix`..., on a free port, whose
   * `superuser` has a random password. `throwaway` trades durability for speed. When it cannot
   * start, nothing is left behind and the error carries the server log's last lines.
   */
  static Temporary temporary(String prefix, String superuser, boolean throwaway)
      throws IOException, InterruptedException {
    return temporary(prefix, superuser, throwaway, PostgresInstall.binDir());
  }

  /** The same with the binaries in `binDir` (a chosen major version). */
  static Temporary temporary(String prefix, String superuser, boolean throwaway, Path binDir)
      throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory(prefix);
    // the server user must reach it
    if (runningAsRoot()) Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
    LocalCluster cluster = new LocalCluster(dir.resolve("data"), freePort(), binDir);
    String password = HexFormat.of().formatHex(new SecureRandom().generateSeed(12));
    Temporary t = new Temporary(cluster, cluster.url(superuser, password, "postgres"));
    try {
      cluster.init(superuser, password, throwaway);
      cluster.start();
      return t;
    } catch (IOException | InterruptedException | RuntimeException e) {
      String log = cluster.logTail();
      t.discard();
      if (log.isEmpty()) throw e;
      throw new IOException(e.getMessage() + " | server log: " + log.replace('\n', ' '), e);
    }
  }

  boolean initialized() { return Files.exists(dataDir.resolve("PG_VERSION")); }

  /**
   * Turns TLS on (takes effect at the next start): the certificate chain and its private key (PEM) go into
   * the data folder, owner-only and the server user's, as PostgreSQL demands of a key file.
   */
  void enableTls(String certificatePem, String privateKeyPem) throws IOException {
    for (var f : java.util.Map.of("server.crt", certificatePem, "server.key", privateKeyPem).entrySet()) {
      Path file = dataDir.resolve(f.getKey());
      Files.writeString(file, f.getValue());
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
      giveToServerUser(file);
    }
    Path conf = dataDir.resolve("postgresql.conf");
    writeAsServerUser(conf, Files.readString(conf)
        + "ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n");
  }

  /**
   * initdb with `superuser` as the cluster's superuser, who logs in over TCP with
   * `password` (scram-sha-256). `throwaway` trades durability for speed.
   */
  void init(String superuser, String password, boolean throwaway) throws IOException, InterruptedException {
    Files.createDirectories(dataDir);
    Files.setPosixFilePermissions(dataDir, PosixFilePermissions.fromString("rwx------"));
    giveToServerUser(dataDir);
    // The password reaches initdb through a file only the server user can read, never argv.
    Path pwfile = Files.createTempFile(dataDir.getParent(), ".pw", "");
    try {
      Files.setPosixFilePermissions(pwfile, PosixFilePermissions.fromString("rw-------"));
      Files.writeString(pwfile, password + "\n");
      giveToServerUser(pwfile);
      run(60, binDir.resolve("initdb").toString(), "-D", dataDir.toString(), "-U", superuser, "-E", "UTF8",
          "--no-locale", "--auth-local=peer", "--auth-host=scram-sha-256", "--pwfile=" + pwfile, "--no-sync");
    } finally {
      Files.deleteIfExists(pwfile);
    }
    StringBuilder conf = new StringBuilder("\n# kodiai-db\n")
        .append("listen_addresses = '127.0.0.1'\n")
        .append("port = ").append(port).append('\n')
        .append("unix_socket_directories = ''\n")
        .append("max_connections = 200\n");
    if (throwaway) conf.append("fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n");
    Path confFile = dataDir.resolve("postgresql.conf");
    writeAsServerUser(confFile, Files.readString(confFile) + conf);
  }

  /**
   * Running means: postmaster.pid names this cluster's own server. A pid file left by a crash may
   * name a PID since reused by another program; pg_ctl would call that "running", and stop would
   * signal it, so the PID's command line is checked first.
   */
  boolean running() {
    if (!initialized()) return false;
    if (stalePid() > 0) return false;
    try {
      return runStatus(binDir.resolve("pg_ctl").toString(), "status", "-D", dataDir.toString()) == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  /** The PID of postmaster.pid when it names a live process that is not this cluster's server; 0 otherwise. */
  long stalePid() {
    long pid;
    try {
      List<String> lines = Files.readAllLines(dataDir.resolve("postmaster.pid"));
      pid = lines.isEmpty() ? 0 : Long.parseLong(lines.get(0).strip());
    } catch (IOException | NumberFormatException e) {
      return 0; // no pid file (or one pg_ctl will judge itself)
    }
    if (pid <= 0 || !Files.isDirectory(Path.of("/proc/self"))) return 0; // no /proc: leave it to pg_ctl
    try {
      return isOwnPostmaster(pid) ? 0 : pid;
    } catch (IOException e) {
      return 0; // no such process: pg_ctl sees the file as stale by itself
    }
  }

  /**
   * Whether `pid` is this cluster's postmaster: its argv is `.../postgres -D DATADIR` (the program named
   * exactly postgres or postmaster, and -D naming this data folder), and, where /proc lets us see it, its working
   * folder is this data folder (the postmaster enters it at start). Any other process, including another
   * cluster's postgres, is not ours. IOException: no such process.
   */
  boolean isOwnPostmaster(long pid) throws IOException {
    Path proc = Path.of("/proc", Long.toString(pid));
    List<String> argv =
        List.of(new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8).split("\0"));
    if (argv.isEmpty()) return false;
    String program = Path.of(argv.get(0)).getFileName() == null ? "" : Path.of(argv.get(0)).getFileName().toString();
    int d = argv.indexOf("-D");
    boolean argvOurs = (program.equals("postgres") || program.equals("postmaster"))
        && d >= 0 && d + 1 < argv.size()
        && Path.of(argv.get(d + 1)).toAbsolutePath().normalize().equals(dataDir.normalize());
    if (!argvOurs) return false;
    try {
      return Files.readSymbolicLink(proc.resolve("cwd")).equals(dataDir.toRealPath());
    } catch (java.nio.file.AccessDeniedException e) {
      return true; // another user's process whose folder we may not see: argv has to do
    }
  }

  /** Whether the server user (as root) may enter `dir`: access(2) also checks every folder above it. */
  static boolean serverUserCanEnter(Path dir) {
    try {
      return runStatus("test", "-x", dir.toAbsolutePath().toString()) == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  /** The PostgreSQL major version that made the data folder (PG_VERSION), and the binaries' one. */
  String dataVersion() throws IOException { return Files.readString(dataDir.resolve("PG_VERSION")).strip(); }

  String binariesVersion() throws IOException, InterruptedException {
    String out = ChildProcess.of(binDir.resolve("pg_ctl").toString(), "--version").mergeErrors()
        .run(Duration.ofSeconds(30)).stdout();
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\) (\\d+)").matcher(out);
    return m.find() ? m.group(1) : out.strip();
  }

  void start() throws IOException, InterruptedException { startWith(List.of()); }

  /**
   * Starts the server through `launcher`, a command that runs the rest of its arguments (e.g. one that
   * first enters a memory cgroup and pins a CPU: the postmaster and every backend it forks inherit both).
   */
  void startWith(List<String> launcher) throws IOException, InterruptedException {
    if (running()) return;
    if (initialized() && !dataVersion().equals(binariesVersion())) {
      throw new LocalPgException(ExitCode.FAILED, "the cluster in " + dataDir
          + " was made by PostgreSQL " + dataVersion()
          + ", but the server binaries found (" + binDir + ") are PostgreSQL " + binariesVersion()
          + ": point KODIAI_PG_BINDIR at PostgreSQL " + dataVersion()
          + "'s bin folder, or start afresh (devdb down --purge deletes its data)");
    }
    long stale = stalePid();
    // the server would refuse to start beside it
    if (stale > 0) Files.deleteIfExists(dataDir.resolve("postmaster.pid"));
    String[] cmd = {binDir.resolve("pg_ctl").toString(), "start", "-D", dataDir.toString(), "-w", "-t", "60",
        "-l", logFile().toString()};
    List<String> full = new ArrayList<>(launcher);
    full.addAll(asServerUser(cmd));
    runCommand(90, full, cmd);
  }

  /** Stops the server: `immediate` for throwaway clusters, `fast` (clean shutdown) otherwise. */
  void stop(boolean immediate) throws IOException, InterruptedException {
    if (!running()) return;
    run(90, binDir.resolve("pg_ctl").toString(), "stop", "-D", dataDir.toString(), "-w",
        "-m", immediate ? "immediate" : "fast");
  }

  void delete() throws IOException {
    if (!Files.exists(dataDir)) return;
    try (Stream<Path> s = Files.walk(dataDir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    }
  }

  String url(String user, String password, String database) {
    return DbClient.url(user, password, "127.0.0.1", port, database);
  }

  /** The port in this cluster's postgresql.conf (the last `port = N`), or -1 when there is none. */
  static int configuredPort(Path dataDir) {
    try {
      int found = -1;
      for (String line : Files.readAllLines(dataDir.resolve("postgresql.conf"))) {
        var m = java.util.regex.Pattern.compile("^\\s*port\\s*=\\s*(\\d+)").matcher(line);
        if (m.find()) found = Integer.parseInt(m.group(1));
      }
      return found;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** Moves a stopped cluster to `newPort`: the port line that init() wrote is rewritten. */
  void setPort(int newPort) throws IOException {
    Path conf = dataDir.resolve("postgresql.conf");
    String text = Files.readString(conf).replaceAll("(?m)^port = \\d+$", "port = " + newPort);
    writeAsServerUser(conf, text);
  }

  /** The port a running server listens on (line 4 of postmaster.pid, whose process is alive), or -1. */
  int runningPort() { return runningPort(dataDir); }

  static int runningPort(Path dataDir) {
    try {
      List<String> lines = Files.readAllLines(dataDir.resolve("postmaster.pid"));
      boolean alive = !lines.isEmpty()
          && ProcessHandle.of(Long.parseLong(lines.get(0).trim())).map(ProcessHandle::isAlive).orElse(false);
      return alive && lines.size() > 3 ? Integer.parseInt(lines.get(3).trim()) : -1; // a stale file: no server
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** Where the server writes its log (pg_ctl start -l). */
  Path logFile() { return dataDir.resolve("server.log"); }

  /** The tail of the server log, for error messages when start fails. */
  String logTail() {
    try {
      List<String> lines = Files.readAllLines(dataDir.resolve("server.log"));
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
    } catch (IOException e) {
      return "";
    }
  }

  // -------------------------------------------------------------- plumbing

  private static List<String> asServerUser(String... cmd) {
    List<String> full = new ArrayList<>();
    if (runningAsRoot()) full.addAll(List.of("runuser", "-u", OS_USER_WHEN_ROOT, "--"));
    full.addAll(List.of(cmd));
    return full;
  }

  private static void giveToServerUser(Path p) throws IOException {
    if (!runningAsRoot()) return;
    UserPrincipal owner = p.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(OS_USER_WHEN_ROOT);
    Files.setOwner(p, owner);
  }

  private static void writeAsServerUser(Path file, String content) throws IOException {
    Files.writeString(file, content);
    giveToServerUser(file);
  }

  private static int runStatus(String... cmd) throws IOException, InterruptedException {
    ChildProcess.Result r = ChildProcess.of(asServerUser(cmd)).mergeErrors().run(Duration.ofSeconds(30));
    return r.end() == ChildProcess.End.EXITED ? r.exitCode() : -1;
  }

  private static void run(int timeoutSeconds, String... cmd) throws IOException, InterruptedException {
    runCommand(timeoutSeconds, asServerUser(cmd), cmd);
  }

  /**
   * Runs `full`; `cmd` (the tool and its arguments, without runuser or a launcher) names it in errors,
   * which are IOExceptions of one line (the callers add the server log where it helps).
   */
  private static void runCommand(int timeoutSeconds, List<String> full, String[] cmd) throws IOException {
    String tool = Path.of(cmd[0]).getFileName().toString();
    ChildProcess.Result r = ChildProcess.of(full).named(tool + " " + cmd[1]).mergeErrors()
        .run(Duration.ofSeconds(timeoutSeconds));
    if (r.ok()) return;
    if (r.end() == ChildProcess.End.TIMED_OUT) throw new IOException(tool + " did not finish within " + timeoutSeconds
        + " s");
    if (r.end() == ChildProcess.End.INTERRUPTED) throw new IOException(tool + " " + cmd[1] + " was interrupted");
    String tail = r.stdout().strip();
    int cut = Math.max(0, tail.length() - 600);
    throw new IOException(tool + " " + cmd[1] + " failed (exit " + r.exitCode() + "): "
        + tail.substring(cut).replace('\n', ' '));
  }
}
