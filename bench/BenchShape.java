// Shared source of the bench command (//SOURCES bench/BenchShape.java): the shape of the
// throwaway cluster. `none` keeps the data in memory (a roomy dev machine); `b1ms` is
// kodiai's production server, Azure Flexible Server Burstable B1ms: 1 vCore, 2 GiB of
// memory *including the page cache*, and the server parameters Azure sets for that size.
//
// Memory: a cgroup v1 memory controller group (/sys/fs/cgroup/memory/NAME) whose limit
// covers the page cache the group's processes bring in, entered by the shell that
// starts pg_ctl, so the postmaster and every backend inherit it. CPU: `taskset` pins
// that shell to one CPU, inherited alike. Both need root and the v1 hierarchy; where
// either is missing the bench says so and runs with the parameters only. After the
// start it reads the limits back from the postmaster's /proc entry and the server.


import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

final class BenchShape {
  static final String NONE = "none", B1MS = "b1ms";

  /**
   * Azure's server parameters for a 2 GiB server (B1ms), from Azure's server-parameter
   * documentation (docs/retrieval.md cites the pages): shared_buffers = memoryGiB x 16384
   * pages of 8 kB = 256 MB; effective_cache_size = memoryGiB x 131072 - shared_buffers
   * pages = 1792 MB; maintenance_work_mem = (82.5 ln(memoryGiB) + 40) x 1024 kB = 99,328 kB;
   * work_mem 4 MB; max_connections 50; random_page_cost 2.
   */
  static final List<String> AZURE_B1MS = List.of("shared_buffers = '256MB'", "effective_cache_size = '1792MB'",
      "maintenance_work_mem = '99328kB'", "work_mem = '4MB'", "max_connections = 50", "random_page_cost = 2");

  static final long B1MS_MEMORY = 2L << 30; // 2 GiB, page cache included
  static final Path CGROUP_ROOT = Path.of("/sys/fs/cgroup/memory");

  final String name;
  Path cgroup;      // the memory cgroup in force, null if none
  Integer cpu;      // the pinned CPU, null if none
  final List<String> notes = new ArrayList<>();

  BenchShape(String name) { this.name = name; }

  boolean b1ms() { return B1MS.equals(name); }

  /** The launcher for pg_ctl: enter the cgroup, pin one CPU (what of that is available here). */
  List<String> launcher() throws IOException {
    if (!b1ms()) return List.of();
    List<String> l = new ArrayList<>();
    boolean root = LocalCluster.runningAsRoot();
    if (!root) notes.add("not root: no memory cgroup and no CPU pinning (run as root to shape)");
    else if (!Files.isWritable(CGROUP_ROOT)) notes.add("no cgroup v1 memory controller at " + CGROUP_ROOT
        + ": memory not limited");
    else {
      cgroup = CGROUP_ROOT.resolve("kodiai-bench-b1ms-" + ProcessHandle.current().pid());
      Files.createDirectories(cgroup);
      Files.writeString(cgroup.resolve("memory.limit_in_bytes"), Long.toString(B1MS_MEMORY));
      // `$$` is the shell that then execs pg_ctl: its pid enters the group before anything forks.
      l.addAll(List.of("sh", "-c", "echo $$ > " + cgroup.resolve("cgroup.procs") + " && exec \"$@\"", "sh"));
    }
    if (root && onPath("taskset")) {
      int cpus = Runtime.getRuntime().availableProcessors();
      cpu = cpus - 1; // the last CPU: the bench's own JVM and the other work keep the rest
      l.addAll(List.of("taskset", "-c", Integer.toString(cpu)));
    } else if (root) notes.add("no taskset: CPUs not limited");
    return l;
  }

  /** Reads back what is really in force for the running server. */
  List<String> inForce(Connection c) throws Exception {
    List<String> lines = new ArrayList<>();
    int pid;
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
        "SELECT pg_backend_pid(), current_setting('shared_buffers'), current_setting('effective_cache_size'), "
            + "current_setting('maintenance_work_mem'), current_setting('work_mem'), "
                + "current_setting('max_connections'), "
            + "current_setting('random_page_cost')")) {
      rs.next();
      pid = rs.getInt(1);
      lines.add(String.format(Locale.ROOT,
          "server: shared_buffers %s, effective_cache_size %s, maintenance_work_mem %s, work_mem %s, "
          + "max_connections %s, random_page_cost %s", rs.getString(2), rs.getString(3), rs.getString(4),
              rs.getString(5),
          rs.getString(6), rs.getString(7)));
    }
    Path status = Path.of("/proc", Integer.toString(pid), "status");
    Path cg = Path.of("/proc", Integer.toString(pid), "cgroup");
    String cpus = Files.isReadable(status)
        ? Files.readAllLines(status).stream().filter(s -> s.startsWith("Cpus_allowed_list:"))
        .map(s -> s.substring(s.indexOf(':') + 1).strip()).findFirst().orElse("?") : "?";
    String memGroup = Files.isReadable(cg) ? Files.readAllLines(cg).stream().filter(s -> s.matches("\\d+:memory:.*"))
        .map(s -> s.substring(s.indexOf(":memory:") + 8)).findFirst().orElse("?") : "?";
    String limit = "none";
    Path limitFile = CGROUP_ROOT.resolve(memGroup.startsWith("/") ? memGroup.substring(1)
        : memGroup).resolve("memory.limit_in_bytes");
    if (!memGroup.equals("/") && !memGroup.equals("?") && Files.isReadable(limitFile)) {
      long bytes = Long.parseLong(Files.readString(limitFile).strip());
      limit = String.format(Locale.ROOT, "%,d MiB incl. page cache (memory cgroup %s)", bytes >> 20, memGroup);
    }
    lines.add("backend pid " + pid + ": CPUs " + cpus + " of " + Runtime.getRuntime().availableProcessors()
        + "; memory limit " + limit);
    for (String n : notes) lines.add("note: " + n);
    return lines;
  }

  /** Peak memory of the group so far and how often it hit the limit (reclaim), if a group is in force. */
  String usage() {
    if (cgroup == null) return null;
    try {
      long max = Long.parseLong(Files.readString(cgroup.resolve("memory.max_usage_in_bytes")).strip());
      long now = Long.parseLong(Files.readString(cgroup.resolve("memory.usage_in_bytes")).strip());
      long fail = Long.parseLong(Files.readString(cgroup.resolve("memory.failcnt")).strip());
      return String.format(Locale.ROOT, "memory cgroup: now %,d MiB, peak %,d MiB of %,d MiB; limit reached %,d times",
          now >> 20, max >> 20, B1MS_MEMORY >> 20, fail);
    } catch (IOException | NumberFormatException e) {
      return null;
    }
  }

  /** Removes the group (after the server stopped; a group with processes cannot be removed). */
  void release() {
    if (cgroup == null) return;
    try {
      Files.deleteIfExists(cgroup);
    } catch (IOException ignored) {
      // best effort: an empty group costs nothing
    }
  }

  /**
   * Time the server process `pid` has spent on a CPU so far, in ns (/proc/PID/schedstat, first field), or -1 where
   * unreadable (another host). Per query, it is what the query costs on a CPU of its own: wall time minus the time
   * spent waiting for a CPU that other work held (on a shared machine, or on a Burstable server out of credits).
   */
  static long onCpuNanos(int pid) {
    try {
      String s = Files.readString(Path.of("/proc", Integer.toString(pid), "schedstat"));
      return Long.parseLong(s.substring(0, s.indexOf(' ')));
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  private static boolean onPath(String tool) {
    for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":"))
      if (Files.isExecutable(Path.of(d, tool))) return true;
    return false;
  }
}
