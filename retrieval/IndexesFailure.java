// Shared source (retrieval/*.java): why `indexes` stopped, as kinds carrying the key values.
// Raised where the failure is known (indexes.java, RepoIndexes); cli/ prints describe().

final class IndexesFailure extends Failure {
  sealed interface Kind extends Failure.Kind permits BadOption, Pooler, NotMigrated, LockTimeout, BuildFailed,
      NotConfirmed, NotPartitioned, NothingToMove, TableLocked, MoveFailed, PartitionIndexFailed {}

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

  // ----------------------------------------------------------------------------- indexes move

  /** `move` without --maintenance-window: it locks the table, so it must be asked for knowingly. */
  record NotConfirmed() implements Kind {
    public int exitCode() { return ExitCode.USAGE; }
    public String describe() {
      return "indexes move locks learning_memories (ACCESS EXCLUSIVE) while it moves a repo: the bot's memory reads"
          + " and writes wait (0.4-1 s a repo of 5,000 rows at 100,000-300,000 memories, growing with the default"
          + " partition); run it in a maintenance window and pass --maintenance-window (nothing changed)";
    }
  }

  /** learning_memories is not partitioned (before migration 070): there is no default partition to move out of. */
  record NotPartitioned() implements Kind {
    public int exitCode() { return ExitCode.TARGET_NOT_READY; }
    public String describe() {
      return "learning_memories is not partitioned by repo (migration 070): run ./jbang migrate@kodiai up first";
    }
  }

  /** A named repo has no row in the default partition (misspelt, or already moved). */
  record NothingToMove(String repo) implements Kind {
    public int exitCode() { return ExitCode.USAGE; }
    public String describe() {
      return "repo " + repo + " has no row in " + RepoPartitions.DEFAULT + " (nothing changed)";
    }
  }

  /** Another session held learning_memories longer than the move waits for it. */
  record TableLocked(String repo, long waitedMs) implements Kind {
    public int exitCode() { return ExitCode.LOCK_TIMEOUT; }
    public String describe() {
      return "learning_memories stayed locked by another session for " + waitedMs + " ms (--table-lock-timeout):"
          + " repo " + repo + " not moved, nothing changed for it; stop the bot (maintenance window) and run again";
    }
  }

  /** The server refused a step of a repo's move (rolled back): its SQL state and first line. */
  record MoveFailed(String repo, String sqlState, String server) implements Kind {
    public int exitCode() { return ExitCode.FAILED; }
    public String describe() {
      return "moving repo " + repo + " failed: " + server + " (SQLSTATE " + sqlState + "); rolled back, nothing"
          + " changed for it";
    }
  }

  /** The repo was moved, but its partition's HNSW index could not be built (none is left half-built). */
  record PartitionIndexFailed(String repo, String index, String sqlState, String server) implements Kind {
    public int exitCode() { return ExitCode.FAILED; }
    public String describe() {
      return "repo " + repo + " was moved, but building " + index + " failed: " + server + " (SQLSTATE " + sqlState
          + "); run indexes move --maintenance-window " + repo + " again to build it (online)";
    }
  }
}
