///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES cli/*.java process/*.java secret/*.java azure/*.java
//DESCRIPTION Create (or confirm) an Azure Database for PostgreSQL Flexible Server for kodiai, with pgvector allow-listed: idempotent, secret-safe, drives the Azure CLI (az).

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "provision", mixinStandardHelpOptions = true, version = "provision 0.1.0",
    sortOptions = false, usageHelpAutoWidth = true,
    description = {
      "Creates, or confirms, an Azure Database for PostgreSQL Flexible Server for kodiai: resource group, server "
        + "(public access, no firewall rule), VECTOR in azure.extensions, the database, and a firewall rule per "
        + "--allow-ip. Each step looks first and changes only what is missing, so running it again is safe and quick.",
      "",
      "The admin password comes only from the environment variable KODIAI_PG_ADMIN_PASSWORD or from "
        + "--admin-password-file; without either, a strong one is generated for a new server and written only to "
        + "--env-file (without --env-file the run stops before changing anything).",
      ""},
    footer = {"",
      "Exit codes:",
      "  0  done (or, with --dry-run, planned)",
      "  1  an az step failed or timed out (the step and az's message are printed)",
      "  2  invalid usage or input (nothing was run that changes anything)",
      "  6  the Azure CLI (az) was not found",
      "  7  az is not logged in (run 'az login')",
      "  8  local error (e.g. the env file could not be written)",
      "  130, 143  interrupted (SIGINT, SIGTERM): az is stopped, secret files deleted, and one line says what Azure "
          + "may hold",
      "(the same numbers mean the same in every kodiai-db command: see README.md)",
      "",
      "Documentation: docs/provision.md"})
public class provision implements Callable<Integer> {

  static final String PASSWORD_ENV = "KODIAI_PG_ADMIN_PASSWORD";

  @Option(names = {"-g", "--resource-group"}, paramLabel = "NAME",
      defaultValue = "${env:KODIAI_AZ_RESOURCE_GROUP:-kodiai-rg}",
      description = "Resource group (env KODIAI_AZ_RESOURCE_GROUP; default: ${DEFAULT-VALUE}).")
  String resourceGroup;

  @Option(names = {"-l", "--location"}, paramLabel = "REGION",
      defaultValue = "${env:KODIAI_AZ_LOCATION:-eastus}",
      description = "Azure region for new resources (env KODIAI_AZ_LOCATION; default: ${DEFAULT-VALUE}).")
  String location;

  @Option(names = {"-s", "--server-name"}, paramLabel = "NAME",
      defaultValue = "${env:KODIAI_AZ_SERVER_NAME}",
      description = "Server name, 3-63 lowercase letters, digits, '-'; globally unique (env KODIAI_AZ_SERVER_NAME; "
          + "required).")
  String serverName;

  @Option(names = {"-u", "--admin-user"}, paramLabel = "USER",
      defaultValue = "${env:KODIAI_PG_ADMIN_USER:-kodiaiadmin}",
      description = "Admin login of a new server (env KODIAI_PG_ADMIN_USER; default: ${DEFAULT-VALUE}).")
  String adminUser;

  @Option(names = "--admin-password-file", paramLabel = "FILE",
      defaultValue = "${env:KODIAI_PG_ADMIN_PASSWORD_FILE}",
      description = "Read the admin password from FILE: the whole file, one line (a trailing newline is dropped; at "
          + "most "
          + ProvisionInputs.MAX_PASSWORD_FILE_BYTES
              + " bytes are read; env KODIAI_PG_ADMIN_PASSWORD_FILE). Wins over env " + PASSWORD_ENV + ".")
  Path adminPasswordFile;

  @Option(names = "--pg-version", paramLabel = "N", defaultValue = "${env:KODIAI_AZ_PG_VERSION:-17}",
      description = "PostgreSQL major version (env KODIAI_AZ_PG_VERSION; default: ${DEFAULT-VALUE}).")
  String pgVersion;

  @Option(names = "--tier", paramLabel = "TIER", defaultValue = "${env:KODIAI_AZ_TIER:-Burstable}",
      description = "Burstable, GeneralPurpose or MemoryOptimized (env KODIAI_AZ_TIER; default: ${DEFAULT-VALUE}).")
  String tier;

  @Option(names = "--sku", paramLabel = "SKU", defaultValue = "${env:KODIAI_AZ_SKU:-Standard_B1ms}",
      description = "Compute SKU (env KODIAI_AZ_SKU; default: ${DEFAULT-VALUE}).")
  String sku;

  @Option(names = "--storage-gb", paramLabel = "GIB", defaultValue = "${env:KODIAI_AZ_STORAGE_GB:-32}",
      description = "Storage in GiB, 32 or more (env KODIAI_AZ_STORAGE_GB; default: ${DEFAULT-VALUE}).")
  int storageGb;

  @Option(names = {"-d", "--database"}, paramLabel = "NAME", defaultValue = "${env:KODIAI_PG_DATABASE:-kodiai}",
      description = "Database to create (env KODIAI_PG_DATABASE; default: ${DEFAULT-VALUE}).")
  String database;

  @Option(names = "--allow-ip", paramLabel = "IP|A-B|A/N", split = ",", defaultValue = "${env:KODIAI_AZ_ALLOW_IP}",
      description = "Firewall rule for an IPv4 address, range or CIDR block; repeatable or comma-separated (env "
          + "KODIAI_AZ_ALLOW_IP). 0.0.0.0 is refused.")
  List<String> allowIps = new ArrayList<>();

  @Option(names = "--allow-all-azure-services",
      description = "Also add the 0.0.0.0 rule: ANY Azure-hosted address (any tenant) may connect. Off by default.")
  boolean allowAzureServices;

  @Option(names = "--allow-public-internet",
      description = "Also add 0.0.0.0-255.255.255.255: the WHOLE INTERNET may connect. Off by default.")
  boolean allowPublicInternet;

  @Option(names = "--env-file", paramLabel = "FILE", defaultValue = "${env:KODIAI_AZ_ENV_FILE}",
      description = "Set MIGRATE_DATABASE_URL (the admin's URL, with the password) in FILE, mode 0600, with a"
          + " comment line above it; other lines of an existing FILE are kept. Written only for a server this run"
          + " creates (env KODIAI_AZ_ENV_FILE).")
  Path envFile;

  @Option(names = "--dry-run",
      description = "Run only read-only az calls (account/show); print the commands that would change something.")
  boolean dryRun;

  @Option(names = "--az", paramLabel = "PATH", defaultValue = "${env:KODIAI_AZ_CLI}",
      description = "The az executable (env KODIAI_AZ_CLI; default: az on PATH).")
  String azPath;

  @Option(names = "--step-timeout", paramLabel = "SECONDS", defaultValue = "${env:KODIAI_AZ_STEP_TIMEOUT:-300}",
      description = "Timeout of each az call except server create (env KODIAI_AZ_STEP_TIMEOUT; default: "
          + "${DEFAULT-VALUE}).")
  int stepTimeout;

  @Option(names = "--create-timeout", paramLabel = "SECONDS", defaultValue = "${env:KODIAI_AZ_CREATE_TIMEOUT:-1800}",
      description = "Timeout of server create (env KODIAI_AZ_CREATE_TIMEOUT; default: ${DEFAULT-VALUE}).")
  int createTimeout;

  @Option(names = {"-v", "--verbose"}, description = "Show each az command (secrets redacted) and stack traces.")
  boolean verbose;

  private final Map<String, String> env;
  private final PrintStream out;
  private final PrintStream err;
  // What the steps learn and share, in the order they learn it.
  private ProvisionInputs.Inputs in;
  private String password;        // null: not given (and, for an existing server, not needed)
  private AzCli az;
  private Duration step;          // timeout of each az call but server create
  private boolean groupExists;
  private List<String> server;    // sku, tier, version, storage GiB, host, state; null: no such server
  private volatile String doing;  // the step under way, for the message of an interrupted run
  private volatile boolean changing; // whether that step changes something in Azure
  private String host;
  private boolean envWritten;
  private int changes;

  provision(Map<String, String> env, PrintStream out, PrintStream err) {
    this.env = env;
    this.out = out;
    this.err = err;
  }

  public static void main(String[] args) {
    System.exit(run(args, System.getenv(), System.out, System.err));
  }

  /** Entry point for tests: env replaces the process environment (PATH, password, what az sees). */
  static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
    return run(args, env, out, err, failure -> { });
  }

  /** The same, and the failure the run ended with goes to `failed` (tests assert its kind). */
  static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err,
      java.util.function.Consumer<Failure> failed) {
    provision app = new provision(env, out, err);
    CommandLine cl = Cli.commandLine(app, msg -> app.az == null ? msg : app.az.redact(msg));
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    var handler = cl.getExecutionExceptionHandler();
    cl.setExecutionExceptionHandler((e, sub, parsed) -> {
      if (e instanceof Failure f) failed.accept(f);
      return handler.handleExecutionException(e, sub, parsed);
    });
    // SIGINT/SIGTERM end the JVM (exit 130/143) without unwinding this thread: the hook stops az and
    // its children, deletes the secret files, and says what state Azure may be in.
    Thread hook = new Thread(app::interrupted, "provision-interrupted");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      return cl.execute(args);
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException exiting) {
        // the hook runs
      }
    }
  }

  /** The shutdown hook: runs only when the JVM ends before call() returned (a signal). */
  private void interrupted() {
    if (az == null) return;
    boolean stopped = az.abort();
    String where = doing == null ? "" : " during " + doing + (stopped ? " (az was stopped)" : "");
    err.println("provision: interrupted" + where + ": " + (changing
        ? "Azure may still complete or undo that change on its own; "
        : "nothing was being changed in Azure; ")
        + "run provision again with the same options: it looks first and continues where this run stopped"
        + (envWritten && server == null ? " (the password is kept in " + envFile + ")" : ""));
    err.flush();
  }

  @Override
  public Integer call() {
    try {
      validate();    // everything is checked before the first az call
      findAz();
      checkLogin();  // [1/7]
      lookAround();  // does the group exist, and the server? nothing changes yet
      keepPassword();
      resourceGroup(); // [2/7]
      server();        // [3/7]
      extensions();    // [4/7]
      database();      // [5/7]
      firewall();      // [6/7]
      result();        // [7/7]
      return ExitCode.OK;
    } catch (IOException e) {
      throw new AzureException(new AzureException.LocalError(e.getClass().getSimpleName() + ": " + e.getMessage()));
    }
  }

  private void validate() {
    in = ProvisionInputs.validate(serverName, resourceGroup, location, adminUser, pgVersion,
        tier, sku, storageGb, database, allowIps, allowAzureServices, allowPublicInternet,
        envFile, stepTimeout, createTimeout);
    password = ProvisionInputs.password(adminPasswordFile, env.get(PASSWORD_ENV), adminUser);
    step = Duration.ofSeconds(stepTimeout);
  }

  private void findAz() {
    Path azExe = AzCli.locate(azPath, env);
    if (azExe == null) {
      throw new AzureException(new AzureException.AzMissing(azPath == null || azPath.isBlank() ? null : azPath));
    }
    az = new AzCli(azExe, env, verbose ? err : null, PASSWORD_ENV);
    az.addSecret(password);
  }

  /** 1. az present and logged in. */
  private void checkLogin() throws IOException {
    doing = "[1/7] az account show";
    AzCli.Result acct = az.run(step, List.of("account", "show", "-o", "json"));
    if (acct.notLoggedIn()) {
      throw new AzureException(new AzureException.NotLoggedIn(null, acct.exitCode(), ""));
    }
    if (!acct.ok()) throw az.failure("[1/7] az account show", step, acct);
    report(1, "az " + az.executable() + ": logged in, subscription "
        + AzCli.field(az.json("[1/7] az account show", acct, "name"), "name"));
  }

  /** Looks before changing anything: does the group exist, and the server? */
  private void lookAround() throws IOException {
    groupExists = exists("[2/7] resource group " + resourceGroup,
        List.of("group", "show", "--name", resourceGroup, "-o", "json"), "name");
    host = serverName + AZURE_DOMAIN;
    if (groupExists) {
      String what = "[3/7] server " + serverName;
      doing = what;
      AzCli.Result r = az.run(step, List.of("postgres", "flexible-server", "show", "--resource-group", resourceGroup,
          "--name", serverName, "-o", "json"));
      if (r.ok()) {
        var o = az.json(what, r, SERVER_FIELDS.toArray(String[]::new));
        server = SERVER_FIELDS.stream().map(f -> AzCli.field(o, f).strip()).toList();
        host = server.get(4);
        // What goes into DATABASE_URL must be this server's name in Azure's domain, not whatever az printed.
        if (!host.equalsIgnoreCase(serverName + AZURE_DOMAIN))
          throw az.unexpected(what, r, "fullyQualifiedDomainName '" + host + "' is not " + serverName + AZURE_DOMAIN);
      } else if (!r.notFound()) {
        throw az.failure(what, step, r);
      }
    }
  }

  static final String AZURE_DOMAIN = ".postgres.database.azure.com";
  static final List<String> SERVER_FIELDS = List.of("sku.name", "sku.tier", "version", "storage.storageSizeGb",
      "fullyQualifiedDomainName", "state");

  /** A new server needs a password: given, or generated into --env-file; kept before anything is created. */
  private void keepPassword() throws IOException {
    if (server == null && password == null) {
      if (dryRun) {
        out.println("note: server " + serverName + " is new and no password was given: a real run generates one"
            + (envFile == null ? " and stops unless --env-file FILE is given" : " and writes it to " + envFile));
      } else if (envFile == null) {
        throw new AzureException(new AzureException.NoPassword(serverName, PASSWORD_ENV));
      } else {
        password = ProvisionInputs.generatePassword();
        az.addSecret(password);
        out.println("note: generated a strong admin password; it is written only to " + envFile);
      }
    }
    // Keep the password before creating anything, so a later failure cannot lose a generated one. Only a
    // password this run sets goes there: an existing server keeps its own, which cannot be checked here.
    if (envFile != null && password != null && server == null && !dryRun) {
      envWritten = ProvisionInputs.writeEnvFile(envFile,
          ProvisionInputs.databaseUrl(adminUser, password, host, database), serverName);
    }
  }

  /** 2. Resource group. */
  private void resourceGroup() throws IOException {
    if (groupExists) report(2, "resource group " + resourceGroup + ": exists");
    else change(2, "resource group " + resourceGroup, "created in " + location, step,
        List.of("group", "create", "--name", resourceGroup, "--location", location, "-o", "none"));
  }

  /** 3. Server: created if missing; an existing one is left as it is (differences are warned about). */
  private void server() throws IOException {
    if (server != null) {
      report(3, "server " + serverName + ": exists (" + server.get(1) + " " + server.get(0) + ", PostgreSQL "
          + server.get(2) + ", " + server.get(3) + " GiB, state " + server.get(5) + "); left as it is");
      compare("SKU", server.get(0), sku);
      compare("tier", server.get(1), tier);
      compare("version", server.get(2), pgVersion);
      compare("storage GiB", server.get(3), String.valueOf(storageGb));
      return;
    }
    List<Object> create = new ArrayList<>(List.of("postgres", "flexible-server", "create",
        "--resource-group", resourceGroup, "--name", serverName, "--location", location,
        "--admin-user", adminUser, "--admin-password"));
    create.add(new AzCli.Secret(password == null ? "" : password));
    create.addAll(List.of("--version", pgVersion, "--tier", tier, "--sku-name", sku,
        "--storage-size", String.valueOf(storageGb), "--public-access", "None", "--yes", "-o", "none"));
    change(3, "server " + serverName, "created (" + tier + " " + sku + ", PostgreSQL " + pgVersion + ", "
        + storageGb + " GiB, public access with no firewall rule)", Duration.ofSeconds(createTimeout), create);
  }

  /** 4. pgvector allow-listed in azure.extensions (the list is replaced whole: keep every entry). */
  private void extensions() throws IOException {
    List<String> paramSet = List.of("postgres", "flexible-server", "parameter", "set", "--resource-group",
        resourceGroup,
        "--server-name", serverName, "--name", "azure.extensions", "--value");
    if (server == null && dryRun) {
      change(4, "azure.extensions", "set to VECTOR", step, concat(paramSet, "VECTOR", "-o", "none"));
      return;
    }
    doing = "[4/7] azure.extensions";
    AzCli.Result r = az.runOrFail(doing, step, List.of("postgres", "flexible-server", "parameter", "show",
        "--resource-group", resourceGroup, "--server-name", serverName, "--name", "azure.extensions", "-o", "json"));
    String current = AzCli.field(az.json(doing, r, "value"), "value").strip();
    String wanted = ProvisionInputs.withVector(current);
    if (wanted.equals(current)) report(4, "azure.extensions: VECTOR already allow-listed (" + current + ")");
    else change(4, "azure.extensions", "set to " + wanted + " (VECTOR added)", step,
        concat(paramSet, wanted, "-o", "none"));
  }

  /** 5. Database. */
  private void database() throws IOException {
    List<String> dbArgs = List.of("--resource-group", resourceGroup, "--server-name", serverName, "--database-name",
        database);
    if ((server != null || !dryRun) && exists("[5/7] database " + database,
        concat(List.of("postgres", "flexible-server", "db", "show"), dbArgs, "-o", "json"), "name")) {
      report(5, "database " + database + ": exists");
    } else {
      change(5, "database " + database, "created", step,
          concat(List.of("postgres", "flexible-server", "db", "create"), dbArgs, "-o", "none"));
    }
  }

  /** 6. Firewall rules, one per --allow-ip (and the two explicit opt-ins). */
  private void firewall() throws IOException {
    if (in.rules().isEmpty()) report(6, "firewall: no rule asked for (--allow-ip); the server accepts no client yet");
    for (ProvisionInputs.Rule rule : in.rules()) firewall(rule);
  }

  /** 7. Result: what was done, the admin's URL (without the password), and what to run next. */
  private void result() {
    String url = ProvisionInputs.databaseUrl(adminUser, null, host, database);
    report(7, dryRun ? "planned (dry run): " + changes + " change(s) would be made, none was made"
        : "ready: " + changes + " change(s) made");
    out.println("  host:         " + host);
    out.println("  database:     " + database);
    out.println("  admin user:   " + adminUser + " (owns the schema: for migrate and roles, never for the bot)");
    out.println("  " + ProvisionInputs.ENV_VARIABLE + ": " + url);
    out.println("  TLS:          sslmode=verify-full; Azure's certificate chains to DigiCert Global Root G2 /"
        + " Microsoft RSA Root CA 2017, which Java's and Node's trust stores hold (docs/client.md#tls)");
    if (envFile != null && !dryRun) out.println(envFileLine());
    nextSteps();
  }

  private String envFileLine() {
    if (server == null) {
      return "  env file:     " + envFile + (envWritten ? " (" + ProvisionInputs.ENV_VARIABLE + " written, mode 600)"
          : " (up to date, mode 600)");
    }
    return "  env file:     " + envFile + " left as it is: server " + serverName + " existed before this run,"
        + " and provision"
        + (password == null ? " cannot read its password back from Azure"
            : " does not change its password, so the one given (" + (adminPasswordFile != null ? "--admin-password-file"
                : PASSWORD_ENV) + ") may not be the server's and is not written")
        + "; add " + ProvisionInputs.ENV_VARIABLE + " yourself, or reset it: az postgres flexible-server update -g "
        + resourceGroup + " -n " + serverName + " --admin-password ...";
  }

  /** The two URLs: migrate's (the admin, above) and the bot's (a login role that may only read and write rows). */
  private void nextSteps() {
    String file = envFile == null ? ".env.azure" : envFile.toString();
    out.println("next: with " + ProvisionInputs.ENV_VARIABLE + " set (set -a; . " + file + "; set +a):");
    out.println("  ./jbang migrate@kodiai up      # the schema, as the admin (it runs CREATE EXTENSION vector)");
    out.println("  ./jbang roles@kodiai create-app-user kodiai_bot --env-file " + file + "   # the bot's login:"
        + " DATABASE_URL");
    out.println("  give the bot only DATABASE_URL; keep " + ProvisionInputs.ENV_VARIABLE
        + " for migrate and roles (docs/roles.md)");
  }

  private void firewall(ProvisionInputs.Rule rule) throws IOException {
    String what = "firewall rule " + rule.name() + " ("
        + (rule.start().equals(rule.end()) ? rule.start() : rule.start() + "-" + rule.end()) + ")";
    List<Object> create = List.of("postgres", "flexible-server", "firewall-rule", "create", "--resource-group",
        resourceGroup,
        "--name", serverName, "--rule-name", rule.name(), "--start-ip-address", rule.start(), "--end-ip-address",
            rule.end(), "-o", "none");
    if (server == null && dryRun) { change(6, what, "created", step, create); return; }
    doing = "[6/7] " + what;
    changing = false;
    AzCli.Result r = az.run(step,
        List.of("postgres", "flexible-server", "firewall-rule", "show", "--resource-group", resourceGroup,
        "--name", serverName, "--rule-name", rule.name(), "-o", "json"));
    if (r.ok()) {
      var o = az.json(doing, r, "startIpAddress", "endIpAddress");
      String start = AzCli.field(o, "startIpAddress").strip(), end = AzCli.field(o, "endIpAddress").strip();
      if (start.equals(rule.start()) && end.equals(rule.end())) { report(6, what + ": exists"); return; }
      change(6, what, "updated (was " + start + "-" + end + ")", step, create);
    } else if (r.notFound()) {
      change(6, what, "created", step, create);
    } else {
      throw az.failure("[6/7] " + what, step, r);
    }
  }

  /**
   * A read-only look-up: true if it exists (az printed JSON with `field`), false if az says not found, otherwise the
   * step fails.
   */
  private boolean exists(String step, List<?> args, String field) throws IOException {
    Duration t = Duration.ofSeconds(stepTimeout);
    doing = step;
    changing = false;
    AzCli.Result r = az.run(t, args);
    if (r.ok()) { az.json(step, r, field); return true; }
    if (r.notFound()) return false;
    throw az.failure(step, t, r);
  }

  /** A change: run it (or, with --dry-run, print it); a failure stops the run. */
  private void change(int n, String what, String done, Duration timeout, List<?> args) throws IOException {
    changes++;
    if (dryRun) {
      report(n, what + ": to be " + done);
      out.println("      would run: " + az.display(args));
      return;
    }
    doing = "[" + n + "/7] " + what;
    changing = true;
    az.runOrFail(doing, timeout, args);
    changing = false;
    report(n, what + ": " + done);
  }

  private void compare(String what, String have, String asked) {
    if (!have.strip().equalsIgnoreCase(asked)) {
      err.println("provision: warning: server " + serverName + " has " + what + " " + have.strip()
          + ", asked for " + asked + "; it is left as it is");
    }
  }

  private void report(int n, String text) {
    out.println("[" + n + "/7] " + text);
  }

  private static List<Object> concat(List<?> head, Object... tail) {
    List<Object> all = new ArrayList<>(head);
    for (Object t : tail) {
      if (t instanceof List<?> l) all.addAll(l); else all.add(t);
    }
    return all;
  }
}
