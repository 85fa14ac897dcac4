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

  static final List<String> HYBRID_CLASSES = List.of("dominant", "common", "1%", "owner", "6%", "10%", "25%");
  static final List<String> RETRIEVAL_CLASSES = List.of("0.1%", "1%", "3%", "6%", "10%", "25%", "dominant", "owner",
      "owner+dom");
  static final List<String> FIELDS = List.of("query_class", "live_rows", "ef_search", "iterative_scan", "recommended", "recall",
      "short_queries", "p50_ms", "p95_ms", "exact_p50_ms");
  static final List<String> RETRIEVAL_FIELDS = List.of("query_class", "live_rows", "strategy", "recall",
      "short_queries", "p50_ms",
      "p95_ms", "cpu_p95_ms", "plan", "target_met");

  String[] args(String command, Path json, String... more) {
    List<String> a = new ArrayList<>(List.of(command, "--url", TestDatabase.adminUrl(), "--rows", "2000", "--repos", "30",
        "--queries", "12", "--k", "10", "--seed", "7", "--json", json.toString()));
    a.addAll(List.of(more));
    return a.toArray(String[]::new);
  }

  @Test void retrievalMeasuresEveryRepoSizeAgainstTheExactAnswerAndDrawsTheChart() throws Exception {
    Path json = tmp.resolve("retrieval.json"), png = tmp.resolve("chart.png");
    // --repo-index-min-rows 300: the dominant repo (~700 live rows of 2,000) gets its own index, as indexes sync does above 3,000
    assertEquals(0, bench.execute(args("retrieval", json, "--chart", png.toString(), "--repo-index-min-rows", "300")));
    List<Map<String, String>> objs = parse(Files.readString(json));

    Map<String, String> summary = objs.stream().filter(o -> o.containsKey("load_rows_per_s")).findFirst().orElseThrow();
    for (String f : List.of("load_rows_per_s", "table_mb", "warm_set_mb"))
      assertTrue(num(summary, f) > 0, f + " > 0 in " + summary);
    assertFalse(summary.containsKey("hnsw_build_s"), "no global HNSW index since issue 22: " + summary);
    assertEquals("none", summary.get("shape"));
    assertEquals("true", summary.get("repo_indexes"));
    assertTrue(num(summary, "repo_indexes_built") >= 1 && num(summary, "repo_indexes_mb") > 0, summary.toString());

    List<Map<String, String>> rows = objs.stream().filter(o -> o.containsKey("query_class")).toList();
    for (Map<String, String> r : rows) {
      for (String f : RETRIEVAL_FIELDS) assertTrue(r.containsKey(f), "field " + f + " in " + r);
      assertTrue(RETRIEVAL_CLASSES.contains(r.get("query_class")), r.toString());
      double recall = num(r, "recall");
      assertTrue(recall >= 0 && recall <= 1, "recall in [0,1]: " + r);
      assertTrue(num(r, "p50_ms") > 0 && num(r, "p50_ms") <= num(r, "p95_ms"), "p50 <= p95: " + r);
      if (r.get("strategy").equals("exact")) { // the halfvec, exactly: the float32 answer but for near-ties
        assertTrue(recall >= 0.98, "exact plan, recall ~1: " + r);
        assertEquals(0, (int) num(r, "short_queries"), r.toString());
      }
      if (r.get("strategy").equals("bot")) {
        assertNotEquals("hnsw", r.get("plan"), "no global HNSW index serves the bot: " + r);
        boolean met = recall >= 0.95 && num(r, "short_queries") == 0 && Math.min(num(r, "p95_ms"), num(r,
            "cpu_p95_ms")) <= 10;
        assertEquals(String.valueOf(met), r.get("target_met"), "target_met says what the figures say: " + r);
      }
    }
    for (String cls : RETRIEVAL_CLASSES) {
      List<String> strategies = rows.stream().filter(r -> r.get("query_class").equals(cls))
          .map(r -> r.get("strategy")).toList();
      assertEquals(cls.startsWith("owner") ? List.of("bot", "exact") : List.of("bot", "exact", "rule"), strategies,
          cls);
      Map<String, String> bot = rows.stream().filter(r -> r.get("query_class").equals(cls)
          && r.get("strategy").equals("bot"))
          .findFirst().orElseThrow();
      assertTrue(num(bot, "recall") >= 0.95, "kodiai's own statement, recall: " + bot);
      assertEquals(0, (int) num(bot, "short_queries"), "never short: " + bot);
    }
    byte[] head = Files.readAllBytes(png);
    assertTrue(head.length > 1000 && head[1] == 'P' && head[2] == 'N' && head[3] == 'G', "a PNG chart");
    assertNoScratchDatabaseLeft();
  }

  /**
   * --setup-sql: the owner-query prototype (learning_memories partitioned by repo) runs before the measurement and the
   * bot's unchanged statements are measured on it; at 2,000 rows no repo passes 3,000, so every repo is in the
   * DEFAULT partition, served exactly.
   */
  @Test void retrievalMeasuresAPrototypeLayoutFromSetupSql() throws Exception {
    Path json = tmp.resolve("prototype.json");
    Path sql = Path.of("bench/prototypes/partition-by-repo.sql");
    java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
    java.io.PrintStream old = System.out;
    System.setOut(new java.io.PrintStream(buf, true));
    int code;
    try {
      code = bench.execute(args("retrieval", json, "--no-repo-indexes", "--setup-sql", sql.toString()));
    } finally {
      System.setOut(old);
    }
    String out = buf.toString();
    assertEquals(0, code, out);
    assertTrue(out.contains("ran " + sql + " in "), out);
    assertTrue(out.contains("  owner+dom measured"), out);
    for (Map<String, String> r : parse(Files.readString(json)))
      if ("bot".equals(r.get("strategy"))) {
        assertTrue(num(r, "recall") >= 0.98, "every repo exact in the DEFAULT partition: " + r);
        assertEquals(0, (int) num(r, "short_queries"), r.toString());
      }
    assertNoScratchDatabaseLeft();
  }

  /** `bench adopt`'s sampler keeps the strongest table lock it saw: ranked as PostgreSQL's conflict table ranks them. */
  @Fast @Test void adoptSamplerKeepsTheStrongestLockSeen() {
    AdoptSampler.Seen s = new AdoptSampler.Seen("x");
    AdoptSampler.strongest(s, null);
    assertEquals("", s.strongest);
    AdoptSampler.strongest(s, "AccessShareLock learning_memories,RowExclusiveLock findings");
    assertEquals("RowExclusiveLock findings", s.strongest + " " + s.strongestOn);
    AdoptSampler.strongest(s, "ShareUpdateExclusiveLock reviews,AccessShareLock reviews");
    assertEquals("ShareUpdateExclusiveLock reviews", s.strongest + " " + s.strongestOn);
    AdoptSampler.strongest(s, "RowShareLock findings");
    assertEquals("ShareUpdateExclusiveLock reviews", s.strongest + " " + s.strongestOn, "a weaker one later");
    AdoptSampler.strongest(s, "AccessExclusiveLock telemetry_events");
    assertEquals("AccessExclusiveLock telemetry_events", s.strongest + " " + s.strongestOn);
  }

  /** The rule docs/retrieval.md gave before issue 22 (the bench's peer): exact up to 3,000 rows, ef_search up with size. */
  @Fast @Test void theRecommendedRuleFollowsTheRepoSize() {
    assertEquals(List.of("enable_indexscan = off"), BenchRetrieval.settingsFor(3_000));
    assertEquals(List.of(), BenchRetrieval.settingsFor(3_001));
    assertEquals(List.of(), BenchRetrieval.settingsFor(50_000));
    assertEquals(List.of("hnsw.ef_search = 200"), BenchRetrieval.settingsFor(50_001));
    assertEquals(List.of("hnsw.ef_search = 200"), BenchRetrieval.settingsFor(150_000));
    assertEquals(List.of("hnsw.ef_search = 400"), BenchRetrieval.settingsFor(150_001));
  }

  @Test void hybridMeasuresTheFusionAgainstTheExactFusion() throws Exception {
    Path json = tmp.resolve("hybrid.json");
    Captured run = Captured.run(Cli.commandLine(new bench(), DbClient::redact), args("hybrid", json));
    int code = run.code();
    String out = run.out();
    assertEquals(0, code, out);
    List<Map<String, String>> objs = parse(Files.readString(json));
    Map<String, String> summary = objs.stream().filter(o -> o.containsKey("load_rows_per_s")).findFirst().orElseThrow();
    assertTrue(num(summary, "table_mb") > 0, summary.toString());
    assertEquals("true", summary.get("repo_indexes"), "measured as production runs: after indexes sync");
    List<Map<String, String>> rows = objs.stream().filter(o -> o.containsKey("query_class")).toList();
    for (String text : BenchHybrid.TEXT_MATCHES)
      assertEquals(HYBRID_CLASSES.size(), rows.stream().filter(r -> r.get("text_match").equals(text)).count(), "every class, " + text);
    for (Map<String, String> r : rows) {
      for (String f : FIELDS) assertTrue(r.containsKey(f), "field " + f + " in " + r);
      assertTrue(HYBRID_CLASSES.contains(r.get("query_class")), r.toString());
      assertTrue(num(r, "recall") >= 0.9 && num(r, "recall") <= 1, r.toString());
      assertEquals(0, (int) num(r, "short_queries"), r.toString());
      assertTrue(num(r, "p50_ms") > 0 && num(r, "p50_ms") <= num(r, "p95_ms"), r.toString());
      boolean onCpu = !"null".equals(r.get("cpu_p95_ms")); // readable from /proc where the server runs on this machine
      if (onCpu) assertTrue(num(r, "cpu_p50_ms") > 0 && num(r, "cpu_p50_ms") <= num(r, "cpu_p95_ms"), "on-CPU time: " + r);
      // the recommended query is the any-word one through migration 009's function, and only it
      assertEquals(r.get("text_match").equals("any_word"), r.get("recommended").equals("true"), r.toString());
      boolean met = num(r, "recall") >= 0.95 && num(r, onCpu ? "cpu_p95_ms" : "p95_ms") <= 25;
      assertEquals(String.valueOf(met), r.get("target_met"), "target_met says what the figures say: " + r);
    }
    // The common class: the dominant repo's queries with two common words more, so its any-word rows match more.
    assertEquals(rows.stream().filter(r -> r.get("query_class").equals("dominant")).findFirst().orElseThrow().get("live_rows"),
        rows.stream().filter(r -> r.get("query_class").equals("common")).findFirst().orElseThrow().get("live_rows"));
    boolean allMet = rows.stream().filter(r -> r.get("recommended").equals("true")).allMatch(r -> r.get("target_met").equals("true"));
    assertEquals(String.valueOf(allMet), summary.get("target_met"), summary.toString());
    assertTrue(out.contains("hybrid target (recommended any_word: recall >= 0.95, no short results, p95 <= 25 ms on-CPU): "
        + (allMet ? "met in every class" : "MISSED in ")), out);
    assertEquals(HYBRID_CLASSES.size(), out.lines().filter(l -> l.contains(" any_word ") && l.endsWith("<- recommended")).count(), out);
    assertNoScratchDatabaseLeft();
  }

  /** --shape b1ms on a throwaway cluster: Azure's B1ms parameters, and the limits really in force (or why not). */
  @Test void shapedRunSaysWhichLimitsAreInForce() throws Exception {
    Captured run = Captured.run(Cli.commandLine(new bench(), DbClient::redact), "retrieval", "--shape", "b1ms", "--rows", "400", "--repos", "12", "--queries", "3");
    int code = run.code();
    String out = run.out();
    assertEquals(0, code, out);
    assertTrue(out.contains("in force: server: shared_buffers 256MB, effective_cache_size 1792MB, maintenance_work_mem 97MB, "
        + "work_mem 4MB, max_connections 50, random_page_cost 2"), out);
    boolean limited = out.contains("memory limit 2,048 MiB incl. page cache");
    assertTrue(limited || out.contains("note: "), "either the limit is in force or a note says why not: " + out);
    if (LocalCluster.runningAsRoot() && java.nio.file.Files.isWritable(BenchShape.CGROUP_ROOT)) {
      assertTrue(limited, out);
      assertTrue(out.matches("(?s).*CPUs \\d+ of \\d+;.*"), "one CPU: " + out);
      assertTrue(out.contains("memory cgroup: now"), out);
    }
    assertTrue(out.contains("<- targets met") || out.contains("<- target MISSED"), out);
  }

  /** `bench migrate`: the runner against psql's floor, and the cached no-op beside its floor and JBang's own share. */
  @Test void migrateReportsTheNoOpBesideItsFloor() throws Exception {
    Path json = tmp.resolve("migrate.json");
    Captured run = Captured.run(Cli.commandLine(new bench(), DbClient::redact), "migrate", "--url", TestDatabase.adminUrl(), "-n", "3", "--rounds", "1", "--noop-runs", "1", "--json", json.toString());
    int code = run.code();
    String out = run.out();
    assertEquals(0, code, out);
    assertTrue(out.matches("(?s).*migrate@kodiai up \\(bundled, nothing pending\\) +\\d+\\.\\d\\d s +\\(target <= 0\\.6 s\\) +(OK|MISSED).*"), out);
    assertTrue(out.matches("(?s).*KODIAI_JBANG_NO_CACHE=1.*JBang's own JVM: -?\\d+\\.\\d\\d s of it.*"), out);
    assertTrue(out.matches("(?s).*floor: psql reading _migrations \\(connect \\+ one query\\) +\\d+\\.\\d\\d s.*"), out);
    assertTrue(out.contains("dbmate status"), out);
    Map<String, String> j = parse("[" + Files.readString(json) + "]").get(0);
    for (String f : List.of("noop_s", "noop_jbang_uncached_s", "noop_psql_s")) assertTrue(num(j, f) > 0, f + " in " + j);
  }

  /** `bench adopt`: a kodiai-shaped database adopted by `up` under the workload; the lock table and the proof printed
   * (the figures are the bench's; the exit code says whether a hold passed 2 s, which a loaded machine may). */
  @Test void adoptPrintsTheLockTableAndThePerTableProof() throws Exception {
    Path json = tmp.resolve("adopt.json");
    Captured run = Captured.run(Cli.commandLine(new bench(), DbClient::redact), "adopt", "--url", TestDatabase.adminUrl(), "--rows", "1000", "--json", json.toString());
    int code = run.code();
    String out = run.out();
    assertTrue(code == 0 || code == 1, out);
    assertTrue(out.matches("(?s).*total \\d+\\.\\d s; longest ACCESS EXCLUSIVE hold \\d+ ms;"
        + " longest lock wait of the bot \\d+ ms.*"), out);
    for (String t : KodiaiAdoption.FOUNDATION) {
      assertTrue(out.matches("(?s).*\\n" + t + " +\\d+ rows .*"), t + " in " + out);
    }
    assertTrue(out.matches("(?s).*\\nlearning_memories +1000 rows .*"), out);
    List<Map<String, String>> steps = parse("[" + Files.readString(json) + "]");
    assertTrue(out.matches("(?s).*\\nmigrate up(: exit 0| stopped: .*) \\(\\d+\\.\\d s\\)\\n.*"), out);
    assertTrue(steps.size() > 10, "one row per statement of `up` the sampler saw (every 10 ms)");
    for (Map<String, String> st : steps) {
      assertTrue(num(st, "max_access_exclusive_ms") >= 0, st.toString());
      assertTrue(st.get("strongest_lock").isEmpty() || AdoptSampler.MODES.contains(st.get("strongest_lock")),
          st.toString());
    }
    assertTrue(steps.stream().anyMatch(st -> !st.get("strongest_lock").isEmpty()), "a lock seen: " + steps);
    assertTrue(out.matches("(?s).*\\nper migration:\\n.*\\n001-initial-schema\\.sql +\\d+\\.\\d .*"), out);
    assertNoScratchDatabaseLeft();
  }

  /** `bench adopt` fills with kodiai's HNSW indexes left out and builds them after: the indexes kodiai's are. */
  @Test void adoptBuildsKodiaisHnswIndexesAfterTheFill() throws Exception {
    String bench = FreshDatabase.create("adopt_bench"), plain = FreshDatabase.create("adopt_plain");
    try {
      var out = new java.io.ByteArrayOutputStream();
      try (Connection c = DbClient.open(FreshDatabase.urlFor(bench))) {
        BenchAdopt.build(c, 50, new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8));
      }
      try (Connection c = DbClient.open(FreshDatabase.urlFor(plain))) { KodiaiFixture.build(c); }
      List<String> kodiais = indexes(plain);
      assertTrue(kodiais.stream().filter(d -> d.contains("USING hnsw (embedding vector_cosine_ops)")).count() >= 3,
          kodiais.toString());
      assertEquals(kodiais, indexes(bench));
      assertTrue(out.toString().matches("(?s).*its \\d+ HNSW indexes left out.*kodiai's HNSW indexes built:.*"),
          out.toString());
      try (Connection c = DbClient.open(FreshDatabase.urlFor(bench)); Statement st = c.createStatement();
           ResultSet rs = st.executeQuery("SELECT count(*) FROM learning_memories WHERE embedding IS NOT NULL")) {
        rs.next();
        assertEquals(50, rs.getInt(1), "the fill ran");
      }
    } finally {
      FreshDatabase.drop(bench);
      FreshDatabase.drop(plain);
    }
  }

  static List<String> indexes(String db) throws Exception {
    List<String> defs = new ArrayList<>();
    try (Connection c = DbClient.open(FreshDatabase.urlFor(db)); Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'"
             + " ORDER BY indexname")) {
      while (rs.next()) defs.add(rs.getString(1));
    }
    return defs;
  }

  @Test void rejectsBadOptionsWithUsageExit() {
    assertEquals(2, bench.execute("retrieval", "--rows", "10", "--url", TestDatabase.adminUrl()));
    assertEquals(2, bench.execute("hybrid", "--dominant-share", "1.5", "--url", TestDatabase.adminUrl()));
    assertEquals(2, bench.execute("retrieval", "--shape", "b2s", "--url", TestDatabase.adminUrl()));
    assertEquals(2, bench.execute("retrieval", "--setup-sql", "no/such/file.sql", "--url", TestDatabase.adminUrl()));
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

  /** The bench writes a JSON array of flat objects: each as field -> value text (gson, so any string is read). */
  static List<Map<String, String>> parse(String json) {
    String t = json.strip();
    assertTrue(t.startsWith("[") && t.endsWith("]"), "a JSON array");
    List<Map<String, String>> out = new ArrayList<>();
    List<com.google.gson.JsonElement> objects = new ArrayList<>();
    for (var e : com.google.gson.JsonParser.parseString(t).getAsJsonArray()) {
      // a file of one object, or of an array of them, read as "[" + file + "]"
      if (e.isJsonArray()) e.getAsJsonArray().forEach(objects::add); else objects.add(e);
    }
    for (var e : objects) {
      Map<String, String> m = new LinkedHashMap<>();
      for (var f : e.getAsJsonObject().entrySet()) {
        m.put(f.getKey(), f.getValue().isJsonNull() ? "null" : f.getValue().getAsString());
      }
      out.add(m);
    }
    return out;
  }

}
