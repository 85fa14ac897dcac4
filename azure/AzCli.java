//DEPS com.google.code.gson:gson:2.15.0

import java.io.File;
import java.io.IOException;
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
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

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
  // What is running right now, so that abort() can stop it from another thread (a shutdown hook).
  private volatile Process current;
  private final Set<Path> secretFiles = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private volatile boolean aborted;

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
    if (aborted) parkUntilExit();
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
          secretFiles.add(f);
          Files.writeString(f, s.value(), StandardCharsets.UTF_8);
          command.add("@" + f);
        } else {
          command.add(String.valueOf(a));
        }
      }
      Map<String, String> childEnv = new LinkedHashMap<>(env);
      // A secret reaches az only through its @file: never through the environment either.
      childEnv.values().removeIf(v -> secrets.stream().anyMatch(v::contains));
      ChildProcess.Result r = ChildProcess.of(command).named("az").exactEnv(childEnv).onStart(p -> {
        current = p;
        if (aborted) abort(); // the hook ran between start and here: it could not see this process
      }).run(timeout);
      current = null;
      if (aborted) parkUntilExit(); // abort() killed az: the JVM is exiting, nothing after this may run
      boolean finished = r.end() == ChildProcess.End.EXITED;
      return new Result(r.exitCode(), r.stdout(), r.stderr(), !finished);
    } finally {
      for (Path f : tempFiles) { Files.deleteIfExists(f); secretFiles.remove(f); }
    }
  }

  /**
  * For a shutdown hook (SIGINT, SIGTERM): stops the az call under way with all its children and
  * deletes every secret file; the thread that ran it then waits for the JVM to end. True when an
  * az call was running.
  */
  boolean abort() {
    aborted = true;
    Process p = current;
    if (p != null) ChildProcess.killTree(p);
    for (Path f : secretFiles) {
      try { Files.deleteIfExists(f); } catch (IOException ignored) { /* nothing more can be done while exiting */ }
    }
    return p != null;
  }

  private static void parkUntilExit() {
    while (true) {
      try { Thread.sleep(60_000); } catch (InterruptedException ignored) { /* the JVM halts this thread */ }
    }
  }

  /**
  * az's JSON output (-o json) as an object holding every named field (dotted paths reach into
  * nested objects), or a FAILED error that says what az printed instead (redacted, one line, shortened).
  */
  JsonObject json(String step, Result r, String... fields) {
    JsonElement e;
    try {
      e = JsonParser.parseString(r.stdout());
    } catch (RuntimeException bad) {
      e = null;
    }
    if (e == null || !e.isJsonObject()) throw unexpected(step, r, "not a JSON object");
    JsonObject o = e.getAsJsonObject();
    for (String f : fields) if (field(o, f) == null) throw unexpected(step, r, "no field " + f);
    return o;
  }

  /** A field of az's JSON as text (dotted path); null when it is missing, null or not a plain value. */
  static String field(JsonObject o, String path) {
    JsonElement e = o;
    for (String part : path.split("\\.")) {
      if (e == null || !e.isJsonObject()) return null;
      e = e.getAsJsonObject().get(part);
    }
    return e == null || !e.isJsonPrimitive() ? null : e.getAsString();
  }

  AzureException unexpected(String step, Result r, String why) {
    String shown = redact(r.stdout()).strip().replaceAll("\\s+", " ");
    if (shown.length() > 200) shown = shown.substring(0, 197) + "...";
    return new AzureException(new AzureException.UnexpectedOutput(step, why, shown));
  }

  /** Runs a step that must succeed; otherwise throws the AzureException of failure(). */
  Result runOrFail(String step, Duration timeout, List<?> args) throws IOException {
    Result r = run(timeout, args);
    if (!r.ok()) throw failure(step, timeout, r);
    return r;
  }

  /** A failed step: FAILED, or NOT_LOGGED_IN when az's login has expired; the message is redacted. */
  AzureException failure(String step, Duration timeout, Result r) {
    if (r.timedOut()) return new AzureException(new AzureException.StepTimedOut(step, timeout.toSeconds()));
    String stderr = oneLine(r.stderr());
    if (r.notLoggedIn()) return new AzureException(new AzureException.NotLoggedIn(step, r.exitCode(), stderr));
    return new AzureException(new AzureException.StepFailed(step, r.exitCode(), stderr));
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
}
