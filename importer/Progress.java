// Shared source of the importer (//SOURCES importer/Progress.java): progress of long work on
// stderr, a line per table with rows/s and an estimate of the time left. On a terminal the
// line is rewritten in place (\r) a few times a second; otherwise (a log, CI) a plain line
// is printed every few seconds and when the table is done.

import java.io.PrintStream;
import java.util.Locale;

final class Progress {
  private final PrintStream out;
  private final boolean tty;
  private String label;
  private long total, started, lastPrint;
  private boolean open;

  Progress(PrintStream out, boolean tty) { this.out = out; this.tty = tty; }

  /** Progress on `err` (the command's stderr), rewritten in place when `System.console()` is a terminal. */
  static Progress forStderr(PrintStream err) {
    String term = System.getenv("TERM");
    return new Progress(err, System.console() != null && term != null && !"dumb".equals(term));
  }

  void start(String label, long total) {
    this.label = label; this.total = total;
    started = lastPrint = System.nanoTime();
    open = false;
  }

  void tick(long done) {
    long now = System.nanoTime();
    if (now - lastPrint < (tty ? 200_000_000L : 5_000_000_000L)) return;
    lastPrint = now;
    print(done, now, false);
  }

  void done(long done, String note) {
    print(done, System.nanoTime(), true);
    if (note != null && !note.isEmpty()) out.println("  " + note);
  }

  /** A plain line (ends an in-place line first). */
  void line(String text) {
    if (open) { out.println(); open = false; }
    out.println(text);
  }

  private void print(long done, long now, boolean end) {
    if (total == 0 && done == 0) return; // an empty table: nothing worth a line
    double secs = Math.max(1e-9, (now - started) / 1e9);
    double rate = done / secs;
    String s = String.format(Locale.ROOT, "%-34s %,12d/%,d rows  %,9.0f rows/s  %s", label, done, total, rate,
        end ? String.format(Locale.ROOT, "%.1f s", secs)
            : rate > 0 && total > done ? String.format(Locale.ROOT, "~%.0f s left", (total - done) / rate) : "");
    if (tty) {
      out.print("\r" + s + "\u001b[K");
      open = !end;
      if (end) out.println();
    } else {
      out.println(s.stripTrailing());
    }
    out.flush();
  }
}
