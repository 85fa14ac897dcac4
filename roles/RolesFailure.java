// Shared source (roles/*.java): how a verb of `roles` failed after its checks (AppRoles.Refused
// holds the refusals before anything changes), as kinds carrying the key values.

final class RolesFailure extends Failure {
  sealed interface Kind extends Failure.Kind permits EnvFilePlace, EnvFileUnwritable, DatabaseRefused {}

  RolesFailure(Kind kind) { super(kind); }

  /** --env-file is a directory, or its directory does not exist. */
  record EnvFilePlace(String file) implements Kind {
    public int exitCode() { return ExitCode.USAGE; }
    public String describe() { return "--env-file " + file + ": not a file in an existing directory"; }
  }

  /** Writing --env-file failed (`reason`: the I/O error); the transaction was not committed. */
  record EnvFileUnwritable(String file, String reason) implements Kind {
    public int exitCode() { return ExitCode.LOCAL_ERROR; }
    public String describe() { return "cannot write --env-file " + file + ": " + reason + "; nothing changed"; }
  }

  /** The server refused a statement of the verb (`server`: its first line, password scrubbed); all rolled back. */
  record DatabaseRefused(String sqlState, String server) implements Kind {
    public int exitCode() { return ExitCode.FAILED; }
    public String describe() {
      return "the database refused: " + server + " (SQLSTATE " + sqlState + "); nothing changed";
    }
  }
}
