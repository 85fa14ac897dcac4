// `bench import` (//SOURCES bench/BenchImport.java): the importer against its floor.
//   1. generates a knowledge file with N memories in a real sqlite-vec vec0 table (holes from
//      deleted memories, some memories without a vector) and proportionate knowledge and
//      telemetry rows (BenchImportFiles: the stores' DDL, WAL);
//   2. imports them into a freshly migrated scratch database (the importer in-process, all of
//      it: read, convert, stage, check, classify, write, verify), timing each step per table
//      and the HNSW build separately;
//   3. the floor: the same rows exported with COPY ... TO (binary), loaded into a second freshly
//      migrated database by one psql session (\copy ... FROM ... (FORMAT binary), one
//      transaction), HNSW dropped before and built after, timed the same way.
// Targets (issue 10): >= 20,000 memory rows/s including vectors; the whole import within 2x the
// floor (both without the HNSW build, which is the same server work on both sides and reported apart).

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "import", mixinStandardHelpOptions = true,
    description = {"Times `import` on generated kodiai files against psql's \\copy floor.",
        "The files: N memories with real vec0 vectors + proportionate knowledge and telemetry rows; the floor: psql",
        "\\copy of the same rows from prepared binary files. HNSW build reported apart.",
        "Targets: >= 20,000 memory rows/s including vectors; the whole import within 2x the floor."})
final class BenchImport implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Option(names = "--memories", defaultValue = "100000",
      description = "memories to generate (default: ${DEFAULT-VALUE})")
  int memories;
  @Option(names = "--url",
      description = "admin URL of the server (default: $KODIAI_BENCH_DATABASE_URL, then $DATABASE_URL; neither: a "
      + "throwaway cluster)")
  String url;
  @Option(names = "--seed", defaultValue = "42", description = "seed of the generated data (default: ${DEFAULT-VALUE})")
  long seed;
  @Option(names = "--json", paramLabel = "FILE", description = "also write the figures as JSON")
  Path json;
  @Option(names = "--keep", description = "keep the scratch databases, the throwaway cluster and the generated files")
  boolean keep;
  @Option(names = "--files", paramLabel = "DIR",
      description = "generate the SQLite files into DIR and keep them there; a later run with the same"
      + " --memories and --seed reuses them (generating 100,000 memories takes minutes)")
  Path filesDir;

  static final double MEMORY_ROWS_TARGET = 20_000, FLOOR_RATIO_TARGET = 2.0;
  static final int DIM = 1024;

  @Override public Integer call() throws Exception {
    if (memories < 100) { spec.commandLine().getErr().println("bench import: --memories must be >= 100"); return 2; }
    PrintStream out = CommandOut.out(spec);
    Path work = Files.createTempDirectory("kodiai-bench-import-");
    try (BenchScratch a = BenchScratch.create(url, keep, out)) {
      Path dir = filesDir == null ? work : Files.createDirectories(filesDir);
      Path k = dir.resolve("kodiai-knowledge.db"), t = dir.resolve("kodiai-telemetry.db"),
          stamp = dir.resolve("bench-import.stamp");
      prepareFiles(out, dir, k, t, stamp);
      a.migrateAndConnect().close();

      // ---- the importer
      Importer.Settings s = new Importer.Settings();
      s.url = a.url;
      s.knowledge = k;
      s.telemetry = t;
      s.hnsw = Importer.Hnsw.REBUILD;
      PrintStream quiet = new PrintStream(java.io.OutputStream.nullOutputStream());
      Importer imp = new Importer(s, quiet, new Progress(quiet, false));
      long i0 = System.nanoTime();
      List<SqliteSource> sources = List.of(SqliteSource.open(k, TableMap.FileKind.KNOWLEDGE, s.lockTimeout),
          SqliteSource.open(t, TableMap.FileKind.TELEMETRY, s.lockTimeout));
      try (Connection c = DbClient.open(a.url)) {
        if (imp.run(sources, c) != 0) throw new IllegalStateException("the import failed");
      } finally {
        for (SqliteSource src : sources) src.close();
      }
      double importS = (System.nanoTime() - i0) / 1e9, hnswS = imp.hnswBuildMs / 1000.0, importNoHnsw = importS - hnswS;
      imp.summary.print(out, false);
      Importer.Staged mem =
          imp.staged.stream().filter(x -> x.map.target().equals(TableMap.MEMORIES)).findFirst().orElseThrow();

      Floor floor = floor(a, imp, mem, s, work);
      return report(out, a, imp, mem, importNoHnsw, hnswS, floor);
    } finally {
      if (!keep) {
        try (Stream<Path> w = Files.walk(work)) {
          w.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
      } else out.println("kept the generated files in " + work);
    }
  }

  /** Generates the two files, or reuses those --files holds when made with the same --memories and --seed. */
  private void prepareFiles(PrintStream out, Path dir, Path k, Path t, Path stamp) throws Exception {
    String made = "memories=" + memories + " seed=" + seed;
    if (filesDir != null && Files.exists(stamp) && Files.readString(stamp).equals(made) && Files.exists(k)
        && Files.exists(t)) {
      out.printf(Locale.ROOT, "reusing the files in %s (%s): knowledge %,d MB, telemetry %,d MB%n", dir, made,
          Files.size(k) >> 20, Files.size(t) >> 20);
    } else {
      Files.deleteIfExists(stamp);
      for (Path f : List.of(k, t))
        for (String suffix : List.of("", "-wal", "-shm")) Files.deleteIfExists(SqliteSource.sibling(f, suffix));
      long g0 = System.nanoTime();
      Map<String, Long> rows = generate(k, t, memories, seed);
      out.printf(Locale.ROOT, "generated %,d rows (%,d memories) in %.1f s: knowledge %,d MB, telemetry %,d MB%n",
          rows.values().stream().mapToLong(Long::longValue).sum(), memories, (System.nanoTime() - g0) / 1e9,
          Files.size(k) >> 20, Files.size(t) >> 20);
      if (filesDir != null) Files.writeString(stamp, made);
    }
  }

  /** The floor: the same rows through psql \copy (binary) into a fresh database, one transaction, HNSW after. */
  private Floor floor(BenchScratch a, Importer imp, Importer.Staged mem, Importer.Settings s, Path work)
      throws Exception {
    PrintStream quiet = new PrintStream(java.io.OutputStream.nullOutputStream());
    List<String[]> loads = exportTables(a, imp, Files.createDirectories(work.resolve("copy")));
    double floorS, floorHnswS;
    double[] floorS0 = new double[2];
    Map<String, Double> floorTable = new LinkedHashMap<>(); // target table -> seconds of its \copy
    try (BenchScratch b = BenchScratch.create(a.adminUrl, keep, quiet)) {
      b.migrateAndConnect().close();
      List<String> hnsw = new ArrayList<>();
      StringBuilder sql = new StringBuilder();
      try (Connection c = DbClient.open(b.url); Statement st = c.createStatement();
           ResultSet rs = st.executeQuery("SELECT pg_get_indexdef(indexrelid), ic.relname FROM pg_index i"
               + " JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam"
               + " WHERE indrelid = 'learning_memories'::regclass AND amname = 'hnsw'")) {
        while (rs.next()) { // 002's, or 007's halfvec index
          hnsw.add(rs.getString(1));
          sql.append("DROP INDEX ").append(TargetTable.quote(rs.getString(2))).append(";\n");
        }
      }
      // The server's clock between the \copy commands: the floor's time per table.
      String mark = "SELECT extract(epoch FROM clock_timestamp());\n";
      sql.append("BEGIN;\n").append(mark);
      for (String[] l : loads) {
        sql.append("\\copy ").append(l[0]).append(" (").append(l[1]).append(") FROM '").append(l[2])
            .append("' (FORMAT binary)\n").append(mark);
      }
      sql.append("COMMIT;\n");
      Path script = work.resolve("floor.sql");
      Files.writeString(script, sql);
      String[] marks = psql(b.adminUrl, b.db, script, t0 -> floorS0[0] = t0).lines()
          .filter(x -> x.matches("[0-9.]+")).toArray(String[]::new);
      floorS = floorS0[0];
      for (int j = 0; j + 1 < marks.length && j < loads.size(); j++)
        floorTable.put(loads.get(j)[0], Double.parseDouble(marks[j + 1]) - Double.parseDouble(marks[j]));
      Path idx = work.resolve("hnsw.sql");
      Files.writeString(idx, "SET maintenance_work_mem = '" + s.maintenanceWorkMem + "';\n"
          + String.join(";\n", hnsw) + ";\n");
      psql(b.adminUrl, b.db, idx, t0 -> floorS0[1] = t0);
      floorHnswS = floorS0[1];
      try (Connection c = DbClient.open(b.url); Statement st = c.createStatement();
           ResultSet rs = st.executeQuery("SELECT count(*) FROM learning_memories")) {
        rs.next();
        if (rs.getLong(1) != mem.row.imported)
          throw new IllegalStateException("the floor loaded " + rs.getLong(1) + " memories");
      }
    }
    return new Floor(floorS, floorHnswS, floorTable);
  }

  /** Each imported table's rows as a binary COPY file in `files`: {table, its columns, the file}. */
  private static List<String[]> exportTables(BenchScratch a, Importer imp, Path files) throws Exception {
    List<String[]> loads = new ArrayList<>();
    try (Connection c = DbClient.open(a.url)) {
      for (Importer.Staged st : imp.staged) {
        if (st.n == 0) continue;
        Path f = files.resolve(st.map.target() + ".bin");
        String cols = String.join(", ", st.columns.stream().map(TargetTable::quote).toList());
        try (var os = Files.newOutputStream(f)) {
          c.unwrap(org.postgresql.PGConnection.class).getCopyAPI().copyOut("COPY (SELECT " + cols + " FROM "
              + st.map.target() + " ORDER BY id) TO STDOUT (FORMAT binary)", os);
        }
        loads.add(new String[] {st.map.target(), cols, f.toString()});
      }
    }
    return loads;
  }

  /** The floor's seconds: all the \copy commands, the HNSW build after, and each table's \copy. */
  private record Floor(double seconds, double hnswSeconds, Map<String, Double> perTable) {}

  /** The figures, each next to its target; 0 when both targets are met. */
  private int report(PrintStream out, BenchScratch a, Importer imp, Importer.Staged mem, double importNoHnsw,
      double hnswS,
      Floor floor) throws IOException {
    double memS = (mem.stageMs + mem.writeMs + mem.verifyMs) / 1000.0;
    long total = imp.summary.imported();
    double floorS = floor.seconds(), floorHnswS = floor.hnswSeconds();
    Map<String, Double> floorTable = floor.perTable();
    double ratio = importNoHnsw / floorS, memRate = mem.row.imported / memS;
    out.println();
    out.println("machine: " + Runtime.getRuntime().availableProcessors() + " cores, "
        + (Runtime.getRuntime().maxMemory() >> 20) + " MB JVM heap max; "
        + "server: " + (a.cluster != null ? "throwaway local cluster (" + String.join(", ", BenchScratch.CLUSTER_TUNING)
        + ")" : DbClient.parse(a.adminUrl).redacted()));
    out.printf(Locale.ROOT, "%-62s %,10d rows%n", "rows imported (all tables)", total);
    out.printf(Locale.ROOT, "%-62s %10.1f s  (%,.0f rows/s)%n",
        "import, whole (read, convert, stage, check, write, verify)", importNoHnsw, total / importNoHnsw);
    out.printf(Locale.ROOT, "%-62s %10.1f s  (%,.0f rows/s)  target >= %,.0f: %s%n",
        "  learning_memories incl. vectors (stage + write + verify)", memS, memRate,
        MEMORY_ROWS_TARGET, memRate >= MEMORY_ROWS_TARGET ? "met" : "MISSED");
    for (Importer.Staged st : imp.staged) if (st.n > 0)
      out.printf(Locale.ROOT, "    %-40s %,9d rows  stage %6.1f s  write %6.1f s  verify %5.1f s  (floor %5.1f s)%n",
          st.label(), st.n,
          st.stageMs / 1e3, st.writeMs / 1e3, st.verifyMs / 1e3, floorTable.getOrDefault(st.map.target(), Double.NaN));
    double floorMem = floorTable.getOrDefault(TableMap.MEMORIES, Double.NaN);
    out.printf(Locale.ROOT, "%-62s %10.1f s  (%,.0f rows/s)%n", "  floor's learning_memories (its \\copy alone)",
        floorMem, mem.row.imported / floorMem);
    out.printf(Locale.ROOT, "%-62s %10.1f s%n",
        "floor: psql \\copy (binary) of the same rows, one transaction", floorS);
    out.printf(Locale.ROOT, "%-62s %10.2f x  target <= %.1f: %s%n", "import / floor", ratio, FLOOR_RATIO_TARGET,
        ratio <= FLOOR_RATIO_TARGET ? "met" : "MISSED");
    out.printf(Locale.ROOT, "%-62s %10.1f s (import)  %.1f s (floor)%n", "HNSW build (" + memories + " x " + DIM
        + ", m=16, ef_construction=64)", hnswS, floorHnswS);
    if (json != null) {
      BenchJson.write(json, List.of(new BenchJson().put("memories", memories).put("rows", total)
          .put("import_s", importNoHnsw).put("memory_rows_per_s", memRate).put("floor_s", floorS).put("ratio", ratio)
          .put("hnsw_import_s", hnswS).put("hnsw_floor_s", floorHnswS).put("floor_memories_s", floorMem)));
    }
    return memRate >= MEMORY_ROWS_TARGET && ratio <= FLOOR_RATIO_TARGET ? 0 : 1;
  }

  /** psql with the password in PGPASSWORD (never argv); hands the seconds it took to `took`, returns its output. */
  static String psql(String admin, String db, Path file, java.util.function.DoubleConsumer took) throws IOException,
      InterruptedException {
    DbClient.Target t = DbClient.parse(admin);
    ChildProcess.Result r = ChildProcess.of("psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", t.host(),
        "-p", String.valueOf(t.port()), "-U", t.user() == null ? System.getProperty("user.name") : t.user(), "-d", db,
        "-f", file.toString()).env("PGPASSWORD", t.password()).mergeErrors().run(java.time.Duration.ofSeconds(1800));
    if (r.end() != ChildProcess.End.EXITED) r.orThrow();
    if (r.exitCode() != 0) throw new IllegalStateException("psql failed: " + DbClient.redact(r.stdout()));
    took.accept(r.millis() / 1e3);
    return r.stdout();
  }

  // ------------------------------------------------------------------------------ data

  private static final int REPOS = 200;
  private static final String[] SEVERITIES = {"critical", "major", "medium", "minor"};
  private static final String[] CATEGORIES = {"security", "correctness", "performance", "style", "documentation"};
  private static final String NOW =
      "strftime('%Y-%m-%d %H:%M:%S', 'now', '-' || abs(random() % 31536000) || ' seconds')";
  // reacted_at and merged_at come from GitHub objects, in GitHub's shape (source-schema.md)
  private static final String GITHUB_NOW =
      "strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-' || abs(random() % 31536000) || ' seconds')";

  /** The two files, written as the stores write them; returns rows per source table. */
  static Map<String, Long> generate(Path knowledge, Path telemetry, int n, long seed) throws SQLException {
    SplittableRandom r = new SplittableRandom(seed);
    Map<String, Long> rows = new LinkedHashMap<>();
    try (Connection c = BenchImportFiles.knowledge(knowledge, BenchImportFiles.Shape.CURRENT)) {
      c.setAutoCommit(false);
      knowledgeTables(c, rows, n, r);
      memories(c, rows, n, r);
    }
    try (Connection c = BenchImportFiles.telemetry(telemetry, BenchImportFiles.Shape.CURRENT)) {
      c.setAutoCommit(false);
      telemetryTables(c, rows, n, r);
    }
    return rows;
  }

  /** The knowledge file's tables but the memories. */
  private static void knowledgeTables(Connection c, Map<String, Long> rows, int n, SplittableRandom r)
      throws SQLException {
    int repos = REPOS, reviews = Math.max(1, n / 4), findings = n;
    String[] sev = SEVERITIES, cat = CATEGORIES;
    String now = NOW, github = GITHUB_NOW;
    insert(c, rows, "reviews", reviews, "INSERT INTO reviews (created_at, repo, pr_number, head_sha, delivery_id,"
        + " files_analyzed, lines_changed, findings_major,"
        + " findings_total, config_snapshot, duration_ms, model, conclusion) VALUES (" + now
        + ", ?, ?, lower(hex(randomblob(20))), lower(hex(randomblob(16))), 12, 345, 1, 4,"
        + " '{\"profile\": \"strict\", \"severity\": {\"min\": \"minor\"}, \"paths\": [\"src/**\"], \"skip\": false}',"
        + " 93000, 'claude-sonnet-4', 'success')",
        (ps, i) -> { ps.setString(1, repo(i % repos)); ps.setInt(2, i + 1); });
    insert(c, rows, "findings", findings, "INSERT INTO findings (review_id, created_at, file_path, start_line,"
        + " end_line, severity, category, confidence, title, suppressed,"
        + " comment_id, comment_surface, review_output_key) VALUES (?, " + now
        + ", ?, 10, 20, ?, ?, 80, ?, 0, ?, 'inline', lower(hex(randomblob(12))))",
        (ps, i) -> {
          int cl = r.nextInt(300), sub = r.nextInt(20);
          ps.setInt(1, 1 + i % reviews); ps.setString(2, BenchVocabulary.filePath(cl, sub, r));
          ps.setString(3, sev[i % 4]); ps.setString(4, cat[i % 5]); ps.setString(5, BenchVocabulary.title(cl, sub));
          ps.setLong(6, 4_000_000_000L + i);
        });
    insert(c, rows, "suppression_log", n / 20,
        "INSERT INTO suppression_log (review_id, pattern, matched_count, finding_ids) VALUES (?, 'test files', 2, ?)",
        (ps, i) -> { ps.setInt(1, 1 + i % reviews); ps.setString(2, "[" + (i + 1) + ", " + (i + 2) + "]"); });
    insert(c, rows, "global_patterns", Math.min(2000, n), "INSERT INTO global_patterns (severity, category,"
        + " confidence_band, pattern_fingerprint, count) VALUES (?, ?, 'high', ?, ?)",
        (ps, i) -> {
          ps.setString(1, sev[i % 4]); ps.setString(2, cat[i % 5]); ps.setString(3, "fp" + i); ps.setInt(4, 1 + i % 50);
        });
    insert(c, rows, "feedback_reactions", n / 10, "INSERT INTO feedback_reactions (created_at, repo, review_id,"
        + " finding_id, comment_id, comment_surface, reaction_id,"
        + " reaction_content, reactor_login, reacted_at, severity, category, file_path, title) VALUES (" + now
        + ", ?, ?, ?, ?, 'inline', ?, '+1', 'dev', " + github + ", 'minor', 'style', 'src/a.ts', ?)",
        (ps, i) -> {
          ps.setString(1, repo(i % repos)); ps.setInt(2, 1 + (i * 4) % reviews); ps.setInt(3, 1 + i * 4 % findings);
          ps.setLong(4, 4_000_000_000L + i);
          ps.setLong(5, 300_000_000L + i); ps.setString(6, BenchVocabulary.title(r.nextInt(300), r.nextInt(20)));
        });
    stateTables(c, rows, n, reviews);
  }

  /** The knowledge file's state tables: runs, the author cache, dependency bumps, checkpoints. */
  private static void stateTables(Connection c, Map<String, Long> rows, int n, int reviews) throws SQLException {
    int repos = REPOS;
    String now = NOW, github = GITHUB_NOW;
    insert(c, rows, "run_state", reviews, "INSERT INTO run_state (run_key, repo, pr_number, base_sha, head_sha,"
        + " delivery_id, action, status, created_at, completed_at)"
        + " VALUES (?, ?, ?, 'b', 'h', lower(hex(randomblob(16))), 'opened', 'completed', " + now + ", " + now + ")",
        (ps, i) -> { ps.setString(1, "run-" + i); ps.setString(2, repo(i % repos)); ps.setInt(3, i + 1); });
    insert(c, rows, "author_cache", Math.min(1000, n), "INSERT INTO author_cache (repo, author_login, tier,"
        + " author_association, pr_count) VALUES (?, ?, 'regular', 'CONTRIBUTOR', 5)",
        (ps, i) -> { ps.setString(1, repo(i % repos)); ps.setString(2, "dev" + i); });
    insert(c, rows, "dep_bump_merge_history", n / 100, "INSERT INTO dep_bump_merge_history (repo, pr_number,"
        + " merged_at, source, signals_json, package_name, old_version,"
        + " new_version, semver_bump_type, merge_confidence_level, merge_confidence_rationale_json, is_security_bump)"
        + " VALUES (?, ?, " + github + ", 'dependabot',"
        + " '[\"title\", \"sender\"]', 'lodash', '4.17.20', '4.17.21', 'patch', 'high', '[\"tests pass\"]', 0)",
        (ps, i) -> { ps.setString(1, repo(i % repos)); ps.setInt(2, i + 1); });
    insert(c, rows, "review_checkpoints", n / 50,
        "INSERT INTO review_checkpoints (review_output_key, repo, pr_number, checkpoint_data, partial_comment_id)"
        + " VALUES (?, ?, ?, '{\"files\": [\"src/a.ts\", \"src/b.ts\"], \"findings\": 3}', ?)",
        (ps, i) -> {
          ps.setString(1, "rok-" + i); ps.setString(2, repo(i % repos)); ps.setInt(3, i + 1);
          ps.setLong(4, 4_100_000_000L + i);
        });
  }


  /**
   * Memories: row + vector through vec0, as the learning store writes them; 2% deleted again (holes),
   * 1% without a vector.
   */
  private static void memories(Connection c, Map<String, Long> rows, int n, SplittableRandom r) throws SQLException {
    int repos = REPOS, reviews = Math.max(1, n / 4);
    String[] sev = SEVERITIES, cat = CATEGORIES;
    String now = NOW;
    try (PreparedStatement m =
        c.prepareStatement("INSERT INTO learning_memories (id, repo, owner, finding_id, review_id, source_repo, "
        + "finding_text, severity, category,"
        + " file_path, outcome, embedding_model, embedding_dim, stale, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
        + "?, ?, 'voyage-code-3', 1024, ?, " + now + ")");
         PreparedStatement v =
             c.prepareStatement("INSERT INTO learning_memory_vec (memory_id, embedding, repo, severity, category) "
             + "VALUES (?, vec_f32(?), ?, ?, ?)")) {
      float[][] centres = new float[64][];
      for (int k = 0; k < centres.length; k++) centres[k] = BenchImportFiles.unitVector(r, DIM);
      for (int i = 1; i <= n; i++) {
        int cl = r.nextInt(300), sub = r.nextInt(20);
        String repo = repo(r.nextInt(repos)), s = sev[i % 4], ca = cat[i % 5];
        m.setLong(1, i); m.setString(2, repo); m.setString(3, repo.substring(0, repo.indexOf('/')));
        m.setLong(4, 4_000_000_000L + i); m.setLong(5, 1 + i % reviews);
        m.setString(6, repo); m.setString(7, BenchVocabulary.findingText(cl, sub, r)); m.setString(8, s);
        m.setString(9, ca);
        m.setString(10, BenchVocabulary.filePath(cl, sub, r)); m.setString(11, i % 3 == 0 ? "thumbs_up" : "accepted");
        m.setInt(12, i % 10 == 0 ? 1 : 0);
        m.executeUpdate();
        if (i % 100 != 0) {
          float[] e = centres[cl % centres.length].clone();
          for (int k = 0; k < DIM; k++) e[k] += (float) (r.nextDouble() - 0.5) * 0.05f;
          v.setLong(1, i); v.setBytes(2, BenchImportFiles.f32(e)); v.setString(3, repo); v.setString(4, s);
          v.setString(5, ca);
          v.executeUpdate();
        }
        if (i % 10_000 == 0) c.commit();
      }
      c.commit();
    }
    try (Statement st = c.createStatement()) {
      st.execute("DELETE FROM learning_memory_vec WHERE memory_id % 50 = 7");
      st.execute("DELETE FROM learning_memories WHERE id % 50 = 7");
      c.commit();
      try (ResultSet rs = st.executeQuery("SELECT count(*) FROM learning_memories")) {
        rs.next();
        rows.put("learning_memories", rs.getLong(1));
      }
    }
  }

  private static void telemetryTables(Connection c, Map<String, Long> rows, int n,
      SplittableRandom r) throws SQLException {
    int repos = REPOS;
    String now = NOW;
    insert(c, rows, "executions", 2L * n,
        "INSERT INTO executions (created_at, delivery_id, repo, pr_number, pr_author, event_type, model, "
        + "input_tokens, output_tokens,"
        + " cache_read_tokens, cache_creation_tokens, duration_ms, cost_usd, conclusion, session_id, num_turns, "
        + "stop_reason) VALUES (" + now
        + ", lower(hex(randomblob(16))), ?, ?, 'dev', 'review', 'claude-sonnet-4', ?, ?, 1000, 50, 42000, ?, "
        + "'success', 'sess', 3, 'end_turn')",
        (ps, i) -> { ps.setString(1, repo(i % repos)); ps.setInt(2, i % 5000); ps.setInt(3, 1000 + i % 90000);
          ps.setInt(4, 100 + i % 4000);
          ps.setDouble(5, (1000 + i % 90000) * 3e-6 + (100 + i % 4000) * 15e-6); });
    insert(c, rows, "rate_limit_events", n / 2,
        "INSERT INTO rate_limit_events (created_at, delivery_id, repo, pr_number, event_type, cache_hit_rate, "
        + "skipped_queries,"
        + " retry_attempts, degradation_path) VALUES (" + now
        + ", lower(hex(randomblob(16))), ?, 1, 'search', ?, 0, 1, 'none')",
        (ps, i) -> { ps.setString(1, repo(i % repos)); ps.setDouble(2, r.nextDouble()); });
    insert(c, rows, "retrieval_quality", n,
        "INSERT INTO retrieval_quality (created_at, delivery_id, repo, pr_number, event_type, top_k, "
        + "distance_threshold, result_count,"
        + " avg_distance, language_match_ratio, threshold_method) VALUES (" + now
        + ", lower(hex(randomblob(16))), ?, 1, 'retrieval', 10, 0.35, 7, ?, 0.9, 'adaptive')",
        (ps, i) -> { ps.setString(1, repo(i % repos)); ps.setDouble(2, r.nextDouble() * 0.5); });
    insert(c, rows, "resilience_events", n / 4,
        "INSERT INTO resilience_events (created_at, delivery_id, repo, pr_number, event_type, kind, "
        + "had_inline_output, partial_comment_id,"
        + " recent_timeouts, chronic_timeout, retry_enqueued, retry_scope_ratio, retry_risk_level) VALUES (" + now
        + ", lower(hex(randomblob(16))), ?, 1, 'timeout', 'retry', 1, ?, 1, 0, 1, 0.5, 'low')",
        (ps, i) -> { ps.setString(1, repo(i % repos)); ps.setLong(2, 4_200_000_000L + i); });
  }

  interface Binder { void bind(PreparedStatement ps, int i) throws SQLException; }

  private static void insert(Connection c, Map<String, Long> rows, String table, long count, String sql,
      Binder b) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < count; i++) {
        b.bind(ps, i);
        ps.addBatch();
        if (i % 5000 == 4999) { ps.executeBatch(); c.commit(); }
      }
      ps.executeBatch();
      c.commit();
    }
    rows.put(table, count);
  }

  static String repo(int i) { return String.format(Locale.ROOT, "org%02d/svc-%03d", i % 25, i); }
}
