// What a command run in-process printed, and its exit code: the tests' one way to run a
// command as main() would, minus System.exit, with stdout and stderr captured.
//
// run(CommandLine, args) gives the command writers of its own (picocli's setOut/setErr), which
// every command prints to (spec.commandLine().getOut()/getErr(), or cli/CommandOut over them; only
// a main wires System.out in): nothing global changes and nothing is locked, so tests may run
// commands side by side (CapturedTest runs every alias at once).

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

record Captured(int code, String out, String err, Failure failure) {
  Captured(int code, String out, String err) { this(code, out, err, null); }

  /**
   * Runs `cl` (e.g. `indexes.commandLine()`) with `args`; what it prints goes to this call's writers only.
   * The failure the command ended with, if any, is kept too: tests assert its kind, not its sentence.
   */
  static Captured run(CommandLine cl, String... args) {
    var o = new StringWriter();
    var e = new StringWriter();
    cl.setOut(new PrintWriter(o, true));
    cl.setErr(new PrintWriter(e, true));
    Failure[] failed = new Failure[1];
    var handler = cl.getExecutionExceptionHandler();
    cl.setExecutionExceptionHandler((ex, sub, parsed) -> {
      if (ex instanceof Failure f) failed[0] = f;
      return handler.handleExecutionException(ex, sub, parsed);
    });
    int code = cl.execute(args);
    cl.getOut().flush();
    cl.getErr().flush();
    return new Captured(code, o.toString().replace("\r", ""), e.toString().replace("\r", ""), failed[0]);
  }

  /** The kind of the failure the command ended with (null: none, or not a Failure). */
  Failure.Kind kind() { return failure == null ? null : failure.kind(); }

  @Override public String toString() { return "exit " + code + "\n--- out:\n" + out + "--- err:\n" + err; }
}
