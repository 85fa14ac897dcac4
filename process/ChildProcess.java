// Shared source (//SOURCES process/*.java; needs cli/): the one way kodiai-db runs another program
// (docker, pg_ctl, initdb, psql, pgbouncer, az, scripts). A timeout that fires whatever the child
// does: its stdout and stderr are read on threads of their own, so a child that fills a pipe cannot
// block us and one that never answers cannot hold us past the timed wait; on expiry (or when this
// thread is interrupted) the child and every process it started are killed. A program that is not
// there, that times out or that fails becomes a ChildProcess.Failed of one kind, one line.

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

final class ChildProcess {
  /** How long the output readers may go on after the child ended (a grandchild may hold the pipe). */
  static final Duration DRAIN = Duration.ofSeconds(2);
  /** The most output kept per stream; more is read and dropped, so the child never blocks on a full pipe. */
  static final int KEEP_BYTES = 16 << 20;

  /** How a run ended. */
  enum End { EXITED, TIMED_OUT, INTERRUPTED }

  /** The outcome of one run: its exit code (-1 unless EXITED), its output, how it ended, how long it took. */
  record Result(String name, int exitCode, String stdout, String stderr, End end, Duration timeout, long millis) {
    boolean ok() { return end == End.EXITED && exitCode == 0; }

    /** This result when the child exited 0, else the Failed that says how it did not. */
    Result orThrow() {
      if (ok()) return this;
      throw failure();
    }

    /** What went wrong, in one line ("" when nothing did). */
    String problem() { return ok() ? "" : failure().getMessage(); }

    private Failed failure() {
      return switch (end) {
        case TIMED_OUT -> new Failed(Failed.Kind.TIMED_OUT, name + " did not finish within " + seconds(timeout)
            + " (stopped it and every process it started)");
        case INTERRUPTED -> new Failed(Failed.Kind.INTERRUPTED, name + " was stopped: kodiai-db was interrupted");
        case EXITED -> new Failed(Failed.Kind.EXIT_STATUS, name + " failed (exit " + exitCode + ")" + tail(this));
      };
    }
  }

  /** A child that could not run, ran too long, or failed: one line; the kind says which. */
  static final class Failed extends Failure {
    enum Kind { CANNOT_START, TIMED_OUT, INTERRUPTED, EXIT_STATUS }
    final Kind kind;
    Failed(Kind kind, String message) {
      super(kind == Kind.CANNOT_START ? ExitCode.MISSING_TOOL : ExitCode.FAILED, message);
      this.kind = kind;
    }
  }

  private final List<String> command;
  private final Map<String, String> env = new LinkedHashMap<>();
  private Map<String, String> wholeEnv; // non-null: the child gets exactly this environment
  private Path dir;
  private boolean inheritOutput, mergeErrors;
  private Consumer<Process> onStart = p -> { };
  private String name;

  private ChildProcess(List<String> command) {
    this.command = List.copyOf(command);
    this.name = Path.of(command.get(0)).getFileName().toString();
  }

  static ChildProcess of(String... command) { return new ChildProcess(List.of(command)); }
  static ChildProcess of(List<String> command) { return new ChildProcess(command); }

  /** Sets one variable of the child's environment; a null value changes nothing (e.g. a URL without a password). */
  ChildProcess env(String key, String value) {
    if (value != null) env.put(key, value);
    return this;
  }
  /** The child gets exactly `all` as its environment (then env() changes that). */
  ChildProcess exactEnv(Map<String, String> all) { wholeEnv = new LinkedHashMap<>(all); return this; }
  ChildProcess dir(Path workingDir) { dir = workingDir; return this; }
  /** The child writes to our stdout and stderr (a long install the user should watch); nothing is kept. */
  ChildProcess inheritOutput() { inheritOutput = true; return this; }
  /** stderr goes into stdout, interleaved as the child writes them. */
  ChildProcess mergeErrors() { mergeErrors = true; return this; }
  /** Called with the started process (e.g. to keep it for a shutdown hook). */
  ChildProcess onStart(Consumer<Process> hook) { onStart = hook; return this; }
  /** How messages name the child (default: the program's file name). */
  ChildProcess named(String shownName) { name = shownName; return this; }

  /** Runs it and fails (CANNOT_START, TIMED_OUT, INTERRUPTED, EXIT_STATUS) unless it exits 0 in time. */
  Result runOrThrow(Duration timeout) { return run(timeout).orThrow(); }

  /** Runs it: stdin is empty, the wait is at most `timeout`; CANNOT_START when the program cannot be run. */
  Result run(Duration timeout) {
    long t0 = System.nanoTime();
    Process p;
    try {
      p = builder().start();
    } catch (IOException e) {
      throw new Failed(Failed.Kind.CANNOT_START, "cannot run " + name + ": " + reason(e));
    }
    onStart.accept(p);
    Output out = inheritOutput ? null : new Output(p.getInputStream(), name + "-stdout");
    Output err = inheritOutput || mergeErrors ? null : new Output(p.getErrorStream(), name + "-stderr");
    End end = waitFor(p, timeout);
    if (end != End.EXITED) killTree(p);
    long millis = (System.nanoTime() - t0) / 1_000_000;
    long drainUntil = System.nanoTime() + DRAIN.toNanos(); // one deadline for both streams
    return new Result(name, end == End.EXITED ? p.exitValue() : -1, out == null ? "" : out.text(drainUntil),
        err == null ? "" : err.text(drainUntil), end, timeout, millis);
  }

  private ProcessBuilder builder() {
    ProcessBuilder pb = new ProcessBuilder(command)
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    if (wholeEnv != null) { pb.environment().clear(); pb.environment().putAll(wholeEnv); }
    pb.environment().putAll(env);
    if (dir != null) pb.directory(dir.toFile());
    if (inheritOutput) pb.inheritIO().redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    else if (mergeErrors) pb.redirectErrorStream(true);
    return pb;
  }

  private static End waitFor(Process p, Duration timeout) {
    try {
      return p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? End.EXITED : End.TIMED_OUT;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // the caller sees the flag; the child must not outlive us
      return End.INTERRUPTED;
    }
  }

  /** Kills `p` and everything it started (children first, as far as they are still attached), then waits a moment. */
  static void killTree(Process p) {
    List<ProcessHandle> tree = new ArrayList<>(p.descendants().toList());
    tree.add(p.toHandle());
    tree.forEach(ProcessHandle::destroyForcibly);
    boolean interrupted = Thread.interrupted(); // wait for them all the same; the flag is put back below
    for (ProcessHandle h : tree) {
      try {
        h.onExit().get(5, TimeUnit.SECONDS);
      } catch (Exception e) {
        // gone already, or beyond waiting for: it was sent SIGKILL
      }
    }
    if (interrupted) Thread.currentThread().interrupt();
  }

  /** One stream read to its end on a daemon thread, keeping at most KEEP_BYTES. */
  private static final class Output {
    private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
    private final Thread reader;

    Output(InputStream in, String threadName) {
      reader = new Thread(() -> pump(in), threadName);
      reader.setDaemon(true);
      reader.start();
    }

    private void pump(InputStream in) {
      byte[] buf = new byte[8192];
      try (in) {
        for (int n; (n = in.read(buf)) >= 0; ) {
          synchronized (kept) {
            if (kept.size() < KEEP_BYTES) kept.write(buf, 0, Math.min(n, KEEP_BYTES - kept.size()));
          }
        }
      } catch (IOException ignored) {
        // the pipe closed under us (the child was killed): what was read is kept
      }
    }

    /** What was read: after the reader finished,
        or at `deadline` (nanoTime) when something else still holds the pipe. */
    String text(long deadline) {
      try {
        reader.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      synchronized (kept) { return kept.toString(StandardCharsets.UTF_8); }
    }
  }

  private static String reason(IOException e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    if (m.contains("error=2,")) return "not found (is it installed and on PATH?)";
    if (m.contains("error=13,")) return "permission denied";
    return m;
  }

  private static String seconds(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
  }

  /** The last lines of what the child printed, on one line, for an error message. */
  static String tail(Result r) {
    String all = (r.stdout() + "\n" + r.stderr()).strip();
    if (all.isEmpty()) return "";
    String one = all.substring(Math.max(0, all.length() - 600)).replaceAll("\\s*\\R\\s*", " ");
    return ": " + one;
  }
}
