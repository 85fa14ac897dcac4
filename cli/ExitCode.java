// Shared source (//SOURCES cli/ExitCode.java; no dependencies): the one table of exit
// codes of every kodiai-db command. The same number means the same kind of failure in
// every command; each command's --help lists the ones it can return, README.md the table.

final class ExitCode {
  private ExitCode() {}

  static final int OK = 0;
  static final int FAILED = 1;           // the operation failed: a migration, an az step, an import check, devdb start
  static final int USAGE = 2;            // bad option, input or URL; nothing changed
  static final int CANNOT_CONNECT = 3;   // the database is unreachable or refused the login
  // another migration runner held the lock too long; import: a writer held the SQLite file
  static final int LOCK_TIMEOUT = 4;
  static final int VALIDATION = 5;       // files disagree with the database; nothing ran
  static final int MISSING_TOOL = 6;     // az, PostgreSQL or pgvector is not installed
  static final int NOT_LOGGED_IN = 7;    // az has no usable login
  static final int LOCAL_ERROR = 8;      // local files or permissions
  // import: the SQLite source is unreadable, of the wrong kind, or holds data the target refuses
  static final int SOURCE_DATA = 9;
  static final int TARGET_NOT_READY = 10; // import: the target is not migrated far enough
  // needs a direct connection, but the URL names a connection pooler; nothing changed
  static final int POOLER = 11;
  // 130/143: interrupted by SIGINT/SIGTERM.
}
