// `bench import-hnsw` (//SOURCES bench/BenchImportHnsw.java): the two HNSW paths of `import`
// (issue 20). For each size (default 500, 2,000, 10,000 and 50,000 memories) it generates the
// files once (BenchImport.generate, kept under --files), then imports them twice into freshly
// migrated scratch databases that hold a vector index on learning_memories (as an operator's or
// indexes@kodiai's: HNSW halfvec_cosine_ops, m = 16, ef_construction = 64): once with the default
// (--hnsw auto) and once with the path auto did not take (keep: the index filled row by row;
// rebuild: dropped before the load, built once after). The two runs of a size are paired, in
// alternating order, on the same server; the figure is the whole import's wall time.

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "import-hnsw", mixinStandardHelpOptions = true,
    description = {"Times `import`'s two HNSW paths, the default (--hnsw auto) against the other one.",
        "At several sizes, into a target whose learning_memories has a vector index: built once after the load, or",
        "kept and filled row by row."})
final class BenchImportHnsw implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Option(names = "--sizes", split = ",", defaultValue = "500,2000,10000,50000",
      description = "memories per run (default: ${DEFAULT-VALUE})")
  List<Integer> sizes;
  @Option(names = "--url",
      description = "admin URL of the server (default: $KODIAI_BENCH_DATABASE_URL, then $DATABASE_URL; neither:"
          + " a throwaway cluster)")
  String url;
  @Option(names = "--files", paramLabel = "DIR",
      description = "keep the generated files in DIR/<size>/ and reuse them in a later run")
  Path filesDir;
  @Option(names = "--without-index", description = "instead: time each size once into a target without any"
      + " vector index (the rest of"
      + " the import, to tell the index's share of each path)")
  boolean withoutIndex;
  @Option(names = "--seed", defaultValue = "42", description = "seed of the generated data (default: ${DEFAULT-VALUE})")
  long seed;

  static final String INDEX = "CREATE INDEX bench_learning_memories_embedding_hnsw ON learning_memories USING"
      + " hnsw (embedding halfvec_cosine_ops)"
      + " WITH (m = 16, ef_construction = 64)";

  record Figure(int memories, String defaultPath, double defaultS, String otherPath, double otherS) {}

  @Override public Integer call() throws Exception {
    PrintStream out = CommandOut.out(spec);
    Path work = filesDir != null ? Files.createDirectories(filesDir) : Files.createTempDirectory("kodiai-bench-hnsw-");
    List<Figure> figures = new ArrayList<>();
    try (BenchScratch first = BenchScratch.create(url, false, out)) {
      warmUp(first.adminUrl, work, out); // the JVM's compilation and the server's caches: not in the first figure
      if (withoutIndex) {
        for (int n : sizes) out.printf(Locale.ROOT, "%,d memories, no vector index: %.1f"
            + " s%n", n, importOnce(first.adminUrl,
            files(work, n), Importer.Hnsw.AUTO, false));
        return 0;
      }
      for (int k = 0; k < sizes.size(); k++) figures.add(measure(first.adminUrl, work, sizes.get(k), k % 2 == 1, out));
    }
    out.println();
    out.println("| memories | default (auto) | other path | default / other |");
    out.println("|---:|---|---|---:|");
    for (Figure f : figures)
      out.printf(Locale.ROOT, "| %,d | %s: %.1f s | %s: %.1f s | %.2fx |%n", f.memories(), f.defaultPath(),
          f.defaultS(), f.otherPath(), f.otherS(),
          f.defaultS() / f.otherS());
    return 0;
  }

  /** The knowledge and telemetry files of `n` memories under `work`, generated unless a run made them already. */
  private Path[] files(Path work, int n) throws Exception {
    Path dir = Files.createDirectories(work.resolve(String.valueOf(n)));
    Path k = dir.resolve("kodiai-knowledge.db"), t = dir.resolve("kodiai-telemetry.db"),
        stamp = dir.resolve("bench-import.stamp");
    String made = "memories=" + n + " seed=" + seed;
    if (!(Files.exists(stamp) && Files.readString(stamp).equals(made) && Files.exists(k) && Files.exists(t))) {
      for (Path f : List.of(k, t)) for (String suffix : List.of("", "-wal",
          "-shm")) Files.deleteIfExists(SqliteSource.sibling(f, suffix));
      BenchImport.generate(k, t, n, seed);
      Files.writeString(stamp, made);
    }
    return new Path[] {k, t};
  }

  private Figure measure(String admin, Path work, int n, boolean otherFirst, PrintStream out) throws Exception {
    Path[] kt = files(work, n);
    Importer.Settings probe = new Importer.Settings();
    boolean autoRebuilds = new Importer(probe, out, null).rebuildPays(n, 0);
    Importer.Hnsw other = autoRebuilds ? Importer.Hnsw.KEEP : Importer.Hnsw.REBUILD;
    double[] s = new double[2];
    for (int run = 0; run < 2; run++) {
      boolean isOther = (run == 0) == otherFirst;
      s[isOther ? 1 : 0] = importOnce(admin, kt, isOther ? other : Importer.Hnsw.AUTO, true);
      out.printf(Locale.ROOT, "%,d memories, --hnsw %s: %.1f s%n", n, isOther ? other.name().toLowerCase() : "auto",
          s[isOther ? 1 : 0]);
    }
    return new Figure(n, autoRebuilds ? "rebuild" : "keep", s[0], other.name().toLowerCase(), s[1]);
  }

  private void warmUp(String admin, Path work, PrintStream out) throws Exception {
    int n = Math.min(500, sizes.get(0));
    Path dir = Files.createDirectories(work.resolve("warm-up-" + n));
    Path k = dir.resolve("kodiai-knowledge.db"), t = dir.resolve("kodiai-telemetry.db");
    if (!Files.exists(dir.resolve("done"))) {
      for (Path f : List.of(k, t)) for (String suffix : List.of("", "-wal",
          "-shm")) Files.deleteIfExists(SqliteSource.sibling(f, suffix));
      BenchImport.generate(k, t, n, seed + 1);
      Files.writeString(dir.resolve("done"), "");
    }
    for (Importer.Hnsw h : List.of(Importer.Hnsw.REBUILD, Importer.Hnsw.KEEP))
      out.printf(Locale.ROOT, "warm-up, %,d memories, --hnsw %s: %.1f s (not counted)%n", n, h.name().toLowerCase(),
          importOnce(admin, new Path[] {k, t}, h, true));
  }

  /** One import of the two files into a fresh, migrated scratch database with a vector index; its wall time in seconds.
   * */
  private static double importOnce(String admin, Path[] kt, Importer.Hnsw hnsw, boolean index) throws Exception {
    Path k = kt[0], t = kt[1];
    PrintStream quiet = new PrintStream(java.io.OutputStream.nullOutputStream());
    try (BenchScratch b = BenchScratch.create(admin, false, quiet)) {
      try (Connection c = b.migrateAndConnect(); Statement st = c.createStatement()) {
        if (index) st.execute(INDEX);
        st.execute("CHECKPOINT");
      }
      Importer.Settings s = new Importer.Settings();
      s.url = b.url;
      s.knowledge = k;
      s.telemetry = t;
      s.hnsw = hnsw;
      Importer imp = new Importer(s, quiet, new Progress(quiet, false));
      long t0 = System.nanoTime();
      List<SqliteSource> sources = List.of(SqliteSource.open(k, TableMap.FileKind.KNOWLEDGE, s.lockTimeout),
          SqliteSource.open(t, TableMap.FileKind.TELEMETRY, s.lockTimeout));
      try (Connection c = DbClient.open(b.url)) {
        if (imp.run(sources, c) != 0) throw new IllegalStateException("the import failed");
      } finally {
        for (SqliteSource src : sources) src.close();
      }
      return (System.nanoTime() - t0) / 1e9;
    }
  }
}
