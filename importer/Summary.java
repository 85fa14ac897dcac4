// Shared source of the importer (//SOURCES importer/Summary.java): the table printed at the
// end of an import (or a --dry-run): per table, the rows in the source, imported, already
// present, and skipped with the reason.

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

final class Summary {
  static final class Row {
    final String source, target;
    long sourceRows, imported, present;
    final Map<String, Long> skipped = new LinkedHashMap<>(); // reason -> rows
    final List<String> notes = new ArrayList<>();
    Row(String source, String target) { this.source = source; this.target = target; }
    long skippedTotal() { return skipped.values().stream().mapToLong(Long::longValue).sum(); }
    void skip(String reason, long n) { if (n > 0) skipped.merge(reason, n, Long::sum); }
  }

  final List<Row> rows = new ArrayList<>();

  Row add(String source, String target) {
    Row r = new Row(source, target);
    rows.add(r);
    return r;
  }

  long imported() { return rows.stream().mapToLong(r -> r.imported).sum(); }
  long sourceRows() { return rows.stream().mapToLong(r -> r.sourceRows).sum(); }

  void print(PrintStream out, boolean dryRun) {
    String head = dryRun ? "would import" : "imported";
    out.printf(Locale.ROOT, "%-44s %12s %12s %12s %12s  %s%n", "table (source -> target)", "source rows", head,
        "present", "skipped", "reason");
    for (Row r : rows) {
      String name = r.source.equals(r.target) ? r.target : r.source + " -> " + r.target;
      String reasons = String.join("; ", r.skipped.entrySet().stream().map(e -> e.getValue() + " "
          + e.getKey()).toList());
      out.printf(Locale.ROOT, "%-44s %,12d %,12d %,12d %,12d  %s%n", name, r.sourceRows, r.imported, r.present,
          r.skippedTotal(), reasons);
      for (String n : r.notes) out.println("    " + n);
    }
    long skipped = rows.stream().mapToLong(Row::skippedTotal).sum();
    out.printf(Locale.ROOT, "%-44s %,12d %,12d %,12d %,12d%n", "total", sourceRows(), imported(),
        rows.stream().mapToLong(r -> r.present).sum(), skipped);
  }
}
