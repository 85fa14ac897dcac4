// Shared source: the one failure type of the migration engine, with its kinds. Each kind is
// raised where the failure is known and carries the key values (a file, a version, a line, an
// SQL state); its sentence (describe) is made only when cli/ prints it. The sentences are the
// ones docs/migrate.md quotes: change them there too.

import java.util.List;

final class MigrationException extends Failure {
  sealed interface Kind extends Failure.Kind permits Invalid, RollbackRefused, AdoptionStopped, NotMigrationTable,
      UnknownKodiaiSchema, InvalidFiles, BadFolder, NothingBundled, Unreadable, BadTarget, NoSuchFile, NotRecorded,
      NotBothAppliedAndFile, BadName, NoNextVersion, NoMigrationsFolder, NotKodiaiFolder, NoKodiaiMigration,
      LockTimeout, LockWaitEnded, ServerError, StatementFailed, CommitFailed, AfterApplying, ExtensionMissing,
      ConvertedDiffer, RowsChanged, Guard, Pooler,
      LostUnknown, Lost, Collision, Interrupted, NotStarted, RollbackInterrupted, DownRolledBack,
      NoTransactionFailed, DownNoTransactionFailed {}

  MigrationException(Kind kind) { super(kind); }

  MigrationException(Kind kind, Throwable cause) { super(kind, cause); }

  @Override Kind kind() { return (Kind) super.kind(); }

  // ------------------------------------------------------------ what validation finds (`validate`, `up`, `down`)

  /** One thing wrong between the files and _migrations; `validate` prints each on a line of its own. */
  sealed interface Problem permits Edited, FileMissing, Unfinished, UnfinishedDown, OutOfOrder, NoConversion,
      MixedRunners, MissingForRollback, NoDownFile, UnresolvedForRollback, DuplicateRow, ForeignRow, BadStatus {
    String describe();
  }

  /** An applied file whose checksum differs now. */
  record Edited(String file, int version) implements Problem {
    public String describe() {
      return file + " was edited after it was applied (checksum differs); restore it, or add a new migration for the"
          + " change (if the edit is harmless: migrate resolve " + version + " --accept-edit)";
    }
  }

  record FileMissing(String file) implements Problem {
    public String describe() { return file + " is applied but its file is missing; restore it from version control"; }
  }

  /** A non-transactional migration recorded as failed. */
  record Unfinished(String file, int version) implements Problem {
    public String describe() {
      return file + " did not finish (non-transactional, failed or interrupted); fix the database by hand, then run"
          + " `migrate resolve " + version + " --applied` (it is done) or `--rolled-back` (undone, retry it)";
    }
  }

  /** A non-transactional down file recorded as failed (its row carries the down file's name). */
  record UnfinishedDown(String row, String file, int version) implements Problem {
    public String describe() {
      return row + " (rolling back " + file.replace(".down.sql", ".sql") + ") did not finish (non-transactional,"
          + " failed or interrupted); fix the database by hand, then run `migrate resolve " + version
          + " --rolled-back` (it is undone) or `--applied` (it is back in place)";
    }
  }

  record OutOfOrder(String file, int newestApplied) implements Problem {
    public String describe() {
      return file + " is new but numbered below the newest applied migration (" + newestApplied + "); renumber it"
          + " above " + newestApplied;
    }
  }

  /** `migration` carries kodiai's `kodiaiFile`, which kodiai's runner applied, and no conversion exists. */
  record NoConversion(String migration, String kodiaiFile) implements Problem {
    public String describe() {
      return migration + " carries kodiai's " + kodiaiFile + ", which kodiai's runner already applied itself, and"
          + " there is no " + KodiaiFiles.FROM_KODIAI + "/" + kodiaiFile + " to convert kodiai's objects to"
          + " kodiai-db's; nothing ran";
    }
  }

  /** `migration` carries files kodiai's runner applied (`recorded`) and one it did not. */
  record MixedRunners(String migration, List<String> recorded, String notApplied) implements Problem {
    public String describe() {
      return migration + " carries kodiai's " + String.join(", ", recorded) + " (applied by kodiai's runner) and "
          + notApplied + " (not applied by it): convert all or none; apply " + notApplied
          + " with kodiai's runner first; nothing ran";
    }
  }

  record MissingForRollback(String name) implements Problem {
    public String describe() { return name + " is applied but its file is missing, so it cannot be rolled back"; }
  }

  record NoDownFile(String file) implements Problem {
    public String describe() { return file + " has no down file " + file.replace(".sql", ".down.sql"); }
  }

  record UnresolvedForRollback(String file) implements Problem {
    public String describe() { return file + " did not finish; resolve it first (see `migrate validate`)"; }
  }

  record DuplicateRow(String table, int version, String one, String other) implements Problem {
    public String describe() {
      return table + " has two rows for version " + version + " ('" + one + "' and '" + other
          + "'); delete the wrong one";
    }
  }

  record ForeignRow(String table, String name) implements Problem {
    public String describe() {
      return table + " has a row named '" + name + "' that is not a kodiai migration (NNN-name.sql with its"
          + " version): written by another tool or by hand? Delete that row if it is not kodiai's, or point --url at"
          + " kodiai's database";
    }
  }

  record BadStatus(String table, String name, String status) implements Problem {
    public String describe() {
      return table + " row '" + name + "' has status '" + status + "' (kodiai writes 'applied', 'failed' or"
          + " 'provided'); fix or delete that row";
    }
  }

  /** What stops `up` before anything runs; one line per problem. */
  record Invalid(List<Problem> problems) implements Kind {
    public int exitCode() { return ExitCode.VALIDATION; }
    public String describe() { return String.join("\n", problems.stream().map(Problem::describe).toList()); }
  }

  record RollbackRefused(List<Problem> problems) implements Kind {
    public int exitCode() { return ExitCode.VALIDATION; }
    public String describe() {
      return "nothing rolled back: " + String.join("; ", problems.stream().map(Problem::describe).toList());
    }
  }

  /** An adoption went as far as the conversions written so far and stopped before `before`. */
  record AdoptionStopped(String before, List<String> missing) implements Kind {
    public int exitCode() { return ExitCode.VALIDATION; }
    public String describe() {
      return "stopped before " + before + ": kodiai's runner applied kodiai files that kodiai-db has no"
          + " conversion (" + KodiaiFiles.FROM_KODIAI + "/<file>) for yet: " + String.join(", ", missing)
          + "; everything before it is applied, and `up` resumes there once they exist";
    }
  }

  record NotMigrationTable(String table, List<String> columns) implements Kind {
    public int exitCode() { return ExitCode.VALIDATION; }
    public String describe() {
      return table + " is not a kodiai migration table (its columns: " + String.join(", ", columns)
          + "; kodiai's has name, applied_at, version, checksum, status): another tool's? Point --url at kodiai's"
          + " database, or rename that table if the database is shared (ALTER TABLE " + table + " RENAME TO ...)";
    }
  }

  /** A database kodiai's runner built, but not as kodiai `commit` leaves it. */
  record UnknownKodiaiSchema(String commit, List<String> differences) implements Kind {
    public int exitCode() { return ExitCode.VALIDATION; }
    public String describe() {
      return "not a database of kodiai " + commit + " as its runner leaves it (" + differences.size() + " difference"
          + (differences.size() == 1 ? "" : "s") + "); nothing changed:\n  " + String.join("\n  ", differences);
    }
  }

  /** The migration files of `source` (a folder, "bundled migrations") break the naming or content rules. */
  record InvalidFiles(String source, List<String> problems) implements Kind {
    public int exitCode() { return ExitCode.VALIDATION; }
    public String describe() { return source + ": " + String.join("; ", problems); }
  }

  /** The --dir folder is not there (`why`: does not exist, is not a folder, a symbolic link to nothing). */
  record BadFolder(String dir, String why) implements Kind {
    public int exitCode() { return ExitCode.VALIDATION; }
    public String describe() { return "migrations folder " + dir + " " + why; }
  }

  record NothingBundled() implements Kind {
    public int exitCode() { return ExitCode.VALIDATION; }
    public String describe() { return "no migrations are bundled with this tool; pass --dir FOLDER"; }
  }

  /** A local file or folder could not be read; `advice` may be empty. */
  record Unreadable(String what, String reason, String advice) implements Kind {
    public int exitCode() { return ExitCode.LOCAL_ERROR; }
    public String describe() { return "cannot read " + what + ": " + reason + advice; }
  }

  // ------------------------------------------------------------ usage

  record BadTarget(int target) implements Kind {
    public int exitCode() { return ExitCode.USAGE; }
    public String describe() { return "the target version must be 0 or more"; }
  }

  record NoSuchFile(int version) implements Kind {
    public int exitCode() { return ExitCode.USAGE; }
    public String describe() { return "no migration file with version " + version; }
  }

  record NotRecorded(int version) implements Kind {
    public int exitCode() { return ExitCode.USAGE; }
    public String describe() { return "version " + version + " is not recorded as applied or failed"; }
  }

  record NotBothAppliedAndFile(int version) implements Kind {
    public int exitCode() { return ExitCode.USAGE; }
    public String describe() { return "version " + version + " is not both applied and present as a file"; }
  }

  record BadName(String name) implements Kind {
    public int exitCode() { return ExitCode.USAGE; }
    public String describe() { return "NAME must be lowercase letters, digits, '-' or '_', got '" + name + "'"; }
  }

  record NoNextVersion() implements Kind {
    public int exitCode() { return ExitCode.USAGE; }
    public String describe() {
      return "the newest migration has version " + Integer.MAX_VALUE + ", the largest there is; no version can"
          + " follow it (renumber that file if it was a mistake)";
    }
  }

  record NoMigrationsFolder() implements Kind {
    public int exitCode() { return ExitCode.USAGE; }
    public String describe() { return "no migrations folder here or above; pass --dir FOLDER"; }
  }

  record NotKodiaiFolder(String path, boolean exists) implements Kind {
    public int exitCode() { return ExitCode.USAGE; }
    public String describe() {
      return path + " is not a kodiai checkout nor its src/db/migrations folder"
          + (exists ? "" : " (it does not exist)");
    }
  }

  record NoKodiaiMigration(String dir) implements Kind {
    public int exitCode() { return ExitCode.USAGE; }
    public String describe() {
      return dir + " holds no kodiai migration (NNN-name.sql); pass a kodiai checkout or its src/db/migrations folder";
    }
  }

  // ------------------------------------------------------------ the lock

  record LockTimeout(long seconds, String holder) implements Kind {
    public int exitCode() { return ExitCode.LOCK_TIMEOUT; }
    public String describe() {
      return "gave up after " + seconds + " s waiting for the migration lock, held by " + holder
          + "; wait for that run to finish, or raise --lock-timeout";
    }
  }

  /** The wait ended early: a signal (`interrupted` false: the run's stop flag) or a thread interrupt. */
  record LockWaitEnded(boolean interrupted) implements Kind {
    public int exitCode() { return ExitCode.LOCK_TIMEOUT; }
    public String describe() {
      return (interrupted ? "interrupted" : "stopped") + " while waiting for the migration lock";
    }
  }

  /**
   * Through a pooler, the guard of a migration's transaction stopped it before anything changed: the lock was busy
   * (`busy`), else another runner recorded the migration meanwhile.
   */
  record Guard(boolean busy, String sqlState, String server) implements Kind {
    public int exitCode() { return ExitCode.LOCK_TIMEOUT; }
    public String describe() { return server; }
  }

  record Pooler(String what, String pooler) implements Kind {
    public int exitCode() { return ExitCode.POOLER; }
    public String describe() {
      return what + ", which needs one database session throughout, but " + pooler + " is a connection pooler"
          + " (PgBouncer or similar) that may switch sessions between transactions; nothing was changed: run it"
          + " against PostgreSQL directly, e.g. MIGRATE_DATABASE_URL set to the server's own address (Azure: port"
          + " 5432, not 6432)";
    }
  }

  // ------------------------------------------------------------ SQL that failed

  /** The server refused something outside any migration file. `server`: Migrator.serverMessage. */
  record ServerError(String sqlState, String server) implements Kind {
    public int exitCode() { return ExitCode.FAILED; }
    public String describe() { return server; }
  }

  /** A statement of `file` failed at `line`; the migration was rolled back (or, without a transaction, stopped). */
  record StatementFailed(String file, int line, String sqlState, String server) implements Kind {
    public int exitCode() { return ExitCode.FAILED; }
    public String describe() { return file + " line " + line + ": " + server; }
  }

  /** `file` failed when it committed (a deferred check, a timeout): no line to name. */
  record CommitFailed(String file, String sqlState, String server) implements Kind {
    public int exitCode() { return ExitCode.FAILED; }
    public String describe() { return file + " (when it committed): " + server; }
  }

  record AfterApplying(String file, String sqlState, String server) implements Kind {
    public int exitCode() { return ExitCode.FAILED; }
    public String describe() { return "after applying " + file + ": " + server; }
  }

  record ExtensionMissing(String extension, String neededBy) implements Kind {
    public int exitCode() { return ExitCode.FAILED; }
    public String describe() {
      String how = extension.equals("vector")
          ? "install pgvector >= 0.8 on the server (Debian: scripts/install-postgres.sh; Azure: add VECTOR to"
              + " azure.extensions, which `provision` does)"
          : "install it on the server";
      return "extension \"" + extension + "\" is not available on this server (needed by " + neededBy + "): " + how
          + "; nothing was applied";
    }
  }

  /** The foundation's conversion `file` would change the values of `tables` (its proof before the swap failed). */
  record ConvertedDiffer(String file, List<String> tables) implements Kind {
    public int exitCode() { return ExitCode.FAILED; }
    public String describe() {
      return file + ": the converted values of " + String.join(", ", tables) + " differ from kodiai's (checksums"
          + " printed above); nothing was swapped";
    }
  }

  /** An online conversion `file` changed the values of the grown `tables` (its proof after the step failed). */
  record RowsChanged(String file, List<String> tables) implements Kind {
    public int exitCode() { return ExitCode.FAILED; }
    public String describe() {
      return file + " changed the rows of " + String.join(", ", tables) + " (checksums differ, printed above)";
    }
  }

  /** What a run committed so far, for the messages that end it: how many, and the last one's file. */
  record Progress(int applied, String last) {
    String describe() {
      return applied == 0 ? "; this run applied nothing"
          : "; this run applied " + applied + " (the last: " + last + ")";
    }
  }

  /** The connection died during `first` .. `last` and no second connection could say what committed. */
  record LostUnknown(String first, String last, String why, Progress progress) implements Kind {
    public int exitCode() { return ExitCode.FAILED; }
    public String describe() {
      return "lost the connection to the database during " + first + (last.equals(first) ? "" : " .. " + last)
          + " (" + why + ") and cannot reconnect to see what committed" + progress.describe()
          + "; when the database is back, `migrate status` shows it; then run `migrate up`";
    }
  }

  /** The connection died; `during` (null: after the last committed) did not commit. */
  record Lost(String why, String during, Progress progress) implements Kind {
    public int exitCode() { return ExitCode.FAILED; }
    public String describe() {
      return "lost the connection to the database (" + why + ")"
          + (during == null ? " after the last migration committed" : " during " + during + ": it did not commit")
          + progress.describe() + "; run `migrate up` again to apply the rest";
    }
  }

  /** Another runner recorded `file` (kodiai's runner: `kodiaiFile`, else null) while this one applied it. */
  record Collision(String file, String kodiaiFile) implements Kind {
    public int exitCode() { return ExitCode.FAILED; }
    public String describe() {
      if (kodiaiFile != null)
        return file + " was rolled back (nothing lost): kodiai's runner recorded " + kodiaiFile + ", which it"
            + " carries, while it ran (the bot started meanwhile?); run `migrate up` again: it converts kodiai's"
            + " objects (" + KodiaiFiles.FROM_KODIAI + "/" + kodiaiFile + ") or says what is missing";
      return file + " was recorded by another runner while this one applied it (rolled back here, nothing lost):"
          + " two runners worked at once, so the migration lock did not hold (a transaction pooler such as PgBouncer"
          + " does not keep session advisory locks; connect directly); run `migrate status`";
    }
  }

  // ------------------------------------------------------------ signals

  /**
   * SIGTERM/SIGINT (`signal`, exit `exitCode`) stopped the run: before `before` committed (null: between
   * migrations), or with `detail` (null: none); `rest`: tell to run `up` again.
   */
  record Interrupted(String signal, int exitCode, String before, String detail, Progress progress, boolean rest)
      implements Kind {
    public String describe() {
      return "interrupted by " + signal
          + (before == null ? "" : " before " + before + " committed: it was rolled back, not applied")
          + (detail == null ? "" : " (" + detail + ")") + progress.describe()
          + (rest ? "; run `migrate up` again to apply the rest" : "");
    }
  }

  /** A rollback step a signal kept from starting. */
  record NotStarted(int exitCode) implements Kind {
    public String describe() { return "it was not started"; }
  }

  /** A signal stopped `down` at `file`; `done`: rolled back before it. */
  record RollbackInterrupted(String signal, int exitCode, String file, Kind cause, List<String> done, int target)
      implements Kind {
    public String describe() {
      return "interrupted by " + signal + " while rolling back " + file + ": " + cause.describe()
          + (done.isEmpty() ? "; nothing else was rolled back" : "; rolled back before it: " + String.join(", ", done))
          + "; run `migrate down " + target + "` again to finish";
    }
  }

  /** A transactional down file failed under a signal: rolled back, `file` stays applied. */
  record DownRolledBack(int exitCode, String file, Kind cause) implements Kind {
    public String describe() { return cause.describe() + " (rolled back: " + file + " stays applied)"; }
  }

  /**
   * A migration without a transaction failed (`cause`) or was interrupted (`signal`, else null) midway: it is
   * recorded as failed. A conversion (`conversion`) runs again from any point; else the operator finishes it.
   */
  record NoTransactionFailed(int exitCode, String file, int version, boolean conversion, String signal,
      Progress progress, Kind cause) implements Kind {
    public String describe() {
      return (signal != null ? "interrupted by " + signal + ": " : "") + cause.describe() + "; " + file
          + " ran without a transaction and is recorded as failed" + (signal != null ? progress.describe() : "")
          + (conversion ? ": a conversion is written to run again from any point; run `migrate up` again to resume it"
              : ": finish or undo its statements by hand, then `migrate resolve " + version
                  + " --applied` or `--rolled-back`");
    }
  }

  /** A down file without a transaction failed midway: recorded as failed under `downFile`. */
  record DownNoTransactionFailed(int exitCode, String downFile, int version, Kind cause) implements Kind {
    public String describe() {
      return cause.describe() + "; " + downFile + " ran without a transaction and is recorded as failed: finish or"
          + " undo its statements by hand, then `migrate resolve " + version + " --rolled-back` (it is undone) or"
          + " `--applied` (it is back in place)";
    }
  }
}
