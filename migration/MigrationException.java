// Shared source: the one failure type of the migration engine. Its exit code says which
// kind (cli/ExitCode.java): FAILED (a migration failed), USAGE, LOCK_TIMEOUT, VALIDATION
// (files disagree with the database or with the naming rules; nothing ran).

final class MigrationException extends Failure {
  MigrationException(int exitCode, String message) { super(exitCode, message); }
  MigrationException(int exitCode, String message, Throwable cause) { super(exitCode, message, cause); }
}
