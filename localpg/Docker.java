// Shared source: the one Docker probe, and docker compose for devdb. devdb runs compose.yaml and the
// test harness runs Testcontainers only where a Docker engine answers; both ask here. Every docker
// call runs through process/ChildProcess with a timeout: a docker CLI that never answers (a hung
// engine, a stale context pointing at a dead host) costs PROBE, not the rest of the day.

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

final class Docker {
  private Docker() {}

  static final Duration PROBE = Duration.ofSeconds(10);
  /** KODIAI_DOCKER_COMPOSE_TIMEOUT (seconds) overrides it: an image pull on a slow line may need more. */
  static final Duration COMPOSE = Duration.ofMinutes(10);

  /** What `docker info` said. */
  enum Probe { ANSWERS, NO_CLI, NO_ENGINE, TIMED_OUT }

  /** True when `docker info` reaches an engine within PROBE (no docker CLI, no engine, no answer: false). */
  static boolean answers() { return probe() == Probe.ANSWERS; }

  static Probe probe() {
    try {
      ChildProcess.Result r = ChildProcess.of("docker", "info", "--format",
          "{{.ServerVersion}}").mergeErrors().run(PROBE);
      if (r.end() != ChildProcess.End.EXITED) return Probe.TIMED_OUT;
      return r.exitCode() == 0 ? Probe.ANSWERS : Probe.NO_ENGINE;
    } catch (ChildProcess.Failed e) {
      return Probe.NO_CLI;
    }
  }

  /** One line for a probe that did not answer in time (null otherwise): what happened and what is done instead. */
  static String timedOutNote(Probe p) {
    return p != Probe.TIMED_OUT ? null : "`docker info` did not answer within " + PROBE.toSeconds()
        + " s (stopped it): using a local cluster instead; --no-docker skips the probe";
  }

  /**
   * `docker compose -p kodiai-db -f FILE ARGS...`, its output shown as it runs; a ChildProcess.Failed
   * (one line) when it fails or does not finish within COMPOSE (or KODIAI_DOCKER_COMPOSE_TIMEOUT s).
   */
  static void compose(Path file, String... args) {
    List<String> cmd = new ArrayList<>(List.of("docker", "compose", "-p", "kodiai-db", "-f", file.toString()));
    cmd.addAll(List.of(args));
    ChildProcess.of(cmd).named("docker compose " + String.join(" ", args)).inheritOutput().runOrThrow(composeTimeout());
  }

  static Duration composeTimeout() {
    String v = System.getenv("KODIAI_DOCKER_COMPOSE_TIMEOUT");
    if (v == null || v.isBlank()) return COMPOSE;
    try {
      long s = Long.parseLong(v.strip());
      if (s < 1) throw new NumberFormatException();
      return Duration.ofSeconds(s);
    } catch (NumberFormatException e) {
      throw new LocalPgException(ExitCode.USAGE,
          "KODIAI_DOCKER_COMPOSE_TIMEOUT must be a whole number of seconds >= 1, got '"
          + v + "'");
    }
  }
}
