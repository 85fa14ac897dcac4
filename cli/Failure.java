// Shared source (//SOURCES cli/Failure.java; no dependencies): the base of every failure
// type of kodiai-db. Each capability has one (DbClient.DbException, MigrationException,
// AzureException, LocalPgException, ...), and each carries the exit code it ends a command
// with, so the one handler in cli/Cli.java needs no table of its own.
//
// A failure is raised with its kind: an enum constant or a record carrying the key values
// (an exit status, an SQL state, a server name), never a finished sentence. Callers and tests
// match on the kind and read its values; the sentence is made from the kind only when cli/
// prints it (getMessage, called by Cli's handler), so wording can change without breaking
// anything that decides on it.

class Failure extends RuntimeException {
  /** What went wrong, as data. Each capability declares its kinds beside its failure type. */
  interface Kind {
    /** One of cli/ExitCode.java. */
    int exitCode();

    /** The user's line(s): called by getMessage only, that is when cli/ prints the failure. */
    String describe();
  }

  /** The kind of a failure that is still only a sentence (capabilities not given kinds yet). */
  record Text(int exitCode, String describe) implements Kind {}

  final int exitCode; // one of cli/ExitCode.java, the kind's
  private final Kind kind;

  Failure(Kind kind) {
    this(kind, null);
  }

  Failure(Kind kind, Throwable cause) {
    super(null, cause);
    this.kind = kind;
    this.exitCode = kind.exitCode();
  }

  Failure(int exitCode, String message) {
    this(new Text(exitCode, message));
  }

  Failure(int exitCode, String message, Throwable cause) {
    this(new Text(exitCode, message), cause);
  }

  /** What went wrong; tests assert this (and one of its values), not the sentence. */
  Kind kind() { return kind; }

  @Override public String getMessage() { return kind.describe(); }
}
