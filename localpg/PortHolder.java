// Shared source: is a TCP port on 127.0.0.1 free, and if not, who holds it? For devdb's
// one-line "port taken" message. Linux only for the "who" part: the listening socket's
// inode from /proc/net/tcp{,6}, the process whose file descriptors hold it, and for a
// PostgreSQL server its data folder (from its command line, `postgres -D DIR`). Where
// /proc does not tell (another user's process without root, another OS), it says less.

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

final class PortHolder {
  private PortHolder() {}

  /** True when nothing listens on 127.0.0.1:port (we could bind it). */
  static boolean free(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Who listens on `port`, in a few words: "the devdb of another checkout (/x/.devdb/pgdata)",
   * "PostgreSQL (pid 12, data /var/lib/...)", "pgbouncer (pid 34)", or "another program".
   */
  static String describe(int port) {
    long inode = listeningInode(port);
    long pid = inode > 0 ? pidHolding(inode) : -1;
    if (pid < 0) return "another program";
    List<String> cmd = cmdline(pid);
    String exe = cmd.isEmpty() ? "?" : Path.of(cmd.get(0)).getFileName().toString();
    int d = cmd.indexOf("-D");
    if (exe.equals("postgres") && d >= 0 && d + 1 < cmd.size()) {
      Path data = Path.of(cmd.get(d + 1));
      return (devdbCluster(data) ? "another devdb cluster" : "PostgreSQL") + " (pid " + pid + ", data " + data + ")";
    }
    return exe + " (pid " + pid + ")";
  }

  /** A cluster that devdb made: LocalCluster's settings block, without the throwaway settings of test clusters. */
  static boolean devdbCluster(Path data) {
    try {
      String conf = Files.readString(data.resolve("postgresql.conf"));
      return conf.contains("\n# kodiai-db\n") && !conf.contains("\nfsync = off\n");
    } catch (IOException e) {
      return data.getFileName() != null && data.getFileName().toString().equals("pgdata"); // devdb's folder name
    }
  }

  /** The inode of the socket listening on port (IPv4 or IPv6 table), or -1. */
  private static long listeningInode(int port) {
    String hexPort = String.format(":%04X", port);
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      try {
        for (String line : Files.readAllLines(Path.of(table))) {
          String[] f = line.trim().split("\\s+");
          // sl local_address rem_address st ... inode (field 9); st 0A = LISTEN
          if (f.length > 9 && f[1].endsWith(hexPort) && f[3].equals("0A")) return Long.parseLong(f[9]);
        }
      } catch (IOException | RuntimeException ignored) {
        // no /proc here: say less
      }
    }
    return -1;
  }

  /** The process with a file descriptor on socket `inode`, or -1 (not ours to see, or gone). */
  private static long pidHolding(long inode) {
    String target = "socket:[" + inode + "]";
    try (DirectoryStream<Path> procs =
             Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
      for (Path proc : procs) {
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(proc.resolve("fd"))) {
          for (Path fd : fds) {
            if (target.equals(String.valueOf(Files.readSymbolicLink(fd))))
              return Long.parseLong(proc.getFileName().toString());
          }
        } catch (IOException | RuntimeException ignored) {
          // another user's process: its fds are hidden
        }
      }
    } catch (IOException ignored) {
      // no /proc
    }
    return -1;
  }

  private static List<String> cmdline(long pid) {
    try {
      String raw = new String(Files.readAllBytes(Path.of("/proc", "" + pid, "cmdline")), StandardCharsets.UTF_8);
      return raw.isEmpty() ? List.of() : List.of(raw.split("\0"));
    } catch (IOException e) {
      return List.of();
    }
  }
}
