///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES cli/*.java process/*.java DbClient.java migration/*.java localpg/*.java bench/*.java importer/*.java
//SOURCES retrieval/*.java
//FILES migrations/=migrations/*.sql
//FILES migrations/from-kodiai/=migrations/from-kodiai/*.sql
//DESCRIPTION Benchmarks of kodiai's database: retrieval (HNSW recall and latency per setting), hybrid (RRF), migrate, import.
//JAVA_OPTIONS -Xmx2g -XX:+UseSerialGC

// Usage: ./jbang bench@kodiai retrieval [--rows N] [--url ADMIN_URL] [--json FILE] ...
//        ./jbang bench@kodiai import    [--memories N] [--url ADMIN_URL] [--json FILE]
//        ./jbang bench@kodiai hybrid    [same options]
// Without --url (or KODIAI_BENCH_DATABASE_URL / DATABASE_URL) a throwaway local
// cluster is started and deleted at the end. Exit codes: see --help.

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "bench", mixinStandardHelpOptions = true, version = "bench 1.0",
    description = "Benchmarks of kodiai's PostgreSQL schema (see docs/retrieval.md).",
    subcommands = {BenchRetrieval.class, BenchHybrid.class, BenchMigrate.class, BenchImport.class,
        BenchImportHnsw.class,
        BenchOnline.class, BenchAdopt.class},
    footerHeading = "%nExit codes:%n",
    footer = {"  0  done", "  1  failed (the message says why)", "  2  usage error",
        "  3  the server of --url does not answer",
        "  6  no --url and no PostgreSQL with pgvector installed for a throwaway cluster",
        "(the same numbers mean the same in every kodiai-db command: see README.md)",
        "%nEnvironment: KODIAI_BENCH_DATABASE_URL, then DATABASE_URL (the admin URL when --url is not given; with",
        "neither, a throwaway cluster from the installed binaries: KODIAI_PG_BINDIR, default pg_config --bindir)."})
public class bench implements Runnable {
  @Spec CommandSpec spec;

  @Override public void run() { spec.commandLine().usage(spec.commandLine().getOut()); }

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs one bench command in-process (the tests call this); returns the exit code. */
  static int execute(String... args) {
    return Cli.commandLine(new bench(), DbClient::redact).execute(args);
  }
}
