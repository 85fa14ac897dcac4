// process/ChildProcess.java with real children (bash, sleep): a child that never answers is stopped at
// its timeout together with what it started, full pipes do not block, and each failure has its kind.

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@Fast
class ChildProcessTest {
  Path tmp;

  @BeforeEach void makeTmp() throws Exception { tmp = Files.createTempDirectory("kodiai-child-test"); }

  @AfterEach void cleanUp() throws Exception {
    for (long pid : pids()) ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly); // never leave one behind
    try (var files = Files.walk(tmp)) {
      for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    }
  }

  /** The pids the test scripts wrote to tmp/pids (the script's own and its children's). */
  List<Long> pids() throws Exception {
    Path f = tmp.resolve("pids");
    if (!Files.exists(f)) return List.of();
    return Files.readAllLines(f).stream().filter(l -> !l.isBlank()).map(Long::parseLong).toList();
  }

  ChildProcess bash(String script) { return ChildProcess.of("bash", "-c", script).env("PIDS",
      tmp.resolve("pids").toString()); }

  @Test void aChildThatNeverAnswersIsStoppedAtItsTimeoutWithEverythingItStarted() throws Exception {
    // The shell starts a grandchild and waits for it; both must be gone when run() returns.
    ChildProcess child = bash("echo $$ >> \"$PIDS\"; sleep 600 & echo $! >> \"$PIDS\"; echo started; wait");
    long t0 = System.nanoTime();
    ChildProcess.Result r = child.run(Duration.ofSeconds(1));
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertEquals(ChildProcess.End.TIMED_OUT, r.end());
    assertEquals(-1, r.exitCode());
    assertEquals("started\n", r.stdout(), "what it printed before the timeout is kept");
    assertTrue(ms < 1000 + ChildProcess.DRAIN.toMillis() + 3000, "returned after " + ms + " ms");
    assertEquals(2, pids().size());
    for (long pid : pids()) assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "pid " + pid
        + " alive");
    ChildProcess.Failed f = assertThrows(ChildProcess.Failed.class, r::orThrow);
    assertEquals(ChildProcess.Failed.Kind.TIMED_OUT, f.kind);
    assertEquals(ExitCode.FAILED, f.exitCode);
    assertEquals("bash did not finish within 1 s (stopped it and every process it started)", f.getMessage());
  }

  @Test void aChildThatFillsBothPipesFinishes() {
    // 4 MiB on each stream: far past a pipe's 64 KiB, so reading one stream after the other would deadlock.
    ChildProcess.Result r = bash("head -c 4194304 /dev/zero | tr '\\0' a; head -c 4194304 /dev/zero | tr '\\0' b >&2")
        .run(Duration.ofSeconds(60));
    assertTrue(r.ok(), r.problem());
    assertEquals(4 << 20, r.stdout().length());
    assertEquals(4 << 20, r.stderr().length());
  }

  @Test void aGrandchildThatKeepsThePipeOpenDoesNotHoldTheCaller() throws Exception {
    // A daemon (detached, so not a descendant any more) inherits stdout and keeps it open for 30 s.
    long t0 = System.nanoTime();
    ChildProcess.Result r = bash("(sleep 30 & echo $! >> \"$PIDS\"); echo done").run(Duration.ofSeconds(20));
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertTrue(r.ok(), r.problem());
    assertEquals("done\n", r.stdout());
    assertTrue(ms < ChildProcess.DRAIN.toMillis() + 5000, "returned after " + ms + " ms");
  }

  @Test void aMissingProgramIsCannotStartWithExitCodeSix() {
    ChildProcess.Failed f = assertThrows(ChildProcess.Failed.class,
        () -> ChildProcess.of(tmp.resolve("no-such-tool").toString()).run(Duration.ofSeconds(5)));
    assertEquals(ChildProcess.Failed.Kind.CANNOT_START, f.kind);
    assertEquals(ExitCode.MISSING_TOOL, f.exitCode);
    assertTrue(f.getMessage().startsWith("cannot run no-such-tool: not found"), f.getMessage());
  }

  @Test void aFailingChildIsExitStatusWithTheTailOfItsOutputOnOneLine() {
    ChildProcess.Result r = bash("echo first; echo 'second line' >&2; exit 3").named("tool"
        + " x").run(Duration.ofSeconds(10));
    assertEquals(ChildProcess.End.EXITED, r.end());
    assertEquals(3, r.exitCode());
    ChildProcess.Failed f = assertThrows(ChildProcess.Failed.class, r::orThrow);
    assertEquals(ChildProcess.Failed.Kind.EXIT_STATUS, f.kind);
    assertEquals("tool x failed (exit 3): first second line", f.getMessage());
  }

  @Test void anInterruptedCallerStopsTheChild() throws Exception {
    Thread caller = Thread.currentThread();
    Thread interrupter = new Thread(() -> {
      try { Thread.sleep(500); } catch (InterruptedException ignored) { }
      caller.interrupt();
    });
    interrupter.start();
    ChildProcess.Result r = bash("echo $$ >> \"$PIDS\"; sleep 600 & echo $! >> \"$PIDS\";"
        + " wait").run(Duration.ofSeconds(60));
    assertTrue(Thread.interrupted(), "the interrupt flag is kept for the caller (and cleared here)");
    interrupter.join();
    assertEquals(ChildProcess.End.INTERRUPTED, r.end());
    for (long pid : pids()) assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "pid " + pid
        + " alive");
    assertEquals(ChildProcess.Failed.Kind.INTERRUPTED, assertThrows(ChildProcess.Failed.class, r::orThrow).kind);
  }

  @Test void exactEnvironmentAndWorkingDirectory() {
    ChildProcess.Result r = ChildProcess.of("/bin/sh", "-c", "echo \"$ONLY:$HOME:$(pwd)\"")
        .exactEnv(java.util.Map.of("ONLY", "x")).dir(tmp).run(Duration.ofSeconds(10));
    assertEquals("x::" + tmp.toAbsolutePath(), r.stdout().strip());
  }
}
