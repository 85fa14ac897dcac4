import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
* Runs the Azure CLI ({@code az}) as a child process: with a timeout, with the
* caller's environment, with secrets passed as {@code @file} arguments (az
* expands {@code @path} into the file's content) and redacted from anything
* that is shown. Shared by the kodiai-db scripts through {@code //SOURCES AzCli.java}.
*/
class AzCli {

  /** The outcome of one az call: exit code and captured output. */
  record Result(int exitCode, String stdout, String stderr, boolean timedOut) {
    boolean ok() { return exitCode == 0 && !timedOut; }

    /** az says the resource is not there: exit 3, or a *NotFound error code on stderr. */
    boolean notFound() {
      return !timedOut && (exitCode == 3 || stderr.contains("ResourceNotFound")
          || stderr.contains("ResourceGroupNotFound") || stderr.contains("ParentResourceNotFound"));
    }

    /** az has no usable login (never logged in, or the token expired). */
    boolean notLoggedIn() {
      return !timedOut && exitCode != 0 && (stderr.contains("az login") || stderr.contains("Please run 'az login'"));
    }
  }

  /** An argument holding a secret: it reaches az as {@code @file}, and is shown as {@code @<secret-file>}. */
  record Secret(String value) {
    @Override public String toString() { return "@<secret-file>"; }
  }

  static final String SECRET_MASK = "***";

  private final Path az;
  private final Map<String, String> env;
  private final Set<String> secrets = new LinkedHashSet<>();
  private final PrintStream trace; // where --verbose shows each command; null = quiet

  /** env is the environment az gets; variables named in dropVars (e.g. a password variable) are left out. */
  AzCli(Path az, Map<String, String> env, PrintStream trace, String... dropVars) {
    this.az = az;
    this.env = new LinkedHashMap<>(env);
    for (String v : dropVars) this.env.remove(v);
    // Plain, non-interactive output: no colours, no survey prompts, no update nags.
    this.env.put("AZURE_CORE_NO_COLOR", "true");
    this.env.put("AZURE_CORE_SURVEY_MESSAGE", "false");
    this.env.put("AZURE_CORE_ONLY_SHOW_ERRORS", "true");
    this.trace = trace;
  }

  Path executable() { return az; }

  /** Registers a value that must never be shown; every shown text is passed through {@link #redact}. */
  void addSecret(String secret) {
    if (secret != null && !secret.isEmpty()) secrets.add(secret);
  }

  String redact(String text) {
    if (text == null) return "";
    String out = text;
    for (String s : secrets) out = out.replace(s, SECRET_MASK);
    return out;
  }

  /**
  * Finds az: the explicit path when given (must be an executable file), otherwise
  * the first executable {@code az} on the PATH of {@code env}. Null when there is none.
  */
  static Path locate(String explicit, Map<String, String> env) {
    if (explicit != null && !explicit.isBlank()) {
      Path p = Path.of(explicit);
      return Files.isRegularFile(p) && Files.isExecutable(p) ? p.toAbsolutePath() : null;
    }
    String path = env.getOrDefault("PATH", "");
    for (String dir : path.split(File.pathSeparator)) {
      if (dir.isEmpty()) continue;
      Path p = Path.of(dir, "az");
      if (Files.isRegularFile(p) && Files.isExecutable(p)) return p.toAbsolutePath();
    }
    return null;
  }

  /** The command as shown to people: shell-quoted, secrets redacted. */
  String display(List<?> args) {
    StringBuilder sb = new StringBuilder("az");
    for (Object a : args) sb.append(' ').append(quote(redact(String.valueOf(a))));
    return sb.toString();
  }

  static String quote(String s) {
    if (!s.isEmpty() && s.matches("[A-Za-z0-9_@%+=:,./<>*-]+")) return s;
    return "'" + s.replace("'", "'\\''") + "'";
  }

  /**
  * Runs {@code az args...}. {@link Secret} arguments are written to owner-only
  * temporary files, passed as {@code @path}, and deleted when az has finished.
  */
  Result run(Duration timeout, List<?> args) throws IOException {
    if (trace != null) trace.println("+ " + display(args));
    List<Path> tempFiles = new ArrayList<>();
    List<String> command = new ArrayList<>();
    command.add(az.toString());
    try {
      for (Object a : args) {
        if (a instanceof Secret s) {
          addSecret(s.value());
          Path f = Files.createTempFile("kodiai-az-", ".secret",
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
          tempFiles.add(f);
          Files.writeString(f, s.value(), StandardCharsets.UTF_8);
          command.add("@" + f);
        } else {
          command.add(String.valueOf(a));
        }
      }
      ProcessBuilder pb = new ProcessBuilder(command);
      pb.environment().clear();
      pb.environment().putAll(env);
      // A secret reaches az only through its @file: never through the environment either.
      pb.environment().values().removeIf(v -> secrets.stream().anyMatch(v::contains));
      pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
      Process p = pb.start();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      Thread to = pump(p.getInputStream(), out);
      Thread te = pump(p.getErrorStream(), err);
      boolean finished;
      try {
        finished = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        finished = false;
      }
      if (!finished) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        try { p.waitFor(5, TimeUnit.SECONDS); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
      }
      join(to);
      join(te);
      return new Result(finished ? p.exitValue() : -1,
          out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8), !finished);
    } finally {
      for (Path f : tempFiles) Files.deleteIfExists(f);
    }
  }

  /** Runs a step that must succeed; otherwise throws the AzureException of failure(). */
  Result runOrFail(String step, Duration timeout, List<?> args) throws IOException {
    Result r = run(timeout, args);
    if (!r.ok()) throw failure(step, timeout, r);
    return r;
  }

  /** A failed step: FAILED, or NOT_LOGGED_IN when az's login has expired; the message is redacted. */
  AzureException failure(String step, Duration timeout, Result r) {
    if (r.timedOut()) {
      return new AzureException(ExitCode.FAILED, step + ": az did not finish within " + timeout.toSeconds() + " s (stopped)");
    }
    String message = step + ": az exited " + r.exitCode() + ": " + oneLine(r.stderr());
    if (r.notLoggedIn()) return new AzureException(ExitCode.NOT_LOGGED_IN, message + " (not logged in: run 'az login', then run provision again)");
    return new AzureException(ExitCode.FAILED, message);
  }

  /** az's message on one line: the ERROR line(s) when there are some, redacted, shortened. */
  String oneLine(String stderr) {
    String text = redact(stderr).strip();
    List<String> errors = new ArrayList<>();
    for (String line : text.split("\\R")) {
      String l = line.strip();
      if (l.startsWith("ERROR:") || l.startsWith("Code:") || l.startsWith("Message:")) errors.add(l);
    }
    String msg = errors.isEmpty() ? text.replaceAll("\\s*\\R\\s*", " ") : String.join(" ", errors);
    if (msg.isEmpty()) msg = "(no message)";
    return msg.length() > 400 ? msg.substring(0, 397) + "..." : msg;
  }

  private static Thread pump(InputStream in, ByteArrayOutputStream sink) {
    Thread t = new Thread(() -> {
      try (in) { in.transferTo(sink); } catch (IOException ignored) { }
    }, "az-output");
    t.setDaemon(true);
    t.start();
    return t;
  }

  private static void join(Thread t) {
    try { t.join(5000); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
  }
}
