// `bench online` (//SOURCES bench/BenchOnline.java): every migration after 001 applied up, down and
// up again to a database of --memories memories (and knowledge tables in proportion) while a bot-like
// reader and writer run (OnlineWorkload): per step its duration and the longest lock wait any statement
// of the bot saw. The figures in docs/migrate.md ("Online migrations") come from it. Issue 22's rule:
// no wait over 2 s.

import java.io.PrintStream;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

@Command(name = "online", mixinStandardHelpOptions = true,
    description = {"Runs every migration after 001 up, down and up again while a bot-like reader and writer run.",
        "On a populated scratch database, the reader and writer with lock_timeout 10 s (the bot's); prints each step's",
        "duration and the longest lock wait the bot saw. --rows memories (default 100000), knowledge tables in"
            + " proportion (reviews rows/10, findings"
            + " rows/2, ...)."})
final class BenchOnline implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin BenchData.Options opt;

  record Step(String name, double seconds, OnlineWorkload.Phase seen) {}

  @Override public Integer call() throws Exception {
    PrintStream out = CommandOut.out(spec);
    String invalid = opt.validate();
    if (invalid != null) throw new BenchFailure(new BenchFailure.BadValue(invalid));
    BenchData data = new BenchData(opt);
    List<BenchJson> json = new ArrayList<>();
    try (BenchScratch s = BenchScratch.create(opt.url, opt.keep, opt.shape, out)) {
      Migrations.run(s.url, null, 1);
      try (Connection c = DbClient.open(s.url)) {
        data.load(c, out);
        long t0 = System.nanoTime();
        OnlineWorkload.fillKnowledge(c, opt.rows);
        try (Statement st = c.createStatement()) { st.execute("VACUUM ANALYZE"); }
        out.printf(Locale.ROOT, "knowledge tables filled and vacuumed in %.1f s%n", (System.nanoTime() - t0) / 1e9);
      }
      List<Step> steps = run(s.url, data.repo[2], out);
      print(out, steps);
      for (Step st : steps)
        json.add(new BenchJson().put("bench", "online").put("rows", opt.rows).put("step", st.name()).put("seconds",
            st.seconds())
            .put("max_lock_wait_ms", st.seen().maxLockWaitMs).put("max_read_ms", st.seen().maxReadMs)
            .put("max_write_ms", st.seen().maxWriteMs).put("errors", String.join("; ", st.seen().errors)));
      if (opt.json != null) { BenchJson.write(opt.json, json); out.println("wrote " + opt.json); }
      return steps.stream().allMatch(st -> st.seen().errors.isEmpty() && st.seen().maxLockWaitMs <= 2000) ? 0 : 1;
    }
  }

  /** Up, down, up of each migration after 001, timed, with the workload running; `repo`: the small repo it reads. */
  private List<Step> run(String url, String repo, PrintStream out) throws Exception {
    // the versions there are, each after the one before it (numbers may leave gaps: 012-019 are reserved)
    List<Integer> versions = MigrationSource.load(null).migrations.stream().map(x -> x.version()).toList();
    List<Step> steps = new ArrayList<>();
    try (OnlineWorkload w = new OnlineWorkload(url, "10s", repo, opt.rows)) {
      for (int i = 1; i < versions.size(); i++) {
        int m = versions.get(i), before = versions.get(i - 1);
        for (String step : List.of(m + " up", m + " down", m + " up again")) {
          w.phase(step);
          long t0 = System.nanoTime();
          if (step.endsWith("down")) Migrations.rollback(url, null, before); else Migrations.run(url, null, m);
          Step st = new Step(step, (System.nanoTime() - t0) / 1e9, w.get(step));
          steps.add(st);
          out.printf(Locale.ROOT, "  %-12s %8.1f s  longest lock wait %6.0f ms%n", step, st.seconds(),
              st.seen().maxLockWaitMs);
        }
      }
      w.phase("after");
      Thread.sleep(500);
    }
    return steps;
  }

  private void print(PrintStream out, List<Step> steps) {
    out.printf(Locale.ROOT, "%nonline: %,d memories; the bot: a reader and a writer, lock_timeout 10 s%n", opt.rows);
    out.printf("%-12s %9s %14s %12s %12s %s%n", "step", "seconds", "lock wait ms", "read ms", "write ms", "errors");
    for (Step s : steps)
      out.printf(Locale.ROOT, "%-12s %9.1f %14.0f %12.0f %12.0f %s%s%n", s.name(), s.seconds(), s.seen().maxLockWaitMs,
          s.seen().maxReadMs, s.seen().maxWriteMs, String.join("; ", s.seen().errors),
              s.seen().maxLockWaitMs > 2000 ? " <- over 2 s" : "");
  }
}
