// Shared source (//SOURCES cli/Failure.java; no dependencies): the base of every failure
// type of kodiai-db. Each capability has one (DbClient.DbException, MigrationException,
// AzureException, LocalPgException), and each carries the exit code it ends a command
// with, so the one handler in cli/Cli.java needs no table of its own.

class Failure extends RuntimeException {
  final int exitCode; // one of cli/ExitCode.java

  Failure(int exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
  }

  Failure(int exitCode, String message, Throwable cause) {
    super(message, cause);
    this.exitCode = exitCode;
  }
}
