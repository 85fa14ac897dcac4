///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS org.postgresql:postgresql:42.7.8
//DEPS com.pgvector:pgvector:0.1.6
//DEPS com.zaxxer:HikariCP:6.3.0
//DEPS info.picocli:picocli:4.7.7
//DEPS org.slf4j:slf4j-nop:2.0.17
//SOURCES cli/Cli.java DbClient.java localpg/LocalCluster.java migration/MigrationSource.java migration/Migrator.java migration/AdvisoryLock.java migrate.java
//SOURCES bench/BenchData.java bench/BenchScratch.java bench/BenchIndexes.java bench/BenchJson.java bench/BenchVocabulary.java bench/BenchRetrieval.java bench/BenchHybrid.java bench/BenchMigrate.java
//FILES migrations/=migrations/*.sql
//DESCRIPTION Benchmarks of kodiai's database: retrieval (HNSW recall and latency per setting), hybrid (RRF), migrate.
//JAVA_OPTIONS -Xmx2g -XX:+UseSerialGC

// Usage: ./jbang bench@kodiai retrieval [--rows N] [--url ADMIN_URL] [--json FILE] ...
//        ./jbang bench@kodiai hybrid    [same options]
// Without --url (or KODIAI_BENCH_DATABASE_URL / DATABASE_URL) a throwaway local
// cluster is started and deleted at the end. Exit 0 done, 1 failed, 2 usage.

import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Benchmarks of kodiai's PostgreSQL schema (see docs/retrieval.md).",
    subcommands = {BenchRetrieval.class, BenchHybrid.class, BenchMigrate.class})
public class bench implements Runnable {
  @Override public void run() { new CommandLine(this).usage(System.out); }

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs one bench command in-process (the tests call this); returns the exit code. */
  static int execute(String... args) {
    CommandLine cl = Cli.withSafeUsageErrors(new CommandLine(new bench()));
    cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
      String m = e.getMessage() == null ? e.toString() : e.getMessage();
      cmd.getErr().println("bench " + cmd.getCommandName() + ": failed: " + DbClient.redact(m));
      return 1;
    });
    return cl.execute(args);
  }
}
