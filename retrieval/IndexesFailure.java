// Shared source (retrieval/*.java): why `indexes` stopped, as kinds carrying the key values.
// Raised where the failure is known (indexes.java, RepoIndexes); cli/ prints describe().

final class IndexesFailure extends Failure {
  sealed interface Kind extends Failure.Kind permits BadOption, Pooler, NotMigrated, LockTimeout, BuildFailed {}

  IndexesFailure(Kind kind) { super(kind); }

  IndexesFailure(Kind kind, Throwable cause) { super(kind, cause); }

  /** An option out of its range: `rule` says what it must be. */
  record BadOption(String option, String rule) implements Kind {
    public int exitCode() { return ExitCode.USAGE; }
    public String describe() { return option + " must " + rule; }
  }

  /** The URL names a connection pooler; a build needs one session of its own. */
  record Pooler() implements Kind {
    public int exitCode() { return ExitCode.POOLER; }
    public String describe() {
      return "the URL names a connection pooler; index builds need one session: set MIGRATE_DATABASE_URL to"
          + " PostgreSQL's own address";
    }
  }

  /** The schema lacks what the indexes are built on (`missing`). */
  record NotMigrated(String missing) implements Kind {
    public int exitCode() { return ExitCode.TARGET_NOT_READY; }
    public String describe() { return "learning_memories has no " + missing + ": run ./jbang migrate@kodiai up first"; }
  }

  /** Another sync held the advisory lock for `seconds`. */
  record LockTimeout(int seconds) implements Kind {
    public int exitCode() { return ExitCode.LOCK_TIMEOUT; }
    public String describe() {
      return "another indexes sync held the lock for " + seconds + " s; try again when it has finished, or raise"
          + " --lock-timeout";
    }
  }

  /** The server refused a step (the half-built index is gone again): its SQL state and first line. */
  record BuildFailed(RepoIndexes.Action action, String index, String repo, String sqlState, String server)
      implements Kind {
    public int exitCode() { return ExitCode.FAILED; }
    public String describe() {
      return action.name().toLowerCase(java.util.Locale.ROOT) + " of " + index + " (repo " + repo + ") failed: "
          + server + " (SQLSTATE " + sqlState + "); nothing is left half-built, run sync again";
    }
  }
}
