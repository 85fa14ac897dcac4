// The README and docs/ as a newcomer follows them: every relative link resolves (file and
// heading), and every command of a fenced block (`./jbang NAME@kodiai ...`) names an alias of the
// catalog and parses with that command's own options. DocsCommandsRunTest runs the safe ones.

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

@Fast
class DocsTest {
  static final Path ROOT = MigrationSource.checkoutRoot();

  /** README.md and every page of docs/. */
  static List<Path> pages() throws Exception {
    List<Path> pages = new ArrayList<>(List.of(ROOT.resolve("README.md")));
    try (var s = Files.list(ROOT.resolve("docs"))) {
      s.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
    }
    return pages;
  }

  /** One command of a fenced block: where it is, the alias, its arguments (shell words; comments, env prefixes gone). */
  record DocCommand(String where, String alias, List<String> args) {
    @Override public String toString() { return where + ": " + alias + " " + String.join(" ", args); }
  }

  static final Pattern FENCE = Pattern.compile("(?ms)^ *```[a-z]*\\n(.*?)^ *```");
  static final Pattern JBANG = Pattern.compile("(?:^|\\s|&&\\s*)(?:\\./)?jbang\\s+([a-z-]+)@kodiai(?=\\s|$)(.*)");

  /** Every `jbang NAME@kodiai ...` line of a fenced block in README.md and docs/ (continuation lines joined). */
  static List<DocCommand> commands() throws Exception {
    List<DocCommand> out = new ArrayList<>();
    for (Path page : pages()) {
      Matcher f = FENCE.matcher(Files.readString(page));
      while (f.find()) {
        String block = f.group(1).replaceAll("\\\\\\n\\s*", " ");
        for (String line : block.split("\\n")) {
          Matcher m = JBANG.matcher(line);
          if (!m.find()) continue;
          out.add(new DocCommand(ROOT.relativize(page) + ": " + line.strip(), m.group(1), words(m.group(2))));
        }
      }
    }
    return out;
  }

  /** Shell words of `s` up to a comment; "$VAR" and $(...) become a value of the right kind. */
  static List<String> words(String s) {
    List<String> w = new ArrayList<>();
    Matcher m = Pattern.compile("\"([^\"]*)\"|'([^']*)'|(#.*)|(\\S+)").matcher(s);
    while (m.find()) {
      if (m.group(3) != null) break;
      String word = m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(4);
      if (word.contains("$")) word = word.contains("URL") ? "postgresql://u@127.0.0.1:5432/kodiai" : "/tmp/x";
      w.add(word);
    }
    return w;
  }

  /** The command behind each alias, as its main builds it. */
  static final Map<String, Supplier<CommandLine>> COMMANDS = Map.of(
      "migrate", migrate::commandLine,
      "provision", () -> Cli.commandLine(new provision(Map.of(), System.out, System.err), m -> m),
      "devdb", () -> Cli.commandLine(new devdb(), DbClient::redact),
      "roles", () -> Cli.commandLine(new roles(), DbClient::redact),
      "indexes", () -> Cli.commandLine(new indexes(), DbClient::redact),
      "import", () -> Cli.commandLine(new Import(), DbClient::redact),
      "bench", () -> Cli.commandLine(new bench(), DbClient::redact),
      "schema-check", () -> Cli.withSafeUsageErrors(new CommandLine(new SchemaCheck())));

  @Test void everyDocumentedCommandNamesAnAliasAndParses() throws Exception {
    List<DocCommand> commands = commands();
    assertTrue(commands.size() >= 40, "too few commands found, the extraction broke: " + commands);
    Set<String> aliases = HelpTest.aliases().keySet();
    List<String> wrong = new ArrayList<>();
    for (DocCommand c : commands) {
      if (!aliases.contains(c.alias())) { wrong.add(c + "  (no such alias)"); continue; }
      if (c.alias().equals("test")) {
        if (c.args().stream().anyMatch(a -> a.startsWith("-") && !List.of("--fast", "-h", "--help").contains(a)))
          wrong.add(c + "  (test takes --fast, -h and names)");
        continue;
      }
      try {
        COMMANDS.get(c.alias()).get().parseArgs(c.args().toArray(String[]::new));
      } catch (CommandLine.ParameterException e) {
        wrong.add(c + "  (" + e.getMessage() + ")");
      }
    }
    assertEquals(List.of(), wrong, "commands in the docs that no longer parse");
  }

  /** A usage error is caught: the extraction and the parse are not vacuous. */
  @Test void aBrokenDocumentedCommandIsCaught() {
    assertThrows(CommandLine.ParameterException.class,
        () -> COMMANDS.get("indexes").get().parseArgs("status", "--dry-run"));
    assertEquals(List.of("up", "--to", "3"), words("up --to 3   # a comment"));
    assertEquals(List.of("postgresql://u@127.0.0.1:5432/kodiai"), words("\"$MIGRATE_DATABASE_URL\""));
  }

  static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");

  @Test void everyRelativeLinkResolvesToAFileAndHeading() throws Exception {
    List<String> broken = new ArrayList<>();
    int checked = 0;
    for (Path page : pages()) {
      String text = Files.readString(page).replaceAll("(?ms)^ *```.*?^ *```", ""); // code blocks hold no links
      Matcher m = LINK.matcher(text);
      while (m.find()) {
        String target = m.group(1);
        if (target.matches("^[a-z]+:.*")) continue; // https:, mailto:
        checked++;
        String file = target.contains("#") ? target.substring(0, target.indexOf('#')) : target;
        String anchor = target.contains("#") ? target.substring(target.indexOf('#') + 1) : null;
        Path resolved = file.isEmpty() ? page : page.getParent().resolve(file).normalize();
        if (!Files.exists(resolved) || !resolved.startsWith(ROOT)) {
          broken.add(ROOT.relativize(page) + ": " + target);
          continue;
        }
        if (anchor != null && resolved.toString().endsWith(".md") && !anchors(resolved).contains(anchor))
          broken.add(ROOT.relativize(page) + ": " + target + " (no such heading)");
      }
    }
    assertTrue(checked > 20, "too few links found: " + checked);
    assertEquals(List.of(), broken, "links that do not resolve");
  }

  /** GitHub's heading anchors: lower case, punctuation dropped, spaces to '-', repeats numbered. */
  static Set<String> anchors(Path md) throws Exception {
    Set<String> out = new HashSet<>();
    String text = Files.readString(md).replaceAll("(?ms)^ *```.*?^ *```", "");
    for (String line : text.split("\\n")) {
      if (!line.matches("^#{1,6} .*")) continue;
      String slug = line.replaceFirst("^#+ ", "").strip().toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N} _-]", "")
          .replace(' ', '-');
      String s = slug;
      for (int i = 1; !out.add(s); i++) s = slug + "-" + i;
    }
    return out;
  }

  /** The environment variables each command's --help names are documented on its page too. */
  @Test void everyVariableAHelpNamesIsOnItsPage() throws Exception {
    List<String> missing = new ArrayList<>();
    for (String[] c : new String[][] {{"migrate", "migrate.md"}, {"import", "import.md"}, {"provision", "provision.md"},
        {"roles", "roles.md"}}) {
      String page = Files.readString(ROOT.resolve("docs").resolve(c[1]));
      Matcher m = Pattern.compile("\\b(?:DATABASE|MIGRATE|KODIAI|KNOWLEDGE|TELEMETRY)_[A-Z0-9_]+").matcher(
          COMMANDS.get(c[0]).get().getUsageMessage());
      while (m.find()) if (!page.contains(m.group())) missing.add(c[1] + " lacks " + m.group());
    }
    assertEquals(List.of(), missing.stream().distinct().toList());
  }

  /** docs/schema.md has a row for every migration (a new one adds its row with it). */
  @Test void schemaMdListsEveryMigration() throws Exception {
    String page = Files.readString(ROOT.resolve("docs/schema.md"));
    List<String> missing = new ArrayList<>();
    try (var s = Files.list(ROOT.resolve("migrations"))) {
      s.map(p -> p.getFileName().toString()).filter(n -> n.matches("\\d{3}-.*\\.sql") && !n.endsWith(".down.sql"))
          .sorted()
          .filter(n -> !page.contains("| `" + n + "` |")).forEach(missing::add);
    }
    assertEquals(List.of(), missing, "migrations without a row in docs/schema.md");
  }
}
