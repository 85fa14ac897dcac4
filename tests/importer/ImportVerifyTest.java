// Issue 10, item 7: the verification's checksum (record_send() of every written column,
// hashed on both sides; importer/Checksum.java) finds the smallest change PostgreSQL could
// make to a value of any type the importer writes, names the table and the id, and leaves
// the target as it was. Its binary numeric form is PostgreSQL's own, value for value.

import static org.junit.jupiter.api.Assertions.*;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImportVerifyTest extends ImportFixtures {
  @TempDir Path dir;

  /** One meddling: on the way into `table`, the row with id 2 gets `assignment` (plpgsql, on NEW). */
  record Meddle(String table, String assignment) {}

  static final List<Meddle> MEDDLES = List.of(
      new Meddle("learning_memories", "NEW.embedding := (SELECT array_agg(CASE WHEN o = 7 THEN x + 0.001 ELSE x END ORDER BY o)"
          + " FROM unnest(NEW.embedding::real[]) WITH ORDINALITY u(x, o))::vector"),          // one element of 1024 (a half step at least: since 007 the column is halfvec)
      new Meddle("learning_memories", "NEW.created_at := NEW.created_at + interval '1 microsecond'"),
      new Meddle("learning_memories", "NEW.stale := NOT NEW.stale"),
      new Meddle("learning_memories", "NEW.finding_id := NEW.finding_id + 1"),                  // bigint
      new Meddle("reviews", "NEW.config_snapshot := jsonb_set(NEW.config_snapshot, '{n}', '2')"), // jsonb
      new Meddle("reviews", "NEW.pr_number := NEW.pr_number + 1"),                              // integer
      new Meddle("telemetry_events", "NEW.cost_usd := NEW.cost_usd + 0.0000000001"),           // numeric(18,10), the last digit
      new Meddle("telemetry_events", "NEW.pr_author := coalesce(NEW.pr_author, '')"),          // NULL becomes ''
      new Meddle("rate_limit_events", "NEW.cache_hit_rate := NEW.cache_hit_rate + 1e-16"),     // double precision, the last bit
      new Meddle("telemetry_events", "NEW.model := NEW.model || ' '"));                         // text

  @Test void theSmallestChangeToAValueOfAnyTypeIsFoundAndNothingIsCommitted() throws Exception {
    Path k = dir.resolve("k.db"), t = dir.resolve("t.db");
    try (Connection c = BenchImportFiles.knowledge(k, BenchImportFiles.Shape.CURRENT)) {
      exec(c, "INSERT INTO reviews (repo, pr_number, config_snapshot) VALUES ('acme/api', 1, '{\"n\": 1}'), ('acme/api', 2, '{\"n\": 1, \"a\": [1.50, \"x\"]}')");
      SplittableRandom r = new SplittableRandom(3);
      for (int i = 1; i <= 3; i++) BenchImportFiles.insertMemory(c, "acme/api", 4_000_000_000L + i, "memory " + i, "minor", "style", "accepted", BenchImportFiles.unitVector(r, 1024), false);
    }
    try (Connection c = BenchImportFiles.telemetry(t, BenchImportFiles.Shape.CURRENT)) {
      exec(c, "INSERT INTO executions (repo, event_type, model, conclusion, cost_usd, pr_author) VALUES ('acme/api', 'review', 'm', 'success', 0.1, 'dev'),"
              + " ('acme/api', 'review', 'm', 'success', 0.30000000000000004, NULL)",
          "INSERT INTO rate_limit_events (repo, event_type, cache_hit_rate, skipped_queries, retry_attempts, degradation_path) VALUES"
              + " ('acme/api', 'search', 0.25, 0, 0, 'none'), ('acme/api', 'search', 0.1, 0, 0, 'none')");
    }
    withDatabase("verify_types", url -> {
      Migrations.run(url, migrations(), null);
      Map<String, String> before = targetState(url);
      for (Meddle m : MEDDLES) {
        try (Connection pg = DbClient.open(url)) {
          exec(pg, "CREATE OR REPLACE FUNCTION meddle() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.id = 2 THEN " + m.assignment() + "; END IF; RETURN NEW; END $$",
              "CREATE TRIGGER meddle BEFORE INSERT ON " + m.table() + " FOR EACH ROW EXECUTE FUNCTION meddle()");
        }
        Run r = importInto(url, "--knowledge", k.toString(), "--telemetry", t.toString());
        assertEquals(ExitCode.FAILED, r.exit(), m + ": " + r.all());
        assertEquals(new ImportFailure.VerifyFailed(List.of(m.table() + ": checksums differ; rows that differ: 2")),
            r.kind(), m + ": " + r.all());
        assertEquals(before, targetState(url), m + ": rows and sequences as before");
        try (Connection pg = DbClient.open(url)) { exec(pg, "DROP TRIGGER meddle ON " + m.table()); }
      }
      Run clean = importInto(url, "--knowledge", k.toString(), "--telemetry", t.toString()); // the same files, nothing meddling: verified
      assertEquals(0, clean.exit(), clean.all());
    });
  }

  @Test void numericIsSentAsPostgresqlSendsItBack() throws Exception {
    withDatabase("verify_numeric", url -> {
      try (Connection pg = DbClient.open(url); Statement st = pg.createStatement()) {
        for (String v : List.of("0", "0.0000000000", "1.5", "-1.5", "1.50", "0.0001", "0.00012", "-0.0000000001", "12345678.9", "99999999.9999999999",
            "10000", "1E+20", "123456789012345678", "0.30000000000000004", "5E-324")) {
          for (int scale : new int[] {-1, 10}) {
            BigDecimal d = new BigDecimal(v);
            String cast = "numeric";
            if (scale >= 0) {
              d = d.setScale(scale, RoundingMode.HALF_UP);
              if (d.precision() - d.scale() > 8) continue; // does not fit numeric(18,10)
              cast = "numeric(18,10)";
            }
            try (ResultSet rs = st.executeQuery("SELECT numeric_send('" + v + "'::" + cast + ")")) {
              rs.next();
              ByteBuffer b = ByteBuffer.allocate(4096);
              PgBinary.numeric(n -> b, d);
              byte[] sent = java.util.Arrays.copyOfRange(b.array(), 4, b.position()); // without the int32 length
              assertEquals(HexFormat.of().formatHex(rs.getBytes(1)), HexFormat.of().formatHex(sent), v + "::" + cast);
            }
          }
        }
      }
    });
  }
}
