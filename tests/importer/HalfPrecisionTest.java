// The importer writes learning_memories.embedding (halfvec since migration 007) in halfvec's binary
// form itself (importer/PgBinary.half): every float must become exactly the half that pgvector's own
// cast vector -> halfvec stores, or the import would store other values than the bot's `$1::vector`
// writes, and the verification would compare against them.

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class HalfPrecisionTest {
  @RegisterExtension static final FreshDatabase db = new FreshDatabase();

  /** Edge values (zeros, subnormal halves and the ties around them, rounding ties, the largest halves) and random
   * ones. */
  static List<Float> values() {
    List<Float> v = new ArrayList<>(List.of(0f, -0f, 1f, -1f, 65504f, -65504f, 65519.99f, 6.1035156e-5f, 6.097555e-5f,
        5.9604645e-8f, 2.9802322e-8f, 2.9802326e-8f, 4.4703484e-8f, 8.940697e-8f, 1.0004883f, 1.0009766f, 1.0014648f,
        0.33325195f, 2049f, 2051f, 1e-10f, Float.MIN_VALUE, 3.0517578e-5f, 0.0001f));
    Random r = new Random(7);
    for (int i = 0; i < 3000; i++) v.add((float) (r.nextGaussian() * Math.pow(2, r.nextInt(40) - 30)));
    for (int i = 0; i < 1000; i++) v.add(Float.intBitsToFloat(r.nextInt(0x477fe000))); // any bits up to 65519
    return v;
  }

  @Test void everyFloatBecomesTheHalfPgvectorsCastStores() throws Exception {
    List<Float> v = values();
    try (Connection c = db.connect()) {
      try (var st = c.createStatement()) { st.execute("CREATE EXTENSION IF NOT EXISTS vector"); }
      check(c, v);
    }
  }

  private static void check(Connection c, List<Float> v) throws Exception {
    try (PreparedStatement ps = c.prepareStatement("SELECT halfvec_send(?::vector::halfvec)")) {
      for (int from = 0; from < v.size(); from += 1000) {
        List<Float> chunk = v.subList(from, Math.min(v.size(), from + 1000));
        StringBuilder text = new StringBuilder("[");
        for (Float f : chunk) text.append(text.length() > 1 ? "," : "").append(Float.toString(f).replace("Infinity",
            "inf"));
        ps.setString(1, text.append(']').toString());
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          ByteBuffer b = ByteBuffer.wrap(rs.getBytes(1));
          assertEquals(chunk.size(), b.getShort());
          b.getShort();
          for (Float f : chunk) {
            short want = b.getShort();
            assertEquals(want, PgBinary.half(Float.floatToRawIntBits(f)), "float " + f + " (bits "
                + Integer.toHexString(Float.floatToRawIntBits(f)) + ")");
          }
        }
      }
    }
  }
}
