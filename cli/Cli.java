// Shared source (//SOURCES cli/Cli.java): what every command does with an error.
//  - Usage errors: picocli's own messages echo the arguments back ("Unknown option:
//    '--uri=postgresql://kodiai:PASSWORD@...'"), which would print a secret that was only
//    mistyped; the handler here prints the same message with such values hidden; exit 2.
//  - Execution errors: one line per line of the message, "NAME: error: ...", passwords
//    redacted, the stack trace only with -v/--verbose; the exit code is the one the failure
//    carries (cli/Failure.java), or 1 for anything unexpected.

//DEPS info.picocli:picocli:4.7.7
import java.io.PrintWriter;
import java.util.List;
import java.util.function.UnaryOperator;
import picocli.CommandLine;

final class Cli {
  private Cli() {}

  /** The command as main runs it: safe usage errors and the one execution-error handler. */
  static CommandLine commandLine(Object command, UnaryOperator<String> redact) {
    CommandLine cl = withSafeUsageErrors(new CommandLine(command));
    return cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
      String name = cmd.getCommandSpec().root().name();
      String message = e instanceof Failure || e instanceof RuntimeException && e.getMessage() != null ? e.getMessage()
          : e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
      PrintWriter err = cmd.getErr();
      for (String line : redact.apply(message).split("\n")) err.println(name + ": error: " + line);
      List<String> args = parsed.expandedArgs();
      if (args.contains("--verbose") || args.contains("-v")) e.printStackTrace(err);
      err.flush();
      return e instanceof Failure f ? f.exitCode : ExitCode.FAILED;
    });
  }

  /**
   * Installs the handler on a command: one message line, "NAME: error: ..." with the command's own
   * name as every other error of it (not "NAME VERB"), a hint to the verb's --help, exit code 2.
   * Subcommands without a footer of their own get the command's (its exit codes and environment).
   */
  static CommandLine withSafeUsageErrors(CommandLine cl) {
    inheritFooter(cl);
    // 120 columns (the width of the source lines): at picocli's 80 a footer line was cut wherever column 80 fell,
    // splitting URLs and paths; footers are written in lines of at most 120.
    cl.setUsageHelpWidth(HELP_WIDTH);
    return cl.setParameterExceptionHandler((ex, args) -> {
      String name = ex.getCommandLine().getCommandSpec().root().name();
      PrintWriter err = ex.getCommandLine().getErr();
      // picocli's own prefix, for argument groups
      String message = hideValues(ex.getMessage(), args).replaceFirst("^Error: ", "");
      err.println(name + ": error: " + message);
      err.println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help' for more information.");
      err.flush();
      return ExitCode.USAGE;
    });
  }

  static final int HELP_WIDTH = 120;

  private static void inheritFooter(CommandLine cl) {
    var usage = cl.getCommandSpec().usageMessage();
    for (CommandLine sub : cl.getSubcommands().values()) {
      var su = sub.getCommandSpec().usageMessage();
      if (su.footer().length == 0) su.footerHeading(usage.footerHeading()).footer(usage.footer());
      inheritFooter(sub);
    }
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
