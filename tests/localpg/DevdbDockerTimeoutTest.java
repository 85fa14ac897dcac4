// devdb with a `docker` stand-in that never answers (issue 24): devdb gives up on it after its
// timeout with one line, and the stand-in and what it started are gone. devdb runs as a real
// process (./jbang devdb.java), with the stand-in first on its PATH.

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DevdbDockerTimeoutTest {
  static final Path ROOT = MigrationSource.checkoutRoot();
  Path tmp, bin;

  @BeforeEach void makeTmp() throws Exception {
    tmp = Files.createTempDirectory("kodiai-devdb-docker");
    bin = Files.createDirectories(tmp.resolve("bin"));
  }

  @AfterEach void cleanUp() throws Exception {
    for (long pid : pids()) ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    try (var files = Files.walk(tmp)) {
      for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    }
  }

  List<Long> pids() throws Exception {
    Path f = tmp.resolve("pids");
    if (!Files.exists(f)) return List.of();
    return Files.readAllLines(f).stream().filter(l -> !l.isBlank()).map(Long::parseLong).toList();
  }

  /** A `docker` that answers `info` (when infoAnswers) and otherwise hangs: it starts a sleep and waits for it. */
  void fakeDocker(boolean infoAnswers) throws Exception {
    Path docker = bin.resolve("docker");
    Files.writeString(docker, "#!/bin/bash\n"
        + (infoAnswers ? "if [ \"$1\" = info ]; then echo 27.0.0; exit 0; fi\n" : "")
        + "echo $$ >> '" + tmp.resolve("pids") + "'\n"
        + "sleep 600 & echo $! >> '" + tmp.resolve("pids") + "'\n"
        + "wait\n");
    Files.setPosixFilePermissions(docker, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  ChildProcess.Result devdb(String... args) {
    List<String> cmd = new java.util.ArrayList<>(List.of(ROOT.resolve("jbang").toString(),
        ROOT.resolve("devdb.java").toString()));
    cmd.addAll(List.of(args));
    cmd.addAll(List.of("--no-install", "--dir", tmp.resolve("state").toString(), "--port", ""
        + LocalCluster.freePort()));
    return ChildProcess.of(cmd).dir(ROOT).env("PATH", bin + ":" + System.getenv("PATH"))
        .env("KODIAI_DOCKER_COMPOSE_TIMEOUT", "2").run(Duration.ofSeconds(300));
  }

  void assertStandInGone() throws Exception {
    assertFalse(pids().isEmpty(), "the stand-in ran");
    for (long pid : pids()) assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "pid " + pid
        + " alive");
  }

  @Test void aDockerInfoThatNeverAnswersCostsTenSecondsAndOneLine() throws Exception {
    fakeDocker(false);
    devdb("url"); // compiles devdb once, so the timing below is devdb's own
    Files.deleteIfExists(tmp.resolve("pids"));
    long t0 = System.nanoTime();
    ChildProcess.Result r = devdb("status");
    long s = (System.nanoTime() - t0) / 1_000_000_000;
    // No cluster in the folder yet: status says so after the probe's line (exit 1, issue 25).
    assertEquals(ExitCode.FAILED, r.exitCode(), r.problem() + r.stderr());
    List<String> err = r.stderr().strip().lines().toList();
    assertEquals("devdb: `docker info` did not answer within 10 s (stopped it): using a local cluster instead;"
        + " --no-docker skips the probe", err.get(0), r.stderr());
    assertEquals(2, err.size(), r.stderr());
    assertTrue(err.get(1).startsWith("devdb: error: no devdb cluster in "), r.stderr());
    assertTrue(s >= 10 && s < 40, "took " + s + " s");
    assertStandInGone();
  }

  @Test void aComposeThatNeverFinishesStopsAtItsTimeoutWithOneErrorLine() throws Exception {
    fakeDocker(true);
    ChildProcess.Result r = devdb("up");
    assertEquals(ChildProcess.End.EXITED, r.end());
    assertEquals(ExitCode.FAILED, r.exitCode(), r.stderr());
    List<String> errors = r.stderr().lines().filter(l -> l.startsWith("devdb: error:")).toList();
    assertEquals(List.of("devdb: error: docker compose up -d --wait did not finish within 2 s"
        + " (stopped it and every process it started)"), errors, r.stderr());
    assertFalse(r.stderr().contains("\tat "), "no stack trace");
    assertStandInGone();
  }
}
