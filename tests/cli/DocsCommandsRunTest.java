// The safe commands of the README's and docs' fenced blocks (those that read, or apply the bundled
// migrations), run as written against a throwaway database, each ending as the docs say (exit 0);
// and the README's `export DATABASE_URL=$(./jbang devdb@kodiai url)` in a fresh checkout.
// DocsTest checks that every documented command parses; this one that the safe ones work.

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class DocsCommandsRunTest {
  @RegisterExtension static final FreshDatabase db = new FreshDatabase();

  /** Safe to run against a throwaway database as written: they apply the bundled migrations or only read. */
  static boolean safe(DocsTest.DocCommand c) {
    String args = String.join(" ", c.args());
    return switch (c.alias()) {
      case "migrate" -> List.of("", "up", "status", "validate").contains(args);
      case "indexes" -> List.of("status", "sync", "sync --dry-run").contains(args);
      case "schema-check" -> true;
      default -> false;
    };
  }

  @Test void theSafeDocumentedCommandsRunAndExitZero() throws Exception {
    List<DocsTest.DocCommand> run = DocsTest.commands().stream().filter(DocsCommandsRunTest::safe)
        .sorted((a, b) -> Boolean.compare(!a.alias().equals("migrate"), !b.alias().equals("migrate"))).toList();
    assertTrue(run.size() >= 10, "too few safe commands found: " + run);
    List<String> failed = new ArrayList<>();
    for (DocsTest.DocCommand c : run) {
      List<String> args = new ArrayList<>(c.args());
      if (c.alias().equals("schema-check")) args = List.of(db.url()); // the doc's "$MIGRATE_DATABASE_URL"
      else args.addAll(List.of("--url", db.url()));
      String[] a = args.toArray(String[]::new);
      Captured r = Captured.run(DocsTest.COMMANDS.get(c.alias()).get(), a);
      if (r.code() != 0) failed.add(c + " -> exit " + r.code() + ": " + r.err().strip());
    }
    assertEquals(List.of(), failed, "documented commands that did not end as the docs say");
  }

  /** README: `export DATABASE_URL=$(./jbang devdb@kodiai url)` before any `up` must give no URL, and fail. */
  @Test void devdbUrlInAFreshCheckoutPrintsNoUrl() throws Exception {
    assertTrue(Files.readString(DocsTest.ROOT.resolve("README.md"))
        .contains("export DATABASE_URL=$(./jbang devdb@kodiai url)"));
    Path fresh = Files.createTempDirectory("kodiai-docs-devdb");
    try {
      Captured r = Captured.run(DocsTest.COMMANDS.get("devdb").get(), "url", "--no-docker", "--no-install",
          "--dir", fresh.resolve("state").toString());
      assertEquals(ExitCode.FAILED, r.code(), r.toString());
      assertEquals("", r.out(), "nothing for $(...) to capture");
      assertTrue(r.err().startsWith("devdb: error: no devdb cluster in "), r.err());
    } finally {
      Files.deleteIfExists(fresh);
    }
  }
}
