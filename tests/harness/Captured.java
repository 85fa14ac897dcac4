// What a command run in-process printed, and its exit code: the tests' one way to run a
// command as main() would, minus System.exit, with stdout and stderr captured.
//
// run(CommandLine, args) gives the command writers of its own (picocli's setOut/setErr), which
// commands print to (spec.commandLine().getOut()/getErr()): nothing global changes, so tests may
// run commands side by side (migrate, indexes and roles do). run(IntSupplier) is for code that
// still prints to System.out (a help text printed by hand in HelpTest; DocsCommandsRunTest's every alias,
// bench and devdb among them): it swaps System.out and System.err, and so holds a lock for the whole call.

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.function.IntSupplier;
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

  /** Runs `command` (e.g. `() -> migrate.commandLine().execute(args)`) with System.out and System.err captured. */
  static synchronized Captured run(IntSupplier command) {
    PrintStream out = System.out, err = System.err;
    var o = new ByteArrayOutputStream();
    var e = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
      int code = command.getAsInt();
      System.out.flush();
      System.err.flush();
      return new Captured(code, text(o), text(e));
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }

  private static String text(ByteArrayOutputStream bytes) {
    return bytes.toString(StandardCharsets.UTF_8).replace("\r", "");
  }

  @Override public String toString() { return "exit " + code + "\n--- out:\n" + out + "--- err:\n" + err; }
}
