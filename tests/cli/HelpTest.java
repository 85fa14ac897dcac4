import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * README: "Every command takes --help, which lists its options, environment variables and exit codes."
 * Checked for every alias of jbang-catalog.json in-process (the fast tier), again run as users run it through
 * ./jbang (the full run: a JVM and a JBang build per alias, minutes from a cold cache), and for every verb of
 * migrate, bench and indexes.
 */
class HelpTest {
  static final Path ROOT = MigrationSource.checkoutRoot();

  /** Variables each command reads through shared code (those in its own ${env:...} defaults are found in its file). */
  static final Map<String, List<String>> INDIRECT = Map.of(
      "migrate", List.of("DATABASE_URL", "DATABASE_CONNECT_TIMEOUT_MS", "DATABASE_LOCK_TIMEOUT_MS", "DATABASE_STATEMENT_TIMEOUT_MS",
          "DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS"),
      "provision", List.of("KODIAI_PG_ADMIN_PASSWORD"),
      "devdb", List.of("KODIAI_DEVDB_PORT", "KODIAI_DEVDB_DIR", "KODIAI_PG_BINDIR"),
      "test", List.of("KODIAI_TEST_DATABASE_URL", "KODIAI_PG_BINDIR", "KODIAI_TEST_PG", "KODIAI_SQLITE_VEC"),
      "schema-check", List.of("DATABASE_URL", "DATABASE_CONNECT_TIMEOUT_MS"),
      "import", List.of("MIGRATE_DATABASE_URL", "DATABASE_URL", "KNOWLEDGE_DB_PATH", "TELEMETRY_DB_PATH",
          "DATABASE_CONNECT_TIMEOUT_MS"),
      "bench", List.of("KODIAI_BENCH_DATABASE_URL", "DATABASE_URL"),
      "indexes", List.of("MIGRATE_DATABASE_URL", "DATABASE_URL", "DATABASE_CONNECT_TIMEOUT_MS"),
      "roles", List.of("MIGRATE_DATABASE_URL", "DATABASE_URL", "KODIAI_APP_PASSWORD", "DATABASE_CONNECT_TIMEOUT_MS"));

  static Map<String, String> aliases() throws Exception {
    Map<String, String> out = new LinkedHashMap<>();
    Matcher m = Pattern.compile("\"([a-z-]+)\"\\s*:\\s*\\{\\s*\"script-ref\"\\s*:\\s*\"([^\"]+)\"")
        .matcher(Files.readString(ROOT.resolve("jbang-catalog.json")));
    while (m.find()) out.put(m.group(1), m.group(2));
    return out;
  }

  static void assertNamesExitCodesAndEnvironment(String what, String help, List<String> variables) {
    assertTrue(help.contains("Exit codes:"), what + " --help names no exit codes:\n" + help);
    assertTrue(help.contains("\n  0  ") && help.contains("\n  2  "), what + " --help lists no exit code 0 and 2:\n" + help);
    for (String v : variables) assertTrue(help.contains(v), what + " --help does not name " + v + ":\n" + help);
  }

  /** Each alias's command as its main builds it, to run in-process; `test` is not a picocli command. */
  static final Map<String, Supplier<CommandLine>> IN_PROCESS = Map.of(
      "migrate", migrate::commandLine,
      "provision", () -> new CommandLine(new provision(System.getenv(), System.out, System.err)),
      "devdb", () -> Cli.commandLine(new devdb(), DbClient::redact),
      "roles", roles::commandLine,
      "indexes", indexes::commandLine,
      "schema-check", () -> Cli.withSafeUsageErrors(new CommandLine(new SchemaCheck())),
      "import", () -> Cli.commandLine(new Import(), DbClient::redact),
      "bench", () -> Cli.commandLine(new bench(), DbClient::redact));

  /** Variables the alias's own file reads in ${env:...} defaults, and those it reads through shared code. */
  static List<String> variables(String alias, String scriptRef) throws Exception {
    List<String> vars = new ArrayList<>(INDIRECT.getOrDefault(alias, List.of()));
    Matcher m = Pattern.compile("\\$\\{env:([A-Z0-9_]+)").matcher(Files.readString(ROOT.resolve(scriptRef)));
    while (m.find()) vars.add(m.group(1));
    return vars;
  }

  @Fast
  @Test void everyAliasHelpNamesItsExitCodesAndEnvironmentAndExitsZeroInProcess() throws Exception {
    Map<String, String> aliases = aliases();
    Set<String> expected = new TreeSet<>(aliases.keySet());
    expected.remove("test");
    assertEquals(expected, new TreeSet<>(IN_PROCESS.keySet()), "every alias but test has its command here");
    for (var a : aliases.entrySet()) {
      String help;
      if (a.getKey().equals("test")) {
        help = TestRunner.HELP;
      } else {
        Captured c = Captured.run(IN_PROCESS.get(a.getKey()).get(), "--help");
        assertEquals(0, c.code(), a.getKey() + " --help: " + c);
        help = c.out();
      }
      assertNamesExitCodesAndEnvironment(a.getKey(), help, variables(a.getKey(), a.getValue()));
    }
  }

  @Test void everyAliasHelpNamesItsExitCodesAndEnvironmentAndExitsZero() throws Exception {
    Map<String, String> aliases = aliases();
    assertTrue(aliases.keySet().containsAll(INDIRECT.keySet()), "aliases: " + aliases.keySet());
    Map<String, Process> running = new LinkedHashMap<>();
    Map<String, Path> outputs = new LinkedHashMap<>();
    for (var a : aliases.entrySet()) { // all at once: each is a JVM start
      Path output = Files.createTempFile("help-" + a.getKey(), ".txt");
      ProcessBuilder pb = new ProcessBuilder(ROOT.resolve("jbang").toString(), a.getValue(), "--help").directory(ROOT.toFile());
      pb.redirectErrorStream(true);
      pb.redirectOutput(output.toFile());
      outputs.put(a.getKey(), output);
      running.put(a.getKey(), pb.start());
    }
    for (var a : aliases.entrySet()) {
      Process p = running.get(a.getKey());
      assertTrue(p.waitFor(300, TimeUnit.SECONDS), a.getKey() + " --help did not end");
      String help = Files.readString(outputs.get(a.getKey())).replaceAll("(?m)^\\[jbang\\].*\\n", "");
      Files.delete(outputs.get(a.getKey()));
      assertEquals(0, p.exitValue(), a.getKey() + " --help: " + help);
      assertFalse(help.contains("[picocli WARN]"), a.getKey() + " --help: " + help);
      assertNamesExitCodesAndEnvironment(a.getKey(), help, variables(a.getKey(), a.getValue()));
    }
  }

  @Fast
  @Test void everyVerbOfMigrateBenchAndIndexesNamesTheExitCodes() {
    for (var root : List.of(migrate.commandLine(), Cli.withSafeUsageErrors(new CommandLine(new bench())),
        Cli.withSafeUsageErrors(new CommandLine(new indexes())))) {
      for (var sub : root.getSubcommands().entrySet()) {
        String help = sub.getValue().getUsageMessage();
        String what = root.getCommandName() + " " + sub.getKey();
        assertNamesExitCodesAndEnvironment(what, help,
            INDIRECT.get(root.getCommandName()));
      }
    }
  }

  /** Every command as main builds it (in-process), with each of its verbs. */
  static List<CommandLine> everyCommand() {
    List<CommandLine> roots = List.of(migrate.commandLine(), Cli.commandLine(new provision(Map.of(), System.out, System.err), m -> m),
        Cli.commandLine(new devdb(), DbClient::redact), Cli.commandLine(new roles(), DbClient::redact),
        Cli.commandLine(new indexes(), DbClient::redact), Cli.commandLine(new Import(), DbClient::redact),
        Cli.commandLine(new bench(), DbClient::redact), Cli.withSafeUsageErrors(new CommandLine(new SchemaCheck())));
    List<CommandLine> all = new ArrayList<>();
    for (CommandLine r : roots) { all.add(r); all.addAll(r.getSubcommands().values()); }
    return all;
  }

  /**
   * picocli formats each help text with String.format; one it cannot format (an unescaped %) draws a [picocli WARN] on
   * the System.err of the moment (its tracer takes no other stream) and comes out raw. So each text is formatted here
   * the same way, with nothing global to capture (the ./jbang run above also looks for the warning).
   */
  @Fast
  @Test void noHelpDrawsAPicocliWarning() {
    List<String> unformattable = new ArrayList<>();
    for (CommandLine cl : everyCommand()) {
      for (String text : helpTexts(cl.getCommandSpec())) {
        try {
          String.format(text);
        } catch (java.util.IllegalFormatException e) {
          unformattable.add(cl.getCommandSpec().qualifiedName() + ": " + text + " (" + e + ")");
        }
      }
    }
    assertEquals(List.of(), unformattable, "help texts picocli cannot format (write % as %%)");
  }

  /** Every text of `spec`'s help and version that picocli passes through String.format. */
  static List<String> helpTexts(CommandLine.Model.CommandSpec spec) {
    var u = spec.usageMessage();
    List<String> all = new ArrayList<>(List.of(u.headerHeading(), u.synopsisHeading(), u.descriptionHeading(),
        u.parameterListHeading(), u.optionListHeading(), u.commandListHeading(), u.footerHeading()));
    for (String[] texts : List.of(u.header(), u.customSynopsis(), u.description(), u.footer(), spec.version()))
      all.addAll(List.of(texts));
    for (var arg : spec.args()) all.addAll(List.of(arg.description()));
    return all;
  }

  /**
   * Help is not hard-wrapped mid-line: every footer line (exit codes, environment, paths) comes out whole on one line,
   * so a path or URL is never split; and every command prints its version with -V.
   */
  @Test void footerLinesAreNeverSplitAndEveryCommandHasAVersion() {
    for (CommandLine cl : everyCommand()) {
      String what = cl.getCommandSpec().qualifiedName(), help = cl.getUsageMessage();
      List<String> whole = new ArrayList<>(List.of(cl.getCommandSpec().usageMessage().footer()));
      if (cl.getCommandSpec().parent() == null) // description lines written to fit (not paragraphs picocli wraps)
        List.of(cl.getCommandSpec().usageMessage().description()).stream().filter(l -> l.length() <= Cli.HELP_WIDTH)
            .forEach(whole::add);
      for (String line : whole)
        for (String part : String.format(line).split("\\R"))
          if (!part.isBlank()) assertTrue(help.lines().anyMatch(l -> l.equals(part.stripTrailing())), what + ": split: " + part + "\n" + help);
      if (cl.getCommandSpec().parent() != null) { // a verb's line in its parent's list is its description's first element
        String first = cl.getCommandSpec().usageMessage().description()[0].strip();
        assertTrue(first.endsWith("."), what + ": its line in " + cl.getCommandSpec().parent().name() + " --help stops mid-sentence: "
            + first);
      } else {
        assertTrue(cl.getCommandSpec().version().length > 0 && !cl.getCommandSpec().version()[0].isBlank(), what + " -V prints nothing");
      }
    }
  }
}
