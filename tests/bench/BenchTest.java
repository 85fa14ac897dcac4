import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs `bench retrieval` and `bench hybrid` in-process on tiny data, so the benches cannot silently rot. */
class BenchTest {
  @TempDir Path tmp;

  static final List<String> CLASSES = List.of("dominant", "small", "owner");
  static final List<String> RETRIEVAL_CLASSES = List.of("dominant", "medium", "small", "owner");
  static final List<String> MODES = List.of("off", "relaxed_order", "strict_order");
  static final List<String> FIELDS = List.of("query_class", "ef_search", "iterative_scan", "recommended", "recall",
      "short_queries", "p50_ms", "p95_ms", "exact_p50_ms");

  String[] args(String command, Path json) {
    return new String[] {command, "--url", TestDatabase.adminUrl(), "--rows", "2000", "--repos", "30",
        "--queries", "12", "--k", "10", "--seed", "7", "--json", json.toString()};
  }

  @Test void retrievalMeasuresEveryClassAndSettingAgainstTheExactAnswer() throws Exception {
    Path json = tmp.resolve("retrieval.json");
    assertEquals(0, bench.execute(args("retrieval", json)));
    List<Map<String, String>> objs = parse(Files.readString(json));

    Map<String, String> summary = objs.stream().filter(o -> o.containsKey("load_rows_per_s")).findFirst().orElseThrow();
    for (String f : List.of("load_rows_per_s", "hnsw_build_s", "index_mb", "halfvec_build_s", "halfvec_index_mb"))
      assertTrue(num(summary, f) > 0, f + " > 0 in " + summary);

    List<Map<String, String>> rows = objs.stream().filter(o -> o.containsKey("query_class")).toList();
    for (Map<String, String> r : rows) {
      for (String f : FIELDS) assertTrue(r.containsKey(f), "field " + f + " in " + r);
      assertTrue(RETRIEVAL_CLASSES.contains(r.get("query_class")), r.toString());
      double recall = num(r, "recall");
      assertTrue(recall >= 0 && recall <= 1, "recall in [0,1]: " + r);
      assertTrue(num(r, "short_queries") >= 0 && num(r, "short_queries") <= 12, r.toString());
      assertTrue(num(r, "p50_ms") > 0 && num(r, "p50_ms") <= num(r, "p95_ms"), "p50 <= p95: " + r);
      assertTrue(num(r, "exact_p50_ms") > 0, r.toString());
      if (!r.get("plan").contains("hnsw")) { // an exact plan (btree or sequential scan) must match the exact answer
        assertEquals(1.0, recall, 1e-9, "exact plan, recall 1: " + r);
        assertEquals(0, (int) num(r, "short_queries"), r.toString());
      }
    }
    for (String cls : RETRIEVAL_CLASSES) {
      for (int ef : new int[] {40, 100, 200})
        for (String mode : MODES)
          assertTrue(rows.stream().anyMatch(r -> r.get("query_class").equals(cls) && num(r, "ef_search") == ef
              && r.get("iterative_scan").equals(mode) && r.get("index").equals("vector")), cls + " ef " + ef + " " + mode);
      List<Map<String, String>> rec = rows.stream().filter(r -> r.get("query_class").equals(cls) && r.get("recommended").equals("true")).toList();
      assertEquals(1, rec.size(), "one recommended setting for " + cls);
      assertEquals(String.valueOf(BenchRetrieval.RECOMMENDED_EF), rec.get(0).get("ef_search"));
      assertEquals(BenchRetrieval.RECOMMENDED_MODE, rec.get(0).get("iterative_scan"));
      assertTrue(num(rec.get(0), "recall") >= 0.9, "recommended recall: " + rec.get(0));
      assertEquals(0, (int) num(rec.get(0), "short_queries"), "recommended setting never returns short: " + rec.get(0));
    }
    assertTrue(rows.stream().anyMatch(r -> r.get("plan").contains("hnsw")), "the HNSW index was used at all");
    assertNoScratchDatabaseLeft();
  }

  @Test void hybridMeasuresTheFusionAgainstTheExactFusion() throws Exception {
    Path json = tmp.resolve("hybrid.json");
    assertEquals(0, bench.execute(args("hybrid", json)));
    List<Map<String, String>> objs = parse(Files.readString(json));
    assertTrue(objs.stream().anyMatch(o -> o.containsKey("load_rows_per_s") && num(o, "hnsw_build_s") > 0));
    List<Map<String, String>> rows = objs.stream().filter(o -> o.containsKey("query_class")).toList();
    assertEquals(CLASSES.size() * 9, rows.stream().filter(r -> r.get("text_match").equals("all_words")).count(), "3 classes x 9 settings");
    assertEquals(CLASSES.size(), rows.stream().filter(r -> r.get("text_match").equals("any_word")).count(), "any_word: recommended setting");
    for (Map<String, String> r : rows) {
      for (String f : FIELDS) assertTrue(r.containsKey(f), "field " + f + " in " + r);
      assertTrue(num(r, "recall") >= 0 && num(r, "recall") <= 1, r.toString());
      assertTrue(num(r, "p50_ms") > 0 && num(r, "p50_ms") <= num(r, "p95_ms"), r.toString());
    }
    for (String cls : CLASSES) {
      List<Map<String, String>> rec = rows.stream().filter(r -> r.get("query_class").equals(cls) && r.get("recommended").equals("true")).toList();
      assertEquals(1, rec.size(), "one recommended setting for " + cls);
      assertTrue(num(rec.get(0), "recall") >= 0.9, "recommended recall: " + rec.get(0));
    }
    assertNoScratchDatabaseLeft();
  }

  @Test void rejectsBadOptionsWithUsageExit() {
    assertEquals(2, bench.execute("retrieval", "--rows", "10", "--url", TestDatabase.adminUrl()));
    assertEquals(2, bench.execute("hybrid", "--dominant-share", "1.5", "--url", TestDatabase.adminUrl()));
  }

  static void assertNoScratchDatabaseLeft() throws Exception {
    try (Connection c = DbClient.open(TestDatabase.adminUrl()); Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_database WHERE datname LIKE 'kodiai_bench_" + ProcessHandle.current().pid() + "_%'")) {
      rs.next();
      assertEquals(0, rs.getInt(1), "scratch database dropped");
    }
  }

  static double num(Map<String, String> o, String k) {
    assertTrue(o.containsKey(k), "field " + k + " in " + o);
    return Double.parseDouble(o.get(k));
  }

  /** The bench writes a JSON array of flat objects; strings are unquoted here (no escapes occur in these values). */
  static List<Map<String, String>> parse(String json) {
    String t = json.strip();
    assertTrue(t.startsWith("[") && t.endsWith("]"), "a JSON array");
    List<Map<String, String>> out = new ArrayList<>();
    Matcher obj = Pattern.compile("\\{([^{}]*)\\}").matcher(t);
    Pattern field = Pattern.compile("\"([a-z0-9_]+)\"\\s*:\\s*(\"(?:[^\"\\\\]|\\\\.)*\"|[^,}\\s]+)");
    while (obj.find()) {
      Map<String, String> m = new LinkedHashMap<>();
      Matcher f = field.matcher(obj.group(1));
      while (f.find()) {
        String v = f.group(2);
        m.put(f.group(1), v.startsWith("\"") ? v.substring(1, v.length() - 1) : v);
      }
      out.add(m);
    }
    assertFalse(out.isEmpty(), "objects in the array");
    return out;
  }
}
