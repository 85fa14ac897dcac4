// Shared source: the one Docker probe. devdb runs compose.yaml and the test harness runs
// Testcontainers only where a Docker engine answers; both ask here.

import java.io.IOException;
import java.util.concurrent.TimeUnit;

final class Docker {
  private Docker() {}

  /** True when `docker info` reaches an engine within 10 s (no docker CLI, no engine: false). */
  static boolean answers() {
    try {
      Process p = new ProcessBuilder("docker", "info", "--format", "{{.ServerVersion}}").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      if (!p.waitFor(10, TimeUnit.SECONDS)) { p.destroyForcibly(); return false; }
      return p.exitValue() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }
}
