// Tests of SchemaCheck (issue 3) on a real PostgreSQL with pgvector: it holds on a
// migrated database without leaving probe rows behind, exits with the documented
// codes, and reports exactly what is broken for each kind of break.

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

class SchemaCheckTest extends SchemaFixtures {
  @RegisterExtension static final FreshDatabase db = new FreshDatabase();

  @BeforeAll static void migrateTheClassDatabase() {
    migrateToLatest(db);
  }

  @Test void schemaCheckHoldsOnAMigratedDatabaseAndLeavesNoProbeRows() throws Exception {
    try (Connection c = db.connect(); Statement st = c.createStatement()) {
      long before = count(st, "SELECT (SELECT count(*) FROM reviews) + (SELECT count(*) FROM findings) + (SELECT count(*) FROM learning_memories)");
      SchemaCheck.Report r = SchemaCheck.run(c);
      assertEquals(List.of(), r.failures());
      assertTrue(r.lines().size() > 290, "one line per expectation: " + r.lines().size());
      assertTrue(r.lines().contains("OK   storage learning_memories.embedding plain"), "the halfvec stays inline");
      assertTrue(c.getAutoCommit(), "autocommit restored");
      assertEquals(before, count(st, "SELECT (SELECT count(*) FROM reviews) + (SELECT count(*) FROM findings) + (SELECT count(*) FROM learning_memories)"),
          "the trigger probe rolls its rows back");
    }
  }

  @Test void schemaCheckExitCodes() throws Exception {
    assertEquals(0, schemaCheckExit(db.url()));
    assertEquals(2, schemaCheckExit("mysql://nope"));
    assertEquals(3, schemaCheckExit("postgresql://nobody@127.0.0.1:1/nowhere"));
    withDatabase("checkexit", url -> assertEquals(1, schemaCheckExit(url), "an empty database fails"));
  }

  static Stream<Arguments> breaks() {
    String sev = "CHECK ((severity = ANY (ARRAY['critical'::text, 'major'::text, 'medium'::text, 'minor'::text])))";
    return Stream.of(
        Arguments.of("GitHub id column as integer", "ALTER TABLE findings ALTER COLUMN comment_id TYPE integer",
            List.of("WRONG column findings.comment_id: expected bigint, found integer")),
        Arguments.of("NOT NULL dropped", "ALTER TABLE reviews ALTER COLUMN repo DROP NOT NULL",
            List.of("WRONG column reviews.repo: expected not null, found nullable")),
        Arguments.of("default dropped", "ALTER TABLE run_state ALTER COLUMN status DROP DEFAULT",
            List.of("WRONG column run_state.status: expected default 'pending'::text, found no default")),
        Arguments.of("column dropped", "ALTER TABLE resilience_events DROP COLUMN retry_has_results",
            List.of("MISSING column resilience_events.retry_has_results boolean")),
        Arguments.of("partial unique index dropped", "DROP INDEX idx_rate_limit_events_delivery_event",
            List.of("MISSING index idx_rate_limit_events_delivery_event on rate_limit_events UNIQUE USING btree (delivery_id, event_type) WHERE (delivery_id IS NOT NULL)")),
        Arguments.of("partial unique index made total", "DROP INDEX idx_retrieval_quality_events_delivery_id;"
                + " CREATE UNIQUE INDEX idx_retrieval_quality_events_delivery_id ON retrieval_quality_events (delivery_id)",
            List.of("WRONG index idx_retrieval_quality_events_delivery_id on retrieval_quality_events: expected UNIQUE USING btree (delivery_id) WHERE (delivery_id IS NOT NULL), found UNIQUE USING btree (delivery_id)")),
        Arguments.of("unique constraint dropped", "ALTER TABLE feedback_reactions DROP CONSTRAINT feedback_reactions_reaction_key",
            List.of("MISSING constraint feedback_reactions.feedback_reactions_reaction_key UNIQUE (repo, comment_id, reaction_id)")),
        Arguments.of("FK without ON DELETE CASCADE", "ALTER TABLE findings DROP CONSTRAINT findings_review_id_fkey;"
                + " ALTER TABLE findings ADD CONSTRAINT findings_review_id_fkey FOREIGN KEY (review_id) REFERENCES reviews (id)",
            List.of("WRONG constraint findings.findings_review_id_fkey: expected FOREIGN KEY (review_id) REFERENCES reviews(id) ON DELETE CASCADE, found FOREIGN KEY (review_id) REFERENCES reviews(id)")),
        Arguments.of("enum CHECK dropped", "ALTER TABLE findings DROP CONSTRAINT findings_severity_check",
            List.of("MISSING constraint findings.findings_severity_check " + sev)),
        Arguments.of("FK index dropped", "DROP INDEX idx_findings_review_id",
            List.of("MISSING index idx_findings_review_id on findings USING btree (review_id)")),
        Arguments.of("embedding back to float32",
            "ALTER TABLE learning_memories ALTER COLUMN embedding TYPE vector(1024)",
            List.of("WRONG column learning_memories.embedding: expected halfvec(1024), found vector(1024)",
                "WRONG storage learning_memories.embedding: expected plain (inline), found external")),
        Arguments.of("embedding moved out of line",
            "ALTER TABLE learning_memories ALTER COLUMN embedding SET STORAGE EXTERNAL",
            List.of("WRONG storage learning_memories.embedding: expected plain (inline), found external")),
        Arguments.of("GIN index dropped", "DROP INDEX idx_findings_search_tsv",
            List.of("MISSING index idx_findings_search_tsv on findings USING gin (search_tsv)")),
        Arguments.of("trigger dropped", "DROP TRIGGER findings_search_tsv_trigger ON findings",
            List.of("MISSING trigger findings.findings_search_tsv_trigger BEFORE INSERT OR UPDATE OF title, search_tsv ON findings FOR EACH ROW EXECUTE FUNCTION findings_search_tsv_update()",
                "WRONG trigger findings_search_tsv_trigger fires: after INSERT, search_tsv does not match a word of title")),
        Arguments.of("trigger disabled", "ALTER TABLE learning_memories DISABLE TRIGGER learning_memories_search_tsv_trigger",
            List.of("WRONG trigger learning_memories.learning_memories_search_tsv_trigger: expected BEFORE INSERT OR UPDATE OF finding_text, search_tsv ON learning_memories FOR EACH ROW EXECUTE FUNCTION learning_memories_search_tsv_update(), found BEFORE INSERT OR UPDATE OF finding_text, search_tsv ON learning_memories FOR EACH ROW EXECUTE FUNCTION learning_memories_search_tsv_update() (disabled: tgenabled = D)",
                "WRONG trigger learning_memories_search_tsv_trigger fires: after INSERT, search_tsv does not match a word of finding_text")),
        Arguments.of("trigger on INSERT only", "DROP TRIGGER learning_memories_search_tsv_trigger ON learning_memories;"
                + " CREATE TRIGGER learning_memories_search_tsv_trigger BEFORE INSERT ON learning_memories FOR EACH ROW EXECUTE FUNCTION learning_memories_search_tsv_update()",
            List.of("WRONG trigger learning_memories.learning_memories_search_tsv_trigger: expected BEFORE INSERT OR UPDATE OF finding_text, search_tsv ON learning_memories FOR EACH ROW EXECUTE FUNCTION learning_memories_search_tsv_update(), found BEFORE INSERT ON learning_memories FOR EACH ROW EXECUTE FUNCTION learning_memories_search_tsv_update()",
                "WRONG trigger learning_memories_search_tsv_trigger fires: after UPDATE OF finding_text, search_tsv does not match the new word")),
        Arguments.of("copy trigger disabled", "ALTER TABLE learning_memories DISABLE TRIGGER learning_memories_search_update",
            List.of("WRONG trigger learning_memories.learning_memories_search_update: expected AFTER UPDATE ON learning_memories",
                "WRONG triggers learning_memories_search_* keep the copy: after UPDATE OF finding_text, learning_memories_search does not hold the new search_tsv")),
        Arguments.of("copy trigger function that does nothing", "CREATE OR REPLACE FUNCTION learning_memories_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$",
            List.of("WRONG triggers learning_memories_search_* keep the copy: after INSERT of a live row, learning_memories_search does not hold it")),
        Arguments.of("trigger function that does nothing", "CREATE OR REPLACE FUNCTION findings_search_tsv_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
            List.of("WRONG trigger findings_search_tsv_trigger fires: after INSERT, search_tsv does not match a word of title")),
        Arguments.of("tsvector column dropped", "ALTER TABLE findings DROP COLUMN search_tsv CASCADE",
            List.of("MISSING column findings.search_tsv tsvector", "MISSING index idx_findings_search_tsv", "MISSING trigger findings.findings_search_tsv_trigger",
                "WRONG trigger findings_search_tsv_trigger fires: probe row failed")));
  }

  /** Each break is made inside a transaction that is rolled back, so every case starts from the full schema. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("breaks")
  void schemaCheckReportsExactlyWhatIsBroken(String name, String sql, List<String> expected) throws Exception {
    List<String> failures = brokenBy(sql);
    assertEquals(expected.size(), failures.size(), "failures: " + failures);
    for (int i = 0; i < expected.size(); i++)
      assertTrue(failures.get(i).startsWith(expected.get(i)), "expected " + expected.get(i) + "\n   found " + failures.get(i));
  }

  @Test void schemaCheckReportsTheExtensionVersion() throws Exception {
    try (Connection c = db.connect(); Statement st = c.createStatement()) {
      ResultSet rs = st.executeQuery("SELECT rolsuper FROM pg_roles WHERE rolname = current_user");
      assumeTrue(rs.next() && rs.getBoolean(1), "faking an old extension version needs a superuser");
    }
    // pgvector ships no 0.7 install script to downgrade to: rewrite the catalog inside a rolled-back transaction.
    assertEquals(List.of("WRONG extension vector: expected version >= 0.8.0, found 0.7.4"),
        brokenBy("UPDATE pg_extension SET extversion = '0.7.4' WHERE extname = 'vector'"));
    assertTrue(SchemaCheck.atLeast("0.8.0", SchemaCheck.MIN_VECTOR_VERSION));
    assertTrue(SchemaCheck.atLeast("0.10.1", SchemaCheck.MIN_VECTOR_VERSION));
    assertFalse(SchemaCheck.atLeast("0.7.4", SchemaCheck.MIN_VECTOR_VERSION));
  }

  /** Every table, dropped: reported as MISSING, and nothing else but what went with it (FKs to it, the probes that write it). */
  @Test void schemaCheckReportsEachMissingTable() throws Exception {
    for (ExpectedSchema.Table t : ExpectedSchema.TABLES) {
      List<String> failures = brokenBy("DROP TABLE " + t.name() + " CASCADE");
      assertTrue(failures.stream().anyMatch(l -> l.startsWith("MISSING table " + t.name() + " (")), t.name() + ": " + failures);
      Predicate<String> explained = l -> l.startsWith("MISSING table " + t.name() + " (")
          || (l.startsWith("MISSING constraint ") && l.contains("REFERENCES " + t.name() + "("))
          || (l.contains("_search_tsv_trigger fires") && List.of("reviews", "findings", "learning_memories").contains(t.name()))
          // the probe of a slice-A table's own trigger
          || (l.startsWith("MISSING trigger " + t.name() + "_") && l.endsWith("fires: no table " + t.name()))
          // without 010's copy, its triggers make every write of a memory fail, the probe's too
          || (t.name().equals("learning_memories_search") && l.startsWith("WRONG trigger learning_memories_search_tsv_trigger fires: probe row failed")
              && l.contains("learning_memories_search"));
      assertEquals(List.of(), failures.stream().filter(explained.negate()).toList(), "unrelated failures after dropping " + t.name());
    }
    assertEquals(16 + 17 + 24, ExpectedSchema.TABLES.size(),
        "_migrations, the 14 tables, 010's learning_memories_search, kodiai's 17 tables of slice A (020-032)"
        + " and the 24 of slice B (050-067)");
  }

  /**
   * Every object of the migrated catalog has an expectation in ExpectedSchema (and so a line in
   * schema-check): a line deleted from the expected schema, or a migration that adds an object without
   * adding its expectation, fails here. Sequences (of identity and serial columns), the public schema,
   * comments and plpgsql are implied; every other kind of object must be expected.
   */
  @Test void everyObjectOfTheMigratedCatalogHasAnExpectation() throws Exception {
    java.util.Set<String> expected = new java.util.HashSet<>();
    for (ExpectedSchema.Table t : ExpectedSchema.TABLES) {
      expected.add("table " + t.name());
      for (ExpectedSchema.Column col : t.columns()) expected.add("column " + t.name() + "." + col.name());
      for (ExpectedSchema.Named o : t.objects())
        expected.add(switch (o.kind()) {
          case "constraint" -> { expected.add("index " + o.name()); yield "constraint " + t.name() + "." + o.name(); } // its index, if any
          case "trigger" -> "trigger " + t.name() + "." + o.name();
          default -> "index " + o.name(); // index, hnsw
        });
    }
    for (ExpectedSchema.Function f : ExpectedSchema.FUNCTIONS) expected.add("function " + f.signature());
    expected.add("extension vector");
    ExpectedSchema.DATABASE_SETTINGS.forEach((k, v) -> expected.add("database setting " + k + "=" + v));
    List<String> unexpected = new java.util.ArrayList<>();
    try (Connection c = db.connect()) {
      for (String line : CatalogSnapshot.take(c)) {
        String[] w = line.split(" ", 3);
        String kind = w[0], name = w[1].startsWith("public.") ? w[1].substring(7) : w[1];
        // learning_memories' partitions (migration 070): checked as "partitioning of learning_memories"
        if (name.startsWith("learning_memories_default") || name.startsWith("learning_memories_repo_")) continue;
        String key = switch (kind) {
          case "schema", "sequence", "comment" -> null;
          case "relation" -> line.contains(" kind=S ") || line.endsWith(" kind=S") ? null : "table " + name.split(" ")[0];
          case "extension" -> name.equals("plpgsql") ? null : "extension " + name;
          case "function" -> "function " + line.substring("function public.".length(), line.indexOf(')') + 1);
          case "database" -> line; // database setting NAME=VALUE
          default -> kind + " " + name;
        };
        if (key != null && !expected.contains(key)) unexpected.add(key + "   <- " + line);
      }
    }
    assertEquals(List.of(), unexpected, "objects of the migrated schema that ExpectedSchema does not expect");
  }

  // ------------------------------------------------------------ changes nothing, says why (issue 15)

  /** Running the check leaves every sequence where it was: the probe rows take no identity value. */
  @Test void schemaCheckAdvancesNoSequence() throws Exception {
    try (Connection c = db.connect(); Statement st = c.createStatement()) {
      String seqs = "SELECT string_agg(sequencename || '=' || coalesce(last_value::text, 'unused'), ', ' ORDER BY sequencename) FROM pg_sequences";
      ResultSet rs = st.executeQuery(seqs);
      rs.next();
      String before = rs.getString(1);
      assertEquals(List.of(), SchemaCheck.check(c));
      assertEquals(List.of(), SchemaCheck.check(c));
      rs = st.executeQuery(seqs);
      rs.next();
      assertEquals(before, rs.getString(1), "schema-check moved a sequence");
    }
  }

  /** A user who may only read: every definition is still checked; the write probes are SKIP lines that say why, not WRONG. */
  @Test void aReadOnlyUserIsToldItLacksPrivilegesNotThatTheSchemaIsWrong() throws Exception {
    String role = "ro_" + ProcessHandle.current().pid();
    try (Connection c = db.connect(); Statement st = c.createStatement()) {
      st.execute("CREATE ROLE " + role + " LOGIN PASSWORD 'Read-Only-9'");
      st.execute("GRANT CONNECT ON DATABASE " + db.name() + " TO " + role);
      st.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO " + role);
    }
    try {
      DbClient.Target admin = DbClient.parse(db.url());
      String url = DbClient.url(role, "Read-Only-9", admin.host(), admin.port(), admin.database());
      try (Connection c = DbClient.open(url)) {
        SchemaCheck.Report r = SchemaCheck.run(c);
        assertEquals(List.of(), r.failures());
        List<String> skipped = r.lines().stream().filter(l -> l.startsWith("SKIP")).toList();
        // the probes of 003 (2), 010 and of the slice-A triggers (3)
        assertEquals(6, skipped.size(), r.lines().toString());
        for (String l : skipped) assertTrue(l.contains("not probed: the user lacks privileges (ERROR: permission denied for table"), l);
        assertTrue(r.summary().endsWith(", 6 skipped (the user lacks privileges)"), r.summary());
      }
    } finally {
      try (Connection c = db.connect(); Statement st = c.createStatement()) {
        st.execute("DROP OWNED BY " + role);
        st.execute("DROP ROLE " + role);
      }
    }
  }

  /** A password in the argument is visible in `ps`: the same warning migrate gives for --url. */
  @Test void aPasswordInTheArgumentDrawsAWarning() {
    Captured c = Captured.run(new CommandLine(new SchemaCheck()), db.url());
    assertEquals(0, c.code(), c.toString());
    assertTrue(DbClient.parse(db.url()).hasPassword());
    assertEquals(SchemaCheck.PASSWORD_IN_ARGS_WARNING + "\n", c.err());
  }

  // ====================================================================== helpers

  /** SchemaCheck's failures after `sql`, in a transaction that is then rolled back. */
  static List<String> brokenBy(String sql) throws SQLException {
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      try {
        try (Statement st = c.createStatement()) { st.execute(sql); }
        return SchemaCheck.check(c);
      } finally {
        c.rollback();
      }
    }
  }

  static int schemaCheckExit(String url) {
    return Captured.run(new CommandLine(new SchemaCheck()), url).code();
  }
}
