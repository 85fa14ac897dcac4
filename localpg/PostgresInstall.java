// Shared source: the one place that knows where the installed PostgreSQL server binaries
// are, whether pgvector is installed beside them, and how to install both
// (scripts/install-postgres.sh). Used by LocalCluster (tests, bench) and devdb.
// A given major version (the tests' KODIAI_TEST_PG) is Debian's /usr/lib/postgresql/N/bin,
// or the build scripts/install-postgres-cached.sh keeps outside the repository (same places).

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.time.Duration;
import java.util.stream.Stream;

final class PostgresInstall {
  private PostgresInstall() {}

  static final Duration INSTALL_TIMEOUT = Duration.ofMinutes(30);
  static final String INSTALL_HINT =
      "run `sudo scripts/install-postgres.sh` (Debian 12/13),"
      + " or install PostgreSQL >= 15 with pgvector >= 0.8 yourself";

  /** The server binaries: $KODIAI_PG_BINDIR, else `pg_config --bindir`, else the newest /usr/lib/postgresql/N/bin. */
  static Path binDir() {
    String env = System.getenv("KODIAI_PG_BINDIR");
    if (env != null && !env.isBlank()) {
      Path dir = Path.of(env);
      if (!Files.isExecutable(dir.resolve("initdb")))
        throw new LocalPgException(ExitCode.MISSING_TOOL, "KODIAI_PG_BINDIR=" + dir + " has no initdb");
      return dir;
    }
    String out = output("pg_config", "--bindir");
    if (out != null && Files.isExecutable(Path.of(out, "initdb"))) return Path.of(out);
    Path debian = Path.of("/usr/lib/postgresql");
    if (Files.isDirectory(debian)) {
      try (Stream<Path> s = Files.list(debian)) {
        var newest = s
            .filter(d -> d.getFileName().toString().matches("\\d+") && Files.isExecutable(d.resolve("bin/initdb")))
            .max(Comparator.comparingInt(d -> Integer.parseInt(d.getFileName().toString())));
        if (newest.isPresent()) return newest.get().resolve("bin");
      } catch (IOException ignored) {
        // fall through to the error below
      }
    }
    throw new LocalPgException(ExitCode.MISSING_TOOL,
        "PostgreSQL server binaries (initdb, pg_ctl) not found: " + INSTALL_HINT);
  }

  /**
   * The server binaries of major version `major`: Debian's /usr/lib/postgresql/N/bin, else the
   * cached build of scripts/install-postgres-cached.sh ($KODIAI_PG_CACHE, /var/cache/kodiai-db
   * or ~/.cache/kodiai-db, folder pgN); MISSING_TOOL naming the install command when neither is there.
   */
  static Path binDir(int major) {
    List<Path> candidates = new ArrayList<>(List.of(Path.of("/usr/lib/postgresql", "" + major, "bin")));
    String cache = System.getenv("KODIAI_PG_CACHE");
    if (cache != null && !cache.isBlank()) candidates.add(Path.of(cache, "pg" + major, "bin"));
    candidates.add(Path.of("/var/cache/kodiai-db", "pg" + major, "bin"));
    String xdg = System.getenv("XDG_CACHE_HOME");
    candidates.add((xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache"))
        .resolve("kodiai-db").resolve("pg" + major).resolve("bin"));
    for (Path bin : candidates) {
      boolean cached = !bin.startsWith("/usr/lib/postgresql");
      if (Files.isExecutable(bin.resolve("initdb")) && (!cached || Files.exists(bin.resolveSibling(".complete"))))
        return bin;
    }
    throw new LocalPgException(ExitCode.MISSING_TOOL, "PostgreSQL " + major
        + " is not installed: run `sudo scripts/install-postgres.sh "
        + major + "` (Debian 12/13; it builds 17 into a cache on Debian 12), or pick another version");
  }

  /** True when the server binaries are there and pgvector is installed for them. */
  static boolean ready() {
    try {
      String share = output(binDir().resolve("pg_config").toString(), "--sharedir");
      return share != null && Files.exists(Path.of(share, "extension", "vector.control"));
    } catch (LocalPgException e) {
      return false;
    }
  }

  /**
   * Makes sure PostgreSQL and pgvector are installed: runs `script` (scripts/install-postgres.sh,
   * null when not in a checkout) if allowed, else says how; MISSING_TOOL when it cannot.
   */
  static void ensure(boolean mayInstall, Path script, java.util.function.Consumer<String> log)
      throws IOException, InterruptedException {
    if (ready()) return;
    if (!mayInstall || script == null || !Files.exists(script))
      throw new LocalPgException(ExitCode.MISSING_TOOL,
          "PostgreSQL >= 15 with pgvector >= 0.8 is needed: " + INSTALL_HINT);
    log.accept("PostgreSQL or pgvector is missing: running " + script);
    // Its output is the user's to watch (apt, a build of PostgreSQL 17 on Debian 12); half an hour is ample.
    ChildProcess.Result r = ChildProcess.of("bash", script.toString()).inheritOutput().run(INSTALL_TIMEOUT);
    if (r.end() == ChildProcess.End.TIMED_OUT)
      throw new LocalPgException(ExitCode.MISSING_TOOL, script.getFileName() + " did not finish within "
          + INSTALL_TIMEOUT.toMinutes() + " min (stopped it): " + INSTALL_HINT);
    if (!r.ok() || !ready())
      throw new LocalPgException(ExitCode.MISSING_TOOL,
          "installing PostgreSQL/pgvector failed (see above): " + INSTALL_HINT);
  }

  /** The trimmed output of a command that exits 0 within 10 s; null otherwise. */
  private static String output(String... cmd) {
    try {
      ChildProcess.Result r = ChildProcess.of(cmd).mergeErrors().run(Duration.ofSeconds(10));
      return r.ok() ? r.stdout().trim() : null;
    } catch (ChildProcess.Failed e) {
      return null; // not installed
    }
  }
}
