// Shared source of the importer (//SOURCES importer/ImportFailure.java; needs cli/): the one
// failure type of `import`, and its kinds. A kind carries the key values (the option and file,
// the table, the migration, the count) and its exit code (cli/ExitCode.java); cli/Cli.java
// prints describe(): one line each, naming file, table, id and column where there is one, and
// saying how to fix what can be fixed (docs/import.md and the README quote these lines).

import java.nio.file.Path;
import java.util.List;

final class ImportFailure extends Failure {
  sealed interface Kind extends Failure.Kind permits BadOption, NothingToImport, NoSuchFile, NotAFile, NotReadable,
      CannotRead, EmptyFile, NoSqliteHeader, ShortHeader, TextEncoding, WrongFile, NotKodiaiFile, Locked, Corrupt,
      SqliteError, NoVec0Table, NotVec0, Vec0Declared, Vec0Dimensions, Vec0Version, Vec0ShadowTable, Vec0SecondVector,
      NoTargetTable, TargetEncoding, NotMigrated, NotPrivileged, UnwritableColumn, EmbeddingNotVector, NoIdColumn,
      WriteFailed, SecondConnection, VerifyFailed, Problems, ProblemsFile {}

  ImportFailure(Kind kind) { super(kind); }

  ImportFailure(Kind kind, Throwable cause) { super(kind, cause); }

  /** How a source file is named in every line: its option and path ("--knowledge data/k.db"). */
  static String at(TableMap.FileKind as, Path file) { return as.option + " " + file; }

  // ---------------------------------------------------------------- options (2)

  /** An option out of its range: `rule` says what it must be. */
  record BadOption(String option, String rule) implements Kind {
    public int exitCode() { return ExitCode.USAGE; }
    public String describe() { return option + " must " + rule; }
  }

  /** No file given, none in the environment, and neither default path exists. */
  record NothingToImport(String knowledgeDefault, String telemetryDefault) implements Kind {
    public int exitCode() { return ExitCode.USAGE; }
    public String describe() {
      return "nothing to import: pass --knowledge FILE and/or --telemetry FILE (neither $KNOWLEDGE_DB_PATH nor"
          + " $TELEMETRY_DB_PATH is set, and " + knowledgeDefault + " and " + telemetryDefault + " do not exist)";
    }
  }

  // ---------------------------------------------------------------- the source file, before SQLite opens it

  record NoSuchFile(TableMap.FileKind as, Path file) implements Kind {
    public int exitCode() { return ExitCode.USAGE; }
    public String describe() { return at(as, file) + ": no such file"; }
  }

  record NotAFile(TableMap.FileKind as, Path file) implements Kind {
    public int exitCode() { return ExitCode.USAGE; }
    public String describe() { return at(as, file) + ": not a regular file"; }
  }

  record NotReadable(TableMap.FileKind as, Path file) implements Kind {
    public int exitCode() { return ExitCode.LOCAL_ERROR; }
    public String describe() { return at(as, file) + ": not readable by this user"; }
  }

  /** Reading the header failed: the operating system's `message`. */
  record CannotRead(TableMap.FileKind as, Path file, String message) implements Kind {
    public int exitCode() { return ExitCode.LOCAL_ERROR; }
    public String describe() { return at(as, file) + ": cannot read: " + message; }
  }

  record EmptyFile(TableMap.FileKind as, Path file) implements Kind {
    public int exitCode() { return ExitCode.SOURCE_DATA; }
    public String describe() { return at(as, file) + ": the file is empty, not a SQLite database"; }
  }

  /** The first bytes are not SQLite's: another file, or an encrypted one. */
  record NoSqliteHeader(TableMap.FileKind as, Path file) implements Kind {
    public int exitCode() { return ExitCode.SOURCE_DATA; }
    public String describe() {
      return at(as, file) + ": not a SQLite database (no SQLite header; an encrypted file, e.g. SQLCipher, looks"
          + " like this: decrypt it first)";
    }
  }

  /** SQLite's header, but only `bytes` of its 100. */
  record ShortHeader(TableMap.FileKind as, Path file, int bytes) implements Kind {
    public int exitCode() { return ExitCode.SOURCE_DATA; }
    public String describe() {
      return at(as, file) + ": the SQLite header is cut short (" + bytes + " of 100 bytes): the file is corrupt";
    }
  }

  // ---------------------------------------------------------------- the source file, opened

  record TextEncoding(TableMap.FileKind as, Path file, String encoding) implements Kind {
    public int exitCode() { return ExitCode.SOURCE_DATA; }
    public String describe() {
      return at(as, file) + ": text encoding " + encoding
          + " (kodiai's stores write UTF-8; this importer reads UTF-8 only)";
    }
  }

  /** A file of kind `found` given as `as` (the telemetry file as --knowledge). */
  record WrongFile(TableMap.FileKind as, Path file, TableMap.FileKind found) implements Kind {
    public int exitCode() { return ExitCode.SOURCE_DATA; }
    public String describe() {
      return at(as, file) + ": this is a kodiai " + found.label() + " file (it has the table " + found.markerTable
          + ", not " + as.markerTable + "): pass it as " + found.option;
    }
  }

  /** A SQLite file of neither kind: its first `tables` (up to 8). */
  record NotKodiaiFile(TableMap.FileKind as, Path file, List<String> tables) implements Kind {
    public int exitCode() { return ExitCode.SOURCE_DATA; }
    public String describe() {
      return at(as, file) + ": not a kodiai " + as.label() + " file: it has no table " + as.markerTable
          + (tables.isEmpty() ? " (it has no tables at all)" : " (its tables: " + String.join(", ", tables) + ")");
    }
  }

  /** A writer held the file locked past --lock-timeout (`seconds`). */
  record Locked(TableMap.FileKind as, Path file, long seconds) implements Kind {
    public int exitCode() { return ExitCode.LOCK_TIMEOUT; }
    public String describe() {
      return at(as, file) + ": locked by a writer for longer than " + seconds
          + " s (--lock-timeout); stop the bot or let it finish its write, then run again";
    }
  }

  /** SQLite found the file damaged (SQLITE_CORRUPT, SQLITE_NOTADB): its `message`. */
  record Corrupt(TableMap.FileKind as, Path file, String message) implements Kind {
    public int exitCode() { return ExitCode.SOURCE_DATA; }
    public String describe() {
      return at(as, file) + ": the file is corrupt (" + message
          + "); restore it from a backup or repair it with sqlite3's .recover";
    }
  }

  /**
   * Any other SQLite error, by its primary result `code`: 8 (read-only), 14 (cannot open) and 23
   * (permission) are local problems of the file's folder (8), the rest say the data is bad (9).
   */
  record SqliteError(TableMap.FileKind as, Path file, int code, String message) implements Kind {
    public int exitCode() {
      return code == 8 || code == 14 || code == 23 ? ExitCode.LOCAL_ERROR : ExitCode.SOURCE_DATA;
    }
    public String describe() {
      String w = at(as, file);
      return switch (code) {
        case 8 -> w + ": SQLite cannot read it read-only (" + message + "); a WAL-mode file needs its -shm file,"
            + " which SQLite creates in the file's folder: make the folder writable, or copy the file with its -wal to"
            + " a writable folder";
        case 14 -> w + ": SQLite cannot open it (" + message + "); a WAL-mode file needs a writable folder for its"
            + " -shm file: copy the file with its -wal to a writable folder";
        case 23 -> w + ": permission denied (" + message + ")";
        default -> w + ": SQLite error: " + message;
      };
    }
  }

  // ---------------------------------------------------------------- the vectors (sqlite-vec's vec0 table)

  /** learning_memories without its vec0 table `vec0`: the embeddings are missing. */
  record NoVec0Table(TableMap.FileKind as, Path file, String vec0) implements Kind {
    public int exitCode() { return ExitCode.SOURCE_DATA; }
    public String describe() {
      return at(as, file) + ": table " + TableMap.MEMORIES + " has no vec0 table " + vec0
          + " beside it (the store ran without sqlite-vec?): its embeddings are missing";
    }
  }

  /** `vec0` is no vec0 virtual table: its (clipped) `declaration`. */
  record NotVec0(TableMap.FileKind as, Path file, String vec0, String declaration) implements Kind {
    public int exitCode() { return ExitCode.SOURCE_DATA; }
    public String describe() {
      return at(as, file) + ": table " + vec0 + " is not a vec0 virtual table: " + declaration;
    }
  }

  /** `vec0` is declared with `args`, not as kodiai's store declares it (`expected`). */
  record Vec0Declared(TableMap.FileKind as, Path file, String vec0, List<String> args, List<String> expected)
      implements Kind {
    public int exitCode() { return ExitCode.SOURCE_DATA; }
    public String describe() {
      return at(as, file) + ": table " + vec0 + " is declared as vec0(" + String.join(", ", args)
          + "), not as kodiai's learning store declares it (" + String.join(", ", expected).replace("[D]", "[1024]")
          + "): refusing to guess its layout";
    }
  }

  record Vec0Dimensions(TableMap.FileKind as, Path file, String vec0, int dims, int targetDims) implements Kind {
    public int exitCode() { return ExitCode.SOURCE_DATA; }
    public String describe() {
      return at(as, file) + ": table " + vec0 + " holds " + dims
          + "-dimension vectors; learning_memories.embedding holds " + targetDims + " dimensions";
    }
  }

  /** Made by a sqlite-vec of another layout: `version` (null: no _info table to say which). */
  record Vec0Version(TableMap.FileKind as, Path file, String vec0, String version) implements Kind {
    public int exitCode() { return ExitCode.SOURCE_DATA; }
    public String describe() {
      String w = at(as, file) + ": table " + vec0;
      return version == null
          ? w + ": its shadow table " + vec0 + "_info is missing: a sqlite-vec layout this importer does not know"
              + " (known: 0.1.x)"
          : w + " was created by sqlite-vec " + version + ", a layout this importer does not know (known: 0.1.x)";
    }
  }

  /** A shadow table (`shadow`) of other `columns` than `expected` (none: it is missing). */
  record Vec0ShadowTable(TableMap.FileKind as, Path file, String vec0, String shadow, List<String> columns,
      List<String> expected) implements Kind {
    public int exitCode() { return ExitCode.SOURCE_DATA; }
    public String describe() {
      return at(as, file) + ": table " + vec0 + ": shadow table " + shadow + " has columns "
          + (columns.isEmpty() ? "(none: the table is missing)" : columns) + ", expected " + expected
          + ": a sqlite-vec layout this importer does not know";
    }
  }

  record Vec0SecondVector(TableMap.FileKind as, Path file, String vec0) implements Kind {
    public int exitCode() { return ExitCode.SOURCE_DATA; }
    public String describe() {
      return at(as, file) + ": table " + vec0 + " has a second vector column: not kodiai's layout";
    }
  }

  // ---------------------------------------------------------------- the target

  record NoTargetTable(String table) implements Kind {
    public int exitCode() { return ExitCode.TARGET_NOT_READY; }
    public String describe() { return "the target has no table " + table + ": run ./jbang migrate@kodiai up first"; }
  }

  record TargetEncoding(String encoding) implements Kind {
    public int exitCode() { return ExitCode.TARGET_NOT_READY; }
    public String describe() {
      return "the target database's encoding is " + encoding
          + "; kodiai's data needs UTF8 (create the database with ENCODING 'UTF8')";
    }
  }

  /** The target is at migration `version`; the import needs `required`. */
  record NotMigrated(int version, int required) implements Kind {
    public int exitCode() { return ExitCode.TARGET_NOT_READY; }
    public String describe() {
      return "the target is at migration " + version + "; the import needs " + String.format("%03d", required)
          + " or later: run ./jbang migrate@kodiai up (with the same --url / DATABASE_URL) first";
    }
  }

  /** The URL's `user` lacks the privileges in `missing` ("INSERT on reviews, ..."). */
  record NotPrivileged(String user, List<String> missing) implements Kind {
    public int exitCode() { return ExitCode.USAGE; }
    public String describe() {
      return "the URL's user " + user + " may not import: it lacks " + String.join("; ", missing)
          + "; use the schema owner's URL (MIGRATE_DATABASE_URL), docs/roles.md";
    }
  }

  /** A target column of a `type` the importer cannot write. */
  record UnwritableColumn(String table, String column, String type) implements Kind {
    public int exitCode() { return ExitCode.TARGET_NOT_READY; }
    public String describe() {
      return "column " + table + "." + column + " has type " + type + ", which the importer cannot write";
    }
  }

  record EmbeddingNotVector(String type) implements Kind {
    public int exitCode() { return ExitCode.TARGET_NOT_READY; }
    public String describe() {
      return "learning_memories.embedding is " + type + ", not a vector the importer can write";
    }
  }

  record NoIdColumn(Path file, String table) implements Kind {
    public int exitCode() { return ExitCode.SOURCE_DATA; }
    public String describe() { return file + ": table " + table + " has no id column"; }
  }

  // ---------------------------------------------------------------- the run (nothing committed)

  /** The server refused writing `table`: the first line of its message. */
  record WriteFailed(String table, String server) implements Kind {
    public int exitCode() { return ExitCode.FAILED; }
    public String describe() { return "writing " + table + " failed: " + server + "; nothing was committed"; }
  }

  record SecondConnection(String message) implements Kind {
    public int exitCode() { return ExitCode.FAILED; }
    public String describe() { return "cannot open a second connection to drop the vector indexes: " + message; }
  }

  /** The target differs from the source after the load: one line per table (`differences`). */
  record VerifyFailed(List<String> differences) implements Kind {
    public int exitCode() { return ExitCode.FAILED; }
    public String describe() {
      return "verification failed, nothing was committed; the target differs from the source in:\n"
          + String.join("\n", differences);
    }
  }

  /**
   * Problems found before writing: `count` in all, `inSource` of them in the source data (the rest
   * refused by the target schema); `shown` are the lines printed, `problemsFile` holds all of them.
   */
  record Problems(List<String> shown, long count, long inSource, Path problemsFile) implements Kind {
    public int exitCode() { return ExitCode.SOURCE_DATA; }
    public String describe() {
      StringBuilder sb = new StringBuilder();
      for (String p : shown) sb.append(p).append('\n');
      if (count > shown.size()) sb.append("... and ").append(count - shown.size()).append(" more")
          .append(problemsFile == null ? ": pass --problems FILE for the full list\n" : "\n");
      if (problemsFile != null) sb.append("all ").append(count).append(" in ").append(problemsFile).append('\n');
      long target = count - inSource;
      sb.append(count).append(count == 1 ? " problem " : " problems ");
      if (target == 0) sb.append("in the source data");
      else if (inSource == 0) sb.append("that the target schema refuses");
      else sb.append("(").append(inSource).append(" in the source data, ").append(target)
          .append(" that the target schema refuses)");
      return sb.append("; nothing was written").toString();
    }
  }

  record ProblemsFile(Path file, String message) implements Kind {
    public int exitCode() { return ExitCode.LOCAL_ERROR; }
    public String describe() { return "--problems " + file + ": cannot write it (" + message + ")"; }
  }
}
