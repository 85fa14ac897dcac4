// bench --json numbers: enough significant digits for a recall near 1 and a latency near 0.

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

@Fast
class BenchJsonTest {
  @Test void numbersKeepSixSignificantDigits() {
    assertEquals("0.99996", BenchJson.number(0.99996), "a recall just under 1 is not 1.0");
    assertEquals("0.00004", BenchJson.number(0.00004), "a tiny p95 is not 0.0");
    assertEquals("0.0000123457", BenchJson.number(0.0000123456789));
    assertEquals("1.0", BenchJson.number(1));
    assertEquals("0.0", BenchJson.number(0));
    assertEquals("12345.7", BenchJson.number(12345.6789));
    assertEquals("28000.0", BenchJson.number(28000));
    assertEquals("-2.5", BenchJson.number(-2.5));
    assertEquals("{\"recall\": 0.99996, \"p95_ms\": 0.00004, \"rows\": 3, \"nan\": null}",
        new BenchJson().put("recall", 0.99996).put("p95_ms", 0.00004).put("rows", 3).put("nan", Double.NaN).toString());
  }
}
