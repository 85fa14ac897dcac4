// Shared source of the importer (//SOURCES importer/SqliteSource.java; needs
// org.xerial:sqlite-jdbc): one kodiai SQLite file, opened read-only, read inside one read
// transaction, so every table comes from the same snapshot even while the bot writes (WAL:
// the snapshot is fixed by the first read and writers go on beside it).
//
// The file is never written: every connection to it, in every path, is read-only (a read-write
// connection that happens to be the last one to close checkpoints the -wal into the main file:
// the main file changes when a writer crashed and left its -wal). One side effect of SQLite
// itself is undone: a read-only connection to a WAL-mode file creates empty -wal and -shm
// files beside it when they are missing (the bot is stopped), and cannot delete them. When
// that happened and the -wal is still empty, they are deleted while holding SQLite's own
// "dead man switch" lock of the -shm exclusively (byte 128: every connection to the file holds
// it shared), so never under a connection of another process; anything else is left as found.

//DEPS org.xerial:sqlite-jdbc:3.54.1.0

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.StandardOpenOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteException;

final class SqliteSource implements AutoCloseable {
  final Path file;
  final TableMap.FileKind kind;
  final Map<String, List<String>> tables = new LinkedHashMap<>(); // data tables (not internal) -> columns
  final Map<String, Long> sequences = new LinkedHashMap<>();       // sqlite_sequence: highest id ever issued
  private final Connection conn;
  private final boolean walMode, walExisted;

  private static final byte[] MAGIC = "SQLite format 3\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  private SqliteSource(Path file, TableMap.FileKind kind, Connection conn, boolean walMode, boolean walExisted) {
    this.file = file; this.kind = kind; this.conn = conn; this.walMode = walMode; this.walExisted = walExisted;
  }

  /** Opens `file` as a file of `kind` and starts its snapshot; every refusal is an ImportFailure. */
  static SqliteSource open(Path file, TableMap.FileKind kind, Duration lockTimeout) {
    byte[] header = header(file, kind);
    boolean wal = header[18] == 2 && header[19] == 2;
    boolean walExisted = Files.exists(sibling(file, "-wal"));
    SQLiteConfig cfg = new SQLiteConfig();
    cfg.setReadOnly(true);
    cfg.setBusyTimeout((int) Math.min(Integer.MAX_VALUE, lockTimeout.toMillis()));
    cfg.setSharedCache(false);
    Connection c;
    try {
      c = cfg.createConnection("jdbc:sqlite:" + file.toAbsolutePath());
    } catch (SQLException e) {
      throw translate(file, kind, e, lockTimeout);
    }
    SqliteSource s = new SqliteSource(file, kind, c, wal, walExisted);
    try {
      try (Statement st = c.createStatement()) {
        st.execute("PRAGMA mmap_size = 268435456"); // vector chunks are 4 MiB blobs: map them rather than copy
        st.execute("PRAGMA cache_size = -65536");
      }
      c.setAutoCommit(false); // BEGIN (deferred): the first read below fixes the snapshot
      s.readCatalog();
      return s;
    } catch (SQLException e) {
      s.closeQuietly();
      throw translate(file, kind, e, lockTimeout);
    } catch (RuntimeException e) {
      s.closeQuietly();
      throw e;
    }
  }

  private static byte[] header(Path file, TableMap.FileKind kind) {
    if (!Files.exists(file)) throw new ImportFailure(new ImportFailure.NoSuchFile(kind, file));
    if (!Files.isRegularFile(file)) throw new ImportFailure(new ImportFailure.NotAFile(kind, file));
    if (!Files.isReadable(file)) throw new ImportFailure(new ImportFailure.NotReadable(kind, file));
    byte[] h = new byte[100];
    int n;
    try (InputStream in = Files.newInputStream(file)) {
      n = in.readNBytes(h, 0, 100);
    } catch (IOException e) {
      throw new ImportFailure(new ImportFailure.CannotRead(kind, file, e.getMessage()), e);
    }
    if (n == 0) throw new ImportFailure(new ImportFailure.EmptyFile(kind, file));
    for (int k = 0; k < MAGIC.length; k++) {
      if (k >= n || h[k] != MAGIC[k]) throw new ImportFailure(new ImportFailure.NoSqliteHeader(kind, file));
    }
    if (n < 100) throw new ImportFailure(new ImportFailure.ShortHeader(kind, file, n));
    return h;
  }

  private void readCatalog() throws SQLException {
    List<String> names = new ArrayList<>();
    try (Statement st = conn.createStatement()) {
      try (ResultSet rs = st.executeQuery("PRAGMA encoding")) {
        rs.next();
        if (!"UTF-8".equalsIgnoreCase(rs.getString(1)))
          throw new ImportFailure(new ImportFailure.TextEncoding(kind, file, rs.getString(1)));
      }
      try (ResultSet rs = st.executeQuery("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")) {
        while (rs.next()) names.add(rs.getString(1));
      }
    }
    checkKind(names);
    for (String t : names) {
      if (TableMap.isInternal(t)) continue;
      tables.put(t, columns(t));
    }
    if (names.contains("sqlite_sequence")) {
      try (Statement st = conn.createStatement(); ResultSet rs =
          st.executeQuery("SELECT name, seq FROM sqlite_sequence")) {
        while (rs.next()) sequences.put(rs.getString(1), rs.getLong(2));
      }
    }
  }

  private void checkKind(List<String> names) {
    if (names.contains(kind.markerTable)) return;
    for (TableMap.FileKind other : TableMap.FileKind.values()) {
      if (other != kind && names.contains(other.markerTable))
        throw new ImportFailure(new ImportFailure.WrongFile(kind, file, other));
    }
    List<String> data = names.stream().filter(n -> !n.startsWith("sqlite_")).toList();
    List<String> first = List.copyOf(data.subList(0, Math.min(8, data.size())));
    throw new ImportFailure(new ImportFailure.NotKodiaiFile(kind, file, first));
  }

  /** A table's columns in declaration order. */
  List<String> columns(String table) throws SQLException {
    List<String> cols = new ArrayList<>();
    try (PreparedStatement ps = conn.prepareStatement("SELECT name FROM pragma_table_info(?) ORDER BY cid")) {
      ps.setString(1, table);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) cols.add(rs.getString(1));
      }
    }
    return cols;
  }

  boolean hasTable(String name) throws SQLException {
    try (PreparedStatement ps =
        conn.prepareStatement("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) { return rs.next(); }
    }
  }

  Connection connection() { return conn; }

  long count(String table) throws SQLException {
    try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM "
        + quote(table))) {
      rs.next();
      return rs.getLong(1);
    }
  }

  static String quote(String ident) { return "\"" + ident.replace("\"", "\"\"") + "\""; }

  /** A SQLite error as the one-line failure it means for the user. */
  static ImportFailure translate(Path file, TableMap.FileKind kind, SQLException e, Duration lockTimeout) {
    int code = e instanceof SQLiteException se ? se.getResultCode().code & 0xff : e.getErrorCode() & 0xff;
    String msg = e.getMessage() == null ? "" : e.getMessage().replaceFirst("^\\[SQLITE_\\w+\\]\\s*", "");
    return switch (code) {
      case 5, 6 -> new ImportFailure(new ImportFailure.Locked(kind, file, lockTimeout.toSeconds()));
      case 11, 26 -> new ImportFailure(new ImportFailure.Corrupt(kind, file, msg));
      // the local problems keep SQLite's exception as the cause (--verbose prints it)
      case 8, 14, 23 -> new ImportFailure(new ImportFailure.SqliteError(kind, file, code, msg), e);
      default -> new ImportFailure(new ImportFailure.SqliteError(kind, file, code, msg));
    };
  }

  private void closeQuietly() {
    try { conn.close(); } catch (SQLException ignored) { /* closing a read-only connection loses nothing */ }
    removeFilesWeCreated();
  }

  /** Ends the snapshot and closes the file; see the header for the -wal/-shm clean-up. */
  @Override public void close() {
    try { conn.rollback(); } catch (SQLException ignored) { /* a read transaction has nothing to roll back */ }
    closeQuietly();
  }

  private void removeFilesWeCreated() {
    Path wal = sibling(file, "-wal"), shm = sibling(file, "-shm");
    try {
      if (!walMode || walExisted || !Files.exists(wal) || Files.size(wal) != 0 || !Files.exists(shm)) return;
      try (FileChannel ch = FileChannel.open(shm, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
        FileLock dms = ch.tryLock(DMS_BYTE, 1, false);
        if (dms == null) return; // another connection has the file open: the -wal and -shm are its
        try {
          Files.deleteIfExists(wal);
          Files.deleteIfExists(shm);
        } finally {
          dms.release();
        }
      }
    } catch (IOException | java.nio.channels.OverlappingFileLockException ignored) {
      // best effort: leftover empty -wal/-shm files are harmless to SQLite and the bot
    }
  }

  /** os_unix.c: UNIX_SHM_DMS = (22 + SQLITE_SHM_NLOCK) * 4 + SQLITE_SHM_NLOCK, SQLITE_SHM_NLOCK = 8. */
  private static final long DMS_BYTE = 128;

  static Path sibling(Path file, String suffix) { return file.resolveSibling(file.getFileName() + suffix); }
}
