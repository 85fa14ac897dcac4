// Shared source: the one failure type of local PostgreSQL (cluster, binaries, Docker).
// Its exit code (cli/ExitCode.java): MISSING_TOOL when PostgreSQL or pgvector is not
// installed, FAILED when a server or docker compose did not do what was asked.

final class LocalPgException extends Failure {
  LocalPgException(int exitCode, String message) { super(exitCode, message); }
}
