// Shared source (bench/*.java): the failure type of the benchmarks, and its kinds. A run that
// failed (a child process, a check of what it left behind) ends the benchmark with exit 1;
// a bad option or a run from outside the checkout with 2.

final class BenchFailure extends Failure {
  sealed interface Kind extends Failure.Kind permits BadOption, BadValue, NotInCheckout, RunFailed, WrongResult {}

  BenchFailure(Kind kind) { super(kind); }

  /** An option below its minimum. */
  record BadOption(String option, long minimum) implements Kind {
    public int exitCode() { return ExitCode.USAGE; }
    public String describe() { return option + " must be at least " + minimum; }
  }

  /** Options that do not go together or are out of range, as the options' own check says (BenchData.Options). */
  record BadValue(String problem) implements Kind {
    public int exitCode() { return ExitCode.USAGE; }
    public String describe() { return problem; }
  }

  /** The benchmark runs programs of the checkout (./jbang ...) and was started outside it. */
  record NotInCheckout(String runs) implements Kind {
    public int exitCode() { return ExitCode.USAGE; }
    public String describe() { return "run it from inside the kodiai-db checkout (it times " + runs + " there)"; }
  }

  /** A step run as a child process ended badly; exit is its status (0: it ran but said something else). */
  record RunFailed(String step, int exit, String output) implements Kind {
    public int exitCode() { return ExitCode.FAILED; }
    public String describe() { return step + " failed (exit " + exit + "): " + output.strip(); }
  }

  /** What a run left behind is not what it should have: `what` of `where`, found and expected. */
  record WrongResult(String where, String what, String found, String expected) implements Kind {
    public int exitCode() { return ExitCode.FAILED; }
    public String describe() { return where + ": " + what + " is " + found + ", expected " + expected; }
  }
}
