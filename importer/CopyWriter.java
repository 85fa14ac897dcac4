// Shared source of the importer (//SOURCES importer/CopyWriter.java; needs pgjdbc): rows into
// a table with COPY ... FROM STDIN (FORMAT binary): each value in PostgreSQL's own binary
// form (PgBinary), so nothing is printed and parsed back (no float or timestamp text round
// trips), sent in 1 MiB pieces. pgjdbc comes with DbClient.java, which every user of the
// importer sources (pinned there only).

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

final class CopyWriter implements AutoCloseable {
  private static final byte[] HEADER = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0, 0, 0, 0, 0,
      0, 0, 0, 0};
  private static final int FLUSH_AT = 1 << 20;

  private final CopyIn copy;
  private final List<ColumnType> types;
  private ByteBuffer buf = ByteBuffer.allocate(FLUSH_AT + (1 << 16)).order(ByteOrder.BIG_ENDIAN);
  private final PgBinary.Sink sink = this::room;
  private boolean done;
  long rows;

  /** Starts `COPY table (columns) FROM STDIN (FORMAT binary)`; `table` and `columns` are quoted by the caller. */
  CopyWriter(Connection conn, String table, List<String> quotedColumns, List<ColumnType> types) throws SQLException {
    this.types = types;
    this.copy = conn.unwrap(PGConnection.class).getCopyAPI()
        .copyIn("COPY " + table + " (" + String.join(", ", quotedColumns) + ") FROM STDIN (FORMAT binary)");
    buf.put(HEADER);
  }

  /** One row; `values[k]` is what Converter returned for column k (null for NULL). */
  void row(Object[] values) throws SQLException {
    room(2).putShort((short) values.length);
    for (int k = 0; k < values.length; k++) PgBinary.put(sink, values[k], types.get(k), false);
    rows++;
    if (buf.position() >= FLUSH_AT) flush();
  }

  /** Makes room for `n` more bytes: sends what is buffered, or grows for one large value. */
  private ByteBuffer room(int n) throws SQLException {
    if (buf.remaining() >= n) return buf;
    flush();
    if (buf.remaining() < n) buf = ByteBuffer.allocate(n + 16).order(ByteOrder.BIG_ENDIAN);
    return buf;
  }

  private void flush() throws SQLException {
    if (buf.position() > 0) copy.writeToCopy(buf.array(), 0, buf.position());
    buf.clear();
    if (buf.capacity() > FLUSH_AT + (1 << 16))
      buf = ByteBuffer.allocate(FLUSH_AT + (1 << 16)).order(ByteOrder.BIG_ENDIAN);
  }

  /** Ends the COPY; returns the rows the server took. */
  long finish() throws SQLException {
    room(2).putShort((short) -1);
    flush();
    done = true;
    return copy.endCopy();
  }

  /** Abandons the COPY (the server discards its rows); safe to call after finish. */
  @Override public void close() throws SQLException {
    if (!done && copy.isActive()) copy.cancelCopy();
    done = true;
  }
}
