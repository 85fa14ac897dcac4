// Shared source: the one failure type of provisioning on Azure. Its exit code
// (cli/ExitCode.java): USAGE (invalid input; nothing changed), MISSING_TOOL (no az),
// NOT_LOGGED_IN, FAILED (an az step failed or timed out), LOCAL_ERROR (local files).
// Messages are safe to print: they never hold a secret.

final class AzureException extends Failure {
  AzureException(int exitCode, String message) { super(exitCode, message); }
}
