// Shared source of the importer (//SOURCES importer/ImportFailure.java; needs cli/): the one
// failure type of `import`, carrying its exit code (cli/ExitCode.java) to the one handler
// in cli/Cli.java. Messages are one line each, name file, table, id and column where there
// is one, and say how to fix what can be fixed.

final class ImportFailure extends Failure {
  private ImportFailure(int exitCode, String message, Throwable cause) { super(exitCode, message, cause); }

  /** The source file is unreadable, of the wrong kind, or holds data the target cannot take (9). */
  static ImportFailure sourceData(String message) { return new ImportFailure(ExitCode.SOURCE_DATA, message, null); }
  /** The target is not migrated far enough, or lacks what the import needs (10). */
  static ImportFailure targetNotReady(String message) { return new ImportFailure(ExitCode.TARGET_NOT_READY, message, null); }
  /** A writer held the SQLite file locked past --lock-timeout (4). */
  static ImportFailure lockTimeout(String message) { return new ImportFailure(ExitCode.LOCK_TIMEOUT, message, null); }
  /** The import ran and failed (verification mismatch, an insert refused): nothing committed (1). */
  static ImportFailure failed(String message, Throwable cause) { return new ImportFailure(ExitCode.FAILED, message, cause); }
  /** A bad option or a missing input file (2). */
  static ImportFailure usage(String message) { return new ImportFailure(ExitCode.USAGE, message, null); }
  /** A local file problem: permissions, a folder SQLite cannot use (8). */
  static ImportFailure local(String message, Throwable cause) { return new ImportFailure(ExitCode.LOCAL_ERROR, message, cause); }
}
