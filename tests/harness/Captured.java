// What a command run in-process printed, and its exit code: the tests' one way to run a
// command as main() would, minus System.exit, with stdout and stderr captured.

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.function.IntSupplier;

record Captured(int code, String out, String err) {
  /** Runs `command` (e.g. `() -> indexes.execute(args)`) with System.out and System.err captured. */
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
      return new Captured(code, o.toString(StandardCharsets.UTF_8).replace("\r", ""), e.toString(StandardCharsets.UTF_8).replace("\r", ""));
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }

  @Override public String toString() { return "exit " + code + "\n--- out:\n" + out + "--- err:\n" + err; }
}
