// Shared source (//SOURCES Cli.java; needs picocli): what every command does with a
// usage error. picocli's own messages echo the arguments back ("Unknown option:
// '--uri=postgresql://kodiai:PASSWORD@...'"), which would print a secret that was only
// mistyped; this handler prints the same message with such values hidden.

import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine;

final class Cli {
  private Cli() {}

  /** Installs the handler on a command: one message line, a hint to --help, exit code 2. */
  static CommandLine withSafeUsageErrors(CommandLine cl) {
    return cl.setParameterExceptionHandler((ex, args) -> {
      String name = ex.getCommandLine().getCommandSpec().qualifiedName();
      PrintWriter err = ex.getCommandLine().getErr();
      err.println(name + ": error: " + hideValues(ex.getMessage(), args));
      err.println("Try '" + name + " --help' for more information.");
      err.flush();
      return 2;
    });
  }

  /**
   * The message with every argument value that may carry a secret replaced by ***: the value
   * of any `--option=value`, anything that looks like a URL, and the argument after an option
   * whose name speaks of a password, secret or token. Option names stay, so typos stay visible.
   */
  static String hideValues(String message, String[] args) {
    String m = message == null ? "" : message;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      boolean afterSecretOption = i > 0 && args[i - 1].startsWith("-") && !args[i - 1].contains("=")
          && SECRET_WORDS.stream().anyMatch(args[i - 1].toLowerCase()::contains);
      String shown = a.startsWith("-") && a.contains("=") ? a.substring(0, a.indexOf('=') + 1) + "***"
          : a.contains("://") || afterSecretOption ? "***" : a;
      if (!shown.equals(a) && !a.isEmpty()) m = m.replace(a, shown);
    }
    return m;
  }

  private static final List<String> SECRET_WORDS = List.of("password", "passwd", "secret", "token");
}
