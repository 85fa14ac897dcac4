// Shared source of the bench command (//SOURCES bench/BenchChart.java): the picture
// people in this field read, drawn as ann-benchmarks draws it: recall on the x axis,
// latency on the y axis (here p95 in ms, log scale, lower is better), one line per
// query class through its configurations (exact plan, HNSW at each ef_search), the
// recommended configuration marked. PNG through JFreeChart, headless.

//DEPS org.jfree:jfreechart:1.5.6

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.labels.XYItemLabelGenerator;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

final class BenchChart {
  private BenchChart() {}

  /** One measured configuration: its class (the line), its label (exact, ef 100, recommended ...), recall and p95. */
  record Point(String cls, String label, double recall, double p95Ms) {}

  /**
   * Writes recall (x) against a p95 in ms (y, log, named by yLabel) per class to `png`, the targets (0.95, 10 ms) as
   * guides.
   */
  static void recallVsP95(Path png, String title, String yLabel, List<Point> points) throws IOException {
    System.setProperty("java.awt.headless", "true");
    XYSeriesCollection data = new XYSeriesCollection();
    Map<String, XYSeries> byClass = new LinkedHashMap<>();
    Map<String, List<String>> labels = new LinkedHashMap<>();
    for (Point p : points) {
      if (p.label().equals("recommended")) continue; // the same point as one of the others; marked below
      // in measured order: exact, ef 40 .. 400
      XYSeries s = byClass.computeIfAbsent(p.cls(), k -> new XYSeries(k, false, true));
      s.add(p.recall(), Math.max(0.05, p.p95Ms()));
      labels.computeIfAbsent(p.cls(), k -> new java.util.ArrayList<>()).add(p.label());
    }
    byClass.values().forEach(data::addSeries);
    NumberAxis x = new NumberAxis("recall@10 (against the exact float32 answer)");
    x.setRange(Math.min(0.85, points.stream().mapToDouble(Point::recall).min().orElse(0.85) - 0.01), 1.005);
    LogAxis y = new LogAxis(yLabel);
    y.setSmallestValue(0.05);
    y.setNumberFormatOverride(new java.text.DecimalFormat("0.##"));
    XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, true);
    XYItemLabelGenerator gen = (ds, series, item) -> {
      List<String> l = labels.get((String) ds.getSeriesKey(series));
      return l == null || item >= l.size() ? null : l.get(item);
    };
    r.setDefaultItemLabelGenerator(gen);
    r.setDefaultItemLabelsVisible(true);
    r.setDefaultItemLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 9));
    for (int i = 0; i < data.getSeriesCount(); i++) r.setSeriesStroke(i, new BasicStroke(1.5f));
    XYPlot plot = new XYPlot(data, x, y, r);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    ValueMarker recallTarget = new ValueMarker(0.95, Color.RED,
        new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 1f, new float[] {4f, 4f}, 0f));
    ValueMarker latencyTarget = new ValueMarker(10, Color.RED,
        new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 1f, new float[] {4f, 4f}, 0f));
    plot.addDomainMarker(recallTarget);
    plot.addRangeMarker(latencyTarget);
    JFreeChart chart = new JFreeChart(title + " (targets: recall >= 0.95, p95 <= 10 ms; lower right is better)",
        new Font(Font.SANS_SERIF, Font.BOLD, 12), plot, true);
    chart.setBackgroundPaint(Color.WHITE);
    if (png.getParent() != null) Files.createDirectories(png.getParent());
    ChartUtils.saveChartAsPNG(png.toFile(), chart, 900, 560);
  }
}
