// Shared source of the importer (//SOURCES importer/Vec0Reader.java): the embeddings of
// kodiai's sqlite-vec table `learning_memory_vec`, read from its shadow tables as plain
// SQLite rows, so the importing machine needs no native extension.
//
// The layout relied on (sqlite-vec 0.1.x, read in its source sqlite-vec.c and checked by
// experiment with vec0.so 0.1.9; docs/import.md has the full description):
//   <t>_info              (key, value): CREATE_VERSION_MAJOR / _MINOR = 0 / 1
//   <t>_rowids            (rowid = memory_id, id NULL, chunk_id, chunk_offset): where each vector is
//   <t>_chunks            (chunk_id, size, sequence_id, partition00, validity, rowids):
//                         validity = size/8 bytes, bit (offset % 8) of byte (offset / 8) set when
//                         the slot is in use; rowids = size little-endian int64, the rowid per slot
//   <t>_vector_chunks00   (rowid, vectors): vectors = size x dims little-endian float32, slot by slot,
//                         found by the internal _rowid_ = chunk_id (sqlite-vec opens the blob by
//                         _rowid_; its `rowid` column is not an alias: SHADOW_TABLE_ROWID_QUIRK)
// A deleted memory clears its validity bit and its _rowids row; a later insert may reuse
// the slot. So a vector is taken only when _rowids points at a slot whose validity bit is
// set and whose rowids entry is that memory; anything else is a corrupt table. Anything
// but this layout is refused, never guessed at.

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

final class Vec0Reader implements AutoCloseable {
  static final String T = TableMap.VEC0;
  /** The declaration kodiai's learning store uses (lower case, single spaces), with D for the dimension. */
  static final List<String> DECLARED = List.of("memory_id integer primary key", "embedding float[D]",
      "repo text partition key", "severity text", "category text");

  final int dims;
  private static final VarHandle LE_INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle BE_INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
  /**
   * |x| >= 65520f, as float bits without the sign: rounds to an infinite half, which pgvector refuses (65504 is the
   * largest half).
   */
  static final int HALF_OVERFLOW_BITS = Float.floatToRawIntBits(65520f);
  /** The first element of the last vector read that halfvec cannot hold, or -1 (checked in the same pass as NaN). */
  int beyondHalf = -1;
  private final SqliteSource src;
  private final PreparedStatement chunkMeta, chunkVectors;
  private long chunkId = Long.MIN_VALUE;
  private int size;
  private byte[] validity, rowids, vectors;

  private Vec0Reader(SqliteSource src, int dims) throws SQLException {
    this.src = src;
    this.dims = dims;
    this.chunkMeta = src.connection().prepareStatement("SELECT size, validity, rowids FROM \"" + T
        + "_chunks\" WHERE chunk_id = ?");
    this.chunkVectors = src.connection().prepareStatement("SELECT vectors FROM \"" + T
        + "_vector_chunks00\" WHERE _rowid_ = ?");
  }

  /** Checks the layout and opens the reader; `targetDims` is the dimension of the target column. */
  static Vec0Reader open(SqliteSource src, int targetDims) throws SQLException {
    String sql;
    try (PreparedStatement ps = src.connection().prepareStatement("SELECT sql FROM sqlite_master WHERE name = ?")) {
      ps.setString(1, T);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) throw new ImportFailure(new ImportFailure.NoVec0Table(src.kind, src.file, T));
        sql = rs.getString(1);
      }
    }
    String norm = sql == null ? "" : sql.replaceAll("\\s+", " ").trim();
    int open = norm.toLowerCase().indexOf("using vec0(");
    if (open < 0 || !norm.endsWith(")"))
      throw new ImportFailure(new ImportFailure.NotVec0(src.kind, src.file, T, Converter.clip(norm)));
    List<String> args = new ArrayList<>();
    for (String a : norm.substring(open
        + 11, norm.length() - 1).split(",")) args.add(a.trim().toLowerCase().replaceAll(" +", " "));
    int dims = -1;
    if (args.size() == DECLARED.size() && args.get(1).matches("embedding float\\[\\d+\\]")) {
      dims = Integer.parseInt(args.get(1).replaceAll("\\D", ""));
      if (!args.equals(DECLARED.stream().map(d -> d.replace("D", ""
          + Integer.parseInt(args.get(1).replaceAll("\\D", "")))).toList())) dims = -1;
    }
    if (dims < 0) throw new ImportFailure(new ImportFailure.Vec0Declared(src.kind, src.file, T, args, DECLARED));
    if (dims != targetDims)
      throw new ImportFailure(new ImportFailure.Vec0Dimensions(src.kind, src.file, T, dims, targetDims));

    Map<String, String> info = new HashMap<>();
    if (!src.hasTable(T + "_info")) throw new ImportFailure(new ImportFailure.Vec0Version(src.kind, src.file, T, null));
    try (Statement st = src.connection().createStatement(); ResultSet rs = st.executeQuery("SELECT key, value FROM \""
        + T + "_info\"")) {
      while (rs.next()) info.put(rs.getString(1), rs.getString(2));
    }
    if (!"0".equals(info.get("CREATE_VERSION_MAJOR")) || !"1".equals(info.get("CREATE_VERSION_MINOR")))
      throw new ImportFailure(new ImportFailure.Vec0Version(src.kind, src.file, T,
          info.getOrDefault("CREATE_VERSION", "(unknown version)")));
    expectColumns(src, "_rowids", List.of("rowid", "id", "chunk_id", "chunk_offset"), true);
    expectColumns(src, "_chunks", List.of("chunk_id", "size", "validity", "rowids"), false);
    expectColumns(src, "_vector_chunks00", List.of("rowid", "vectors"), true);
    if (src.hasTable(T + "_vector_chunks01"))
      throw new ImportFailure(new ImportFailure.Vec0SecondVector(src.kind, src.file, T));
    return new Vec0Reader(src, dims);
  }

  private static void expectColumns(SqliteSource src, String suffix, List<String> expected, boolean exact)
      throws SQLException {
    List<String> cols = src.columns(T + suffix);
    boolean ok = exact ? cols.equals(expected) : cols.containsAll(expected);
    if (!ok) throw new ImportFailure(new ImportFailure.Vec0ShadowTable(src.kind, src.file, T, T
        + suffix, cols, expected));
  }

  /** The vector of `memoryId`, stored (per _rowids) at `offset` of chunk `chunk`. */
  Converter.Vector vector(long memoryId, long chunk, long offset) throws SQLException, Converter.Problem {
    if (chunk != chunkId) load(chunk, memoryId);
    if (offset < 0 || offset >= size) throw new Converter.Problem("vec0 places its vector at slot " + offset
        + " of chunk " + chunk + ", which has " + size + " slots");
    int o = (int) offset;
    if ((validity[o >>> 3] & (1 << (o & 7))) == 0) throw new Converter.Problem("vec0 slot " + offset + " of chunk "
        + chunk + " is marked free (validity bit clear)");
    long slotRowid = ByteBuffer.wrap(rowids, o * 8, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    if (slotRowid != memoryId) throw new Converter.Problem("vec0 slot " + offset + " of chunk " + chunk
        + " belongs to rowid " + slotRowid);
    int base = o * dims * 4;
    byte[] be = new byte[dims * 4];
    beyondHalf = -1;
    for (int k = 0; k < dims; k++) { // int views of the byte arrays: the JIT turns these into plain loads and stores
      int bits = (int) LE_INT.get(vectors, base + k * 4);
      if ((bits & 0x7f800000) == 0x7f800000)
        throw new Converter.Problem("embedding element " + k + " is " + Float.intBitsToFloat(bits)
            + " (NaN and infinity cannot be stored in a vector)");
      if ((bits & 0x7fffffff) >= HALF_OVERFLOW_BITS && beyondHalf < 0) beyondHalf = k;
      BE_INT.set(be, k * 4, bits);
    }
    return new Converter.Vector(be, dims);
  }

  private void load(long chunk, long memoryId) throws SQLException, Converter.Problem {
    chunkId = Long.MIN_VALUE;
    chunkMeta.setLong(1, chunk);
    try (ResultSet rs = chunkMeta.executeQuery()) {
      if (!rs.next()) throw new Converter.Problem("vec0 places its vector in chunk " + chunk
          + ", which does not exist");
      size = rs.getInt(1);
      validity = rs.getBytes(2);
      rowids = rs.getBytes(3);
    }
    chunkVectors.setLong(1, chunk);
    try (ResultSet rs = chunkVectors.executeQuery()) {
      if (!rs.next()) throw new Converter.Problem("vec0 chunk " + chunk + " has no vector blob");
      vectors = rs.getBytes(1);
    }
    if (size <= 0 || size % 8 != 0 || validity == null || validity.length != size / 8 || rowids == null
        || rowids.length != size * 8
        || vectors == null || vectors.length != (long) size * dims * 4)
      throw new Converter.Problem("vec0 chunk " + chunk + " has sizes that do not agree (size " + size + ", validity "
          + (validity == null ? 0 : validity.length) + " B, rowids " + (rowids == null ? 0 : rowids.length)
          + " B, vectors "
          + (vectors == null ? 0 : vectors.length) + " B)");
    chunkId = chunk;
  }

  /** Vectors whose memory row is gone (sqlite-vec rows the store did not delete): counted and skipped. */
  List<Long> vectorsWithoutMemory() throws SQLException {
    List<Long> ids = new ArrayList<>();
    try (Statement st = src.connection().createStatement(); ResultSet rs = st.executeQuery(
        "SELECT rowid FROM \"" + T + "_rowids\" WHERE rowid NOT IN (SELECT id FROM " + TableMap.MEMORIES
        + ") ORDER BY rowid")) {
      while (rs.next()) ids.add(rs.getLong(1));
    }
    return ids;
  }

  long vectorCount() throws SQLException { return src.count(T + "_rowids"); }

  @Override public void close() throws SQLException {
    chunkMeta.close();
    chunkVectors.close();
  }

  static Set<String> shadowSuffixes() { return Set.of("_info", "_rowids", "_chunks", "_vector_chunks00"); }
}
