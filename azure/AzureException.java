// Shared source: the one failure type of provisioning on Azure, and its kinds. Exit codes
// (cli/ExitCode.java): USAGE (invalid input; nothing changed), MISSING_TOOL (no az),
// NOT_LOGGED_IN, FAILED (an az step failed, timed out or printed what it should not),
// LOCAL_ERROR (local files). Sentences are safe to print: the values they hold are redacted
// where they are taken (AzCli), and never hold a secret.

final class AzureException extends Failure {
  sealed interface Kind extends Failure.Kind
      permits BadInput, AzMissing, NotLoggedIn, StepFailed, StepTimedOut, UnexpectedOutput, NoPassword, LocalError {}

  AzureException(Kind kind) { super(kind); }

  @Override Kind kind() { return (Kind) super.kind(); }

  /** An input (an option, the admin password) is refused: `problem` says why and what it should be; nothing changed. */
  record BadInput(String input, String problem) implements Kind {
    public int exitCode() { return ExitCode.USAGE; }
    public String describe() { return problem; }
  }

  /** No az: not on PATH (given is null) or --az names no executable file. */
  record AzMissing(String given) implements Kind {
    public int exitCode() { return ExitCode.MISSING_TOOL; }
    public String describe() {
      return (given == null ? "the Azure CLI 'az' was not found on PATH" : "--az " + given
          + " is not an executable file")
          + ". Install it (https://learn.microsoft.com/cli/azure/install-azure-cli), or pass --az PATH.";
    }
  }

  /** az has no usable login: at the first step, or expired at `step` (exit status and stderr of az). */
  record NotLoggedIn(String step, int exit, String stderr) implements Kind {
    public int exitCode() { return ExitCode.NOT_LOGGED_IN; }
    public String describe() {
      if (step == null) {
        return "az is not logged in: run 'az login' (in a pipeline: az login --service-principal or --identity),"
            + " then run provision again";
      }
      return step + ": az exited " + exit + ": " + stderr
          + " (not logged in: run 'az login', then run provision again)";
    }
  }

  /** An az step exited with `exit`; stderr is its first line, redacted. */
  record StepFailed(String step, int exit, String stderr) implements Kind {
    public int exitCode() { return ExitCode.FAILED; }
    public String describe() { return step + ": az exited " + exit + ": " + stderr; }
  }

  /** An az step ran past its timeout and was stopped. */
  record StepTimedOut(String step, long seconds) implements Kind {
    public int exitCode() { return ExitCode.FAILED; }
    public String describe() { return step + ": az did not finish within " + seconds + " s (stopped)"; }
  }

  /** az printed something other than the JSON expected (`why`; `shown`: what it printed, redacted and cut). */
  record UnexpectedOutput(String step, String why, String shown) implements Kind {
    public int exitCode() { return ExitCode.FAILED; }
    public String describe() {
      return step + ": az printed something other than the expected JSON (" + why + "): '" + shown
          + "'; check the az version (az version) and its extensions";
    }
  }

  /** A new server and no admin password, nor an --env-file to generate one into. */
  record NoPassword(String server, String passwordEnv) implements Kind {
    public int exitCode() { return ExitCode.USAGE; }
    public String describe() {
      return "server " + server + " does not exist and no admin password was given; nothing was changed."
          + " Either set " + passwordEnv + " or pass --admin-password-file FILE, or pass --env-file FILE to"
          + " generate a strong password and keep it (with MIGRATE_DATABASE_URL) in FILE";
    }
  }

  /** Local files: the secret file, the env file (`error`: the I/O error's class and message). */
  record LocalError(String error) implements Kind {
    public int exitCode() { return ExitCode.LOCAL_ERROR; }
    public String describe() { return error; }
  }
}
