import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
* provision.java against tests/azure/fake-az/az, a stateful fake of the Azure CLI that
* records every call (argv, @file contents and modes, environment) in a log.
* No network, no Azure.
*/
@Fast
class ProvisionTest {

  static final String PASSWORD = "Kodiai-Test-Pw7!x";
  static final Path ROOT = MigrationSource.checkoutRoot();
  static final Path FAKE_AZ_DIR = ROOT.resolve("tests/azure/fake-az");

  @TempDir Path tmp;
  Path state;
  Map<String, String> env;

  /** One recorded az call. */
  record Call(List<String> argv, Map<String, String[]> files, Map<String, String> env, int exit) {
    String joined() { return String.join(" ", argv); }
    /** argv with each @path of a secret file replaced by @FILE. */
    String shown() {
      List<String> out = new ArrayList<>();
      for (String a : argv) out.add(a.startsWith("@") && files.containsKey(a.substring(1)) ? "@FILE" : a);
      return String.join(" ", out);
    }
  }

  /** What a run printed, the az calls it made, and the kind of failure it ended with (null: none). */
  record Result(int code, String out, String err, List<Call> calls, AzureException.Kind kind) { }

  @BeforeEach
  void setUp() throws IOException {
    state = Files.createDirectories(tmp.resolve("azure"));
    env = new HashMap<>();
    env.put("PATH", FAKE_AZ_DIR + ":/usr/local/bin:/usr/bin:/bin");
    env.put("HOME", tmp.toString());
    env.put("FAKE_AZ_STATE", state.toString());
    env.put(provision.PASSWORD_ENV, PASSWORD);
  }

  Result run(String... args) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
    AzureException[] failed = new AzureException[1];
    int code = provision.run(args, env, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), f -> failed[0] = (AzureException) f);
    return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8), calls(),
        failed[0] == null ? null : failed[0].kind());
  }

  /** The calls recorded so far, parsed from the fake's log. */
  List<Call> calls() throws IOException {
    Path log = state.resolve("calls.log");
    List<Call> calls = new ArrayList<>();
    if (!Files.exists(log)) return calls;
    List<String> argv = null;
    Map<String, String[]> files = null;
    Map<String, String> callEnv = null;
    for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
      String[] f = line.split("\t", -1);
      switch (f[0]) {
        case "CALL" -> { argv = List.of(f).subList(1, f.length); files = new LinkedHashMap<>(); callEnv = new LinkedHashMap<>(); }
        case "FILE" -> files.put(f[1], new String[] {f[2], line.substring(("FILE\t" + f[1] + "\t" + f[2] + "\t").length())});
        case "ENV" -> { int eq = f[1].indexOf('='); callEnv.put(f[1].substring(0, eq), line.substring(4 + eq + 1)); }
        case "EXIT" -> calls.add(new Call(argv, files, callEnv, Integer.parseInt(f[1])));
        default -> fail("unexpected line in the fake az log: " + line);
      }
    }
    return calls;
  }

  static List<String> shown(List<Call> calls) { return calls.stream().map(Call::shown).toList(); }

  static final String RG = "kodiai-rg", SERVER = "kodiai-pg-test";
  static final String[] BASE = {"--server-name", SERVER, "--resource-group", RG, "--location", "westeurope",
      "--admin-user", "kodiaiadmin", "--pg-version", "17", "--tier", "Burstable", "--sku", "Standard_B1ms",
      "--storage-gb", "32", "--database", "kodiai", "--step-timeout", "30", "--create-timeout", "60"};

  /** BASE with extra appended; an option given in extra replaces the one in BASE. */
  static String[] args(String... extra) {
    List<String> all = new ArrayList<>();
    for (int i = 0; i < BASE.length; i += 2) {
      String key = BASE[i];
      boolean overridden = List.of(extra).stream().anyMatch(e -> e.equals(key) || e.startsWith(key + "="));
      if (!overridden) { all.add(key); all.add(BASE[i + 1]); }
    }
    all.addAll(List.of(extra));
    return all.toArray(String[]::new);
  }

  static final List<String> FRESH_SEQUENCE = List.of(
      "account show -o json",
      "group show --name kodiai-rg -o json",
      "group create --name kodiai-rg --location westeurope -o none",
      "postgres flexible-server create --resource-group kodiai-rg --name kodiai-pg-test --location westeurope"
          + " --admin-user kodiaiadmin --admin-password @FILE --version 17 --tier Burstable --sku-name Standard_B1ms"
          + " --storage-size 32 --public-access None --yes -o none",
      "postgres flexible-server parameter show --resource-group kodiai-rg --server-name kodiai-pg-test"
          + " --name azure.extensions -o json",
      "postgres flexible-server parameter set --resource-group kodiai-rg --server-name kodiai-pg-test"
          + " --name azure.extensions --value VECTOR -o none",
      "postgres flexible-server db show --resource-group kodiai-rg --server-name kodiai-pg-test --database-name kodiai"
          + " -o json",
      "postgres flexible-server db create --resource-group kodiai-rg --server-name kodiai-pg-test --database-name kodiai -o none",
      "postgres flexible-server firewall-rule show --resource-group kodiai-rg --name kodiai-pg-test"
          + " --rule-name kodiai-203-0-113-7 -o json",
      "postgres flexible-server firewall-rule create --resource-group kodiai-rg --name kodiai-pg-test"
          + " --rule-name kodiai-203-0-113-7 --start-ip-address 203.0.113.7 --end-ip-address 203.0.113.7 -o none");

  static final List<String> SECOND_RUN_SEQUENCE = List.of(
      "account show -o json",
      "group show --name kodiai-rg -o json",
      "postgres flexible-server show --resource-group kodiai-rg --name kodiai-pg-test -o json",
      FRESH_SEQUENCE.get(4), FRESH_SEQUENCE.get(6), FRESH_SEQUENCE.get(8));

  /** Puts an existing server (and its group) into the fake's state. */
  void existingServer(String sku, String tier, String version, String extensions) throws IOException {
    Files.createDirectories(state.resolve("groups"));
    Files.writeString(state.resolve("groups/" + RG), "westeurope\n");
    Files.createDirectories(state.resolve("servers"));
    Files.writeString(state.resolve("servers/" + SERVER), String.join("\n", sku, tier, version, "32",
        SERVER + ".postgres.database.azure.com", "Ready") + "\n");
    Files.createDirectories(state.resolve("params/" + SERVER));
    Files.writeString(state.resolve("params/" + SERVER + "/azure.extensions"), extensions);
  }

  void assertNoSecretAnywhere(Result r) {
    assertFalse(r.out().contains(PASSWORD), "password on stdout");
    assertFalse(r.err().contains(PASSWORD), "password on stderr");
    for (Call c : r.calls()) {
      for (String a : c.argv()) assertFalse(a.contains(PASSWORD), "password in argv of: " + c.joined());
      c.env().forEach((k, v) -> assertFalse(v.contains(PASSWORD), "password in az's environment variable " + k));
    }
  }

  @Test
  void freshProvisioningRunsTheExpectedSequenceWithTheExpectedFlags() throws IOException {
    Result r = run(args("--allow-ip", "203.0.113.7"));
    assertEquals(0, r.code(), r.err());
    assertEquals(FRESH_SEQUENCE, shown(r.calls()));
    r.calls().forEach(c -> assertTrue(c.exit() == 0 || c.exit() == 3, c.joined() + " exited " + c.exit()));
    assertEquals("VECTOR", Files.readString(state.resolve("params/" + SERVER + "/azure.extensions")));
    assertTrue(r.out().contains("[7/7] ready: 5 change(s) made"), r.out());
    assertTrue(r.out().contains("  MIGRATE_DATABASE_URL: postgresql://kodiaiadmin:<password>@kodiai-pg-test.postgres.database.azure.com"
        + ":5432/kodiai?sslmode=verify-full\n"), "the admin's URL, verified TLS: " + r.out());
    assertTrue(r.out().contains("\n  ./jbang roles@kodiai create-app-user kodiai_bot --env-file "), "what to run next: " + r.out());
    assertEquals("", r.err());
  }

  @Test
  void aPasswordGivenAsAnUnknownOptionIsRefusedWithoutEchoingIt() throws IOException {
    for (String[] a : List.of(new String[] {"--server-name", SERVER, "--admin-password=" + PASSWORD},
                 new String[] {"--server-name", SERVER, "--admin-password", PASSWORD})) {
      Result r = run(a);
      assertEquals(2, r.code(), r.err());
      assertTrue(r.err().startsWith("provision: error: Unknown option"), r.err());
      assertTrue(r.err().contains("--admin-password"), "the mistyped option is named: " + r.err());
      assertFalse(r.err().contains(PASSWORD) || r.out().contains(PASSWORD), r.err());
      assertEquals(List.of(), r.calls(), "nothing ran");
    }
  }

  @Test
  void thePasswordReachesAzOnlyThroughAnOwnerOnlyFileThatIsDeletedAfterwards() throws IOException {
    Result r = run(args("--verbose", "--allow-ip", "203.0.113.7"));
    assertEquals(0, r.code(), r.err());
    Call create = r.calls().get(3);
    assertEquals(List.of("postgres", "flexible-server", "create"), create.argv().subList(0, 3));
    int i = create.argv().indexOf("--admin-password");
    String fileArg = create.argv().get(i + 1);
    assertTrue(fileArg.startsWith("@"), fileArg);
    String[] file = create.files().get(fileArg.substring(1));
    assertNotNull(file, "the fake az saw no @file");
    assertEquals("600", file[0], "mode of the secret file");
    assertEquals(PASSWORD, file[1]);
    assertFalse(Files.exists(Path.of(fileArg.substring(1))), "the secret file was not deleted");
    // Verbose shows every command, with the secret redacted, and the password nowhere.
    assertTrue(r.err().contains("+ az postgres flexible-server create "), r.err());
    assertTrue(r.err().contains("--admin-password @<secret-file> --version 17"), r.err());
    assertEquals(r.calls().size(), r.err().lines().filter(l -> l.startsWith("+ az ")).count());
    assertNoSecretAnywhere(r);
    assertFalse(create.env().containsKey(provision.PASSWORD_ENV), "the password variable was passed on to az");
  }

  /**
   * The password is scrubbed from az's environment by value, not only by name: copies of it in other variables
   * (whole, or inside a longer value) never reach any az call; variables without it still do.
   */
  @Test
  void thePasswordInAnyOtherVariableNeverReachesAz() throws IOException {
    env.put("SOME_OTHER_SECRET", PASSWORD);
    env.put("A_CONNECTION_STRING", "postgresql://kodiaiadmin:" + PASSWORD + "@elsewhere/kodiai");
    env.put("KEEP_ME", "harmless");
    Result r = run(args("--allow-ip", "203.0.113.7"));
    assertEquals(0, r.code(), r.err());
    assertFalse(r.calls().isEmpty());
    for (Call c : r.calls()) {
      assertEquals("harmless", c.env().get("KEEP_ME"), "az gets the rest of the environment: " + c.joined());
      assertFalse(c.env().containsKey("SOME_OTHER_SECRET") || c.env().containsKey("A_CONNECTION_STRING"), c.joined());
    }
    assertNoSecretAnywhere(r);
  }

  @Test
  void aSecondRunChangesNothing() throws IOException {
    assertEquals(0, run(args("--allow-ip", "203.0.113.7")).code());
    Files.delete(state.resolve("calls.log"));
    Result r = run(args("--allow-ip", "203.0.113.7"));
    assertEquals(0, r.code(), r.err());
    assertEquals(SECOND_RUN_SEQUENCE, shown(r.calls()));
    assertTrue(r.out().contains("[7/7] ready: 0 change(s) made"), r.out());
    assertTrue(r.out().contains("[3/7] server kodiai-pg-test: exists"), r.out());
    assertEquals("", r.err());
  }

  @Test
  void existingExtensionsAreKeptAndVectorIsAddedOnce() throws IOException {
    existingServer("Standard_B1ms", "Burstable", "17", "PG_TRGM,HSTORE");
    Result r = run(args());
    assertEquals(0, r.code(), r.err());
    List<String> sets = shown(r.calls()).stream().filter(c -> c.contains("parameter set")).toList();
    assertEquals(List.of("postgres flexible-server parameter set --resource-group kodiai-rg --server-name kodiai-pg-test"
        + " --name azure.extensions --value PG_TRGM,HSTORE,VECTOR -o none"), sets);
    assertEquals("PG_TRGM,HSTORE,VECTOR", Files.readString(state.resolve("params/" + SERVER + "/azure.extensions")));
    assertTrue(shown(r.calls()).stream().noneMatch(c -> c.contains("flexible-server create")), "an existing server was re-created");

    Result again = run(args());
    assertEquals(0, again.code(), again.err());
    assertEquals(1, shown(again.calls()).stream().filter(c -> c.contains("parameter set")).count(), "VECTOR added twice");
    assertEquals("PG_TRGM,HSTORE,VECTOR", Files.readString(state.resolve("params/" + SERVER + "/azure.extensions")));
  }

  @Test
  void vectorAlreadyListedInAnyCaseIsLeftAlone() throws IOException {
    existingServer("Standard_B1ms", "Burstable", "17", "pg_trgm, vector");
    Result r = run(args());
    assertEquals(0, r.code(), r.err());
    assertTrue(shown(r.calls()).stream().noneMatch(c -> c.contains("parameter set")));
    assertTrue(r.out().contains("VECTOR already allow-listed"), r.out());
  }

  @Test
  void anExistingServerWithAnotherSkuOrVersionIsReportedAndLeftAsItIs() throws IOException {
    existingServer("Standard_D2s_v3", "GeneralPurpose", "16", "VECTOR");
    Result r = run(args());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("warning: server kodiai-pg-test has SKU Standard_D2s_v3, asked for Standard_B1ms"), r.err());
    assertTrue(r.err().contains("has version 16, asked for 17"), r.err());
    assertTrue(shown(r.calls()).stream().noneMatch(c -> c.contains("flexible-server create") || c.contains("update")));
  }

  @Test
  void notLoggedInStopsAtTheFirstCallWithItsOwnExitCode() throws IOException {
    Files.writeString(state.resolve("logged-out"), "");
    Result r = run(args());
    assertEquals(ExitCode.NOT_LOGGED_IN, r.code());
    assertEquals(List.of("account show -o json"), shown(r.calls()));
    assertInstanceOf(AzureException.NotLoggedIn.class, r.kind());
    assertEquals(1, r.err().lines().count(), "one-line error expected: " + r.err());
  }

  @Test
  void azMissingFromPathGivesInstallAdviceAndItsOwnExitCode() throws IOException {
    env.put("PATH", Files.createDirectories(tmp.resolve("empty-bin")).toString());
    Result r = run(args());
    assertEquals(ExitCode.MISSING_TOOL, r.code());
    assertEquals(new AzureException.AzMissing(null), r.kind());
    assertEquals(List.of(), r.calls());

    Result explicit = run(args("--az", tmp.resolve("no-such-az").toString()));
    assertEquals(ExitCode.MISSING_TOOL, explicit.code());
    assertEquals(new AzureException.AzMissing(tmp.resolve("no-such-az").toString()), explicit.kind());
  }

  @Test
  void aFailingStepStopsTheRunAndReportsTheStepAndAzMessageRedacted() throws IOException {
    // The fake's error message echoes the @file content, as a careless az error could.
    Files.writeString(state.resolve("fail"), "flexible-server create");
    Result r = run(args("--allow-ip", "203.0.113.7"));
    assertEquals(1, r.code());
    assertEquals(FRESH_SEQUENCE.subList(0, 4), shown(r.calls()), "calls after the failing step ran");
    assertEquals(1, r.calls().get(3).exit());
    var failed = assertInstanceOf(AzureException.StepFailed.class, r.kind());
    assertEquals(List.of("[3/7] server kodiai-pg-test", 1), List.of(failed.step(), failed.exit()));
    assertTrue(failed.stderr().startsWith("ERROR: (InternalServerError) fake failure of:"), failed.stderr());
    assertTrue(r.err().contains("--admin-password *** --version"), r.err());
    assertEquals(1, r.err().lines().count(), "one-line error expected: " + r.err());
    assertNoSecretAnywhere(r);
    assertFalse(Files.exists(state.resolve("dbs")));
  }

  @Test
  void aStepThatHangsIsStoppedByItsTimeout() throws IOException {
    Files.writeString(state.resolve("hang"), "group show");
    long t0 = System.nanoTime();
    Result r = run(args("--step-timeout", "1"));
    long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0);
    assertEquals(1, r.code());
    assertTrue(seconds < 20, "took " + seconds + " s");
    assertEquals(new AzureException.StepTimedOut("[2/7] resource group kodiai-rg", 1), r.kind());
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "--server-name=Kodiai", "--server-name=ab", "--server-name=-kodiai", "--server-name=kodiai-",
      "--server-name=kodiai_pg", "--server-name=a234567890123456789012345678901234567890123456789012345678901234",
      "--admin-user=admin", "--admin-user=Administrator", "--admin-user=root", "--admin-user=azure_superuser",
      "--admin-user=pg_owner", "--admin-user=1user", "--database=kodiai;drop", "--resource-group=rg.",
      "--resource-group=@rg", "--location=East US", "--tier=Basic", "--storage-gb=16", "--pg-version=9",
      "--allow-ip=0.0.0.0", "--allow-ip=0.0.0.0-255.255.255.255", "--allow-ip=0.0.0.0/0", "--allow-ip=10.0.0.0/7",
      "--allow-ip=203.0.113.300", "--allow-ip=203.0.113.9-203.0.113.1", "--storage-gb=many"})
  void invalidInputIsRefusedBeforeAnyAzCall(String bad) throws IOException {
    Result r = run(args(bad));
    assertEquals(2, r.code(), bad + ": " + r.out() + r.err());
    assertTrue(r.err().startsWith("provision: error: "), r.err());
    if (!bad.equals("--storage-gb=many")) { // not a number: picocli's own usage error, before provision runs
      var refused = assertInstanceOf(AzureException.BadInput.class, r.kind(), bad);
      assertEquals(bad.substring(0, bad.indexOf('=')), refused.input(), bad);
    }
    assertEquals(List.of(), r.calls(), "az was called for " + bad);
  }

  @ParameterizedTest
  @ValueSource(strings = {"Sh0rt!", "alllowercase-and-long", "ALLUPPER1234", "kodiaiadmin-X1!", "Tab\tInside1!"})
  void weakOrInvalidPasswordsAreRefusedBeforeAnyAzCallWithoutBeingShown(String bad) throws IOException {
    env.put(provision.PASSWORD_ENV, bad);
    Result r = run(args());
    assertEquals(2, r.code(), r.err());
    assertEquals("admin password", assertInstanceOf(AzureException.BadInput.class, r.kind()).input());
    assertFalse(r.err().contains(bad) || r.out().contains(bad), "the refused password was shown");
    assertEquals(List.of(), r.calls());
  }

  @Test
  void thePasswordFileWinsOverTheEnvironmentAndItsTrailingNewlineIsDropped() throws IOException {
    Path pw = tmp.resolve("pw");
    Files.writeString(pw, "From-File-Pw9#\n");
    Result r = run(args("--admin-password-file", pw.toString()));
    assertEquals(0, r.code(), r.err());
    assertEquals("From-File-Pw9#", r.calls().get(3).files().values().iterator().next()[1]);
    assertFalse(r.out().contains("From-File-Pw9#") || r.err().contains("From-File-Pw9#"));
  }

  @Test
  void dryRunRunsOnlyReadOnlyCallsAndPrintsTheChanges() throws IOException {
    Path envFile = tmp.resolve("kodiai.env");
    Result r = run(args("--dry-run", "--allow-ip", "203.0.113.7", "--env-file", envFile.toString()));
    assertEquals(0, r.code(), r.err());
    assertEquals(List.of(FRESH_SEQUENCE.get(0), FRESH_SEQUENCE.get(1)), shown(r.calls()));
    assertFalse(Files.exists(state.resolve("groups")), "dry run created a resource group");
    assertFalse(Files.exists(envFile), "dry run wrote the env file");
    for (int i : new int[] {2, 5, 7, 9}) {
      assertTrue(r.out().contains("would run: az " + FRESH_SEQUENCE.get(i)),
          "missing: " + FRESH_SEQUENCE.get(i) + "\n" + r.out());
    }
    assertTrue(r.out().contains("would run: az " + FRESH_SEQUENCE.get(3).replace("@FILE", "@<secret-file>")), r.out());
    assertTrue(r.out().contains("planned (dry run): 5 change(s) would be made, none was made"), r.out());
    assertNoSecretAnywhere(r);
  }

  @Test
  void dryRunOnAnExistingServerLooksButChangesNothing() throws IOException {
    existingServer("Standard_B1ms", "Burstable", "17", "PG_TRGM");
    Result r = run(args("--dry-run", "--allow-ip", "198.51.100.0/24"));
    assertEquals(0, r.code(), r.err());
    assertTrue(r.calls().stream().allMatch(c -> c.argv().contains("show")), String.join("\n", shown(r.calls())));
    assertEquals("PG_TRGM", Files.readString(state.resolve("params/" + SERVER + "/azure.extensions")));
    assertTrue(r.out().contains("--value PG_TRGM,VECTOR"), r.out());
    assertTrue(r.out().contains("--rule-name kodiai-198-51-100-0-to-198-51-100-255 --start-ip-address 198.51.100.0 --end-ip-address 198.51.100.255"), r.out());
  }

  @Test
  void theEnvFileIsOwnerOnlyAndHoldsTheFullDatabaseUrl() throws IOException {
    Path envFile = tmp.resolve("kodiai.env");
    Files.writeString(envFile, "old\n");
    Files.setPosixFilePermissions(envFile, PosixFilePermissions.fromString("rw-r--r--"));
    Result r = run(args("--env-file", envFile.toString()));
    assertEquals(0, r.code(), r.err());
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(envFile)));
    List<String> lines = Files.readAllLines(envFile);
    assertEquals("MIGRATE_DATABASE_URL=postgresql://kodiaiadmin:Kodiai-Test-Pw7%21x@kodiai-pg-test.postgres.database.azure.com"
        + ":5432/kodiai?sslmode=verify-full", lines.get(lines.size() - 1));
    assertNoSecretAnywhere(r);
    try (var s = Files.list(tmp)) {
      assertEquals(List.of(), s.filter(p -> p.getFileName().toString().startsWith(".provision-")).toList(), "temp file left");
    }
  }

  @Test
  void withoutPasswordOrEnvFileANewServerStopsBeforeChangingAnything() throws IOException {
    env.remove(provision.PASSWORD_ENV);
    Result r = run(args());
    assertEquals(2, r.code());
    assertEquals(FRESH_SEQUENCE.subList(0, 2), shown(r.calls()));
    assertEquals(new AzureException.NoPassword("kodiai-pg-test", provision.PASSWORD_ENV), r.kind());
  }

  @Test
  void aGeneratedPasswordGoesOnlyToTheEnvFile() throws IOException {
    env.remove(provision.PASSWORD_ENV);
    Path envFile = tmp.resolve("kodiai.env");
    Result r = run(args("--env-file", envFile.toString()));
    assertEquals(0, r.code(), r.err());
    String generated = r.calls().get(3).files().values().iterator().next()[1];
    assertTrue(generated.length() >= 32 && generated.matches("[A-Za-z0-9._~-]+"), generated);
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(envFile)));
    assertTrue(Files.readString(envFile).contains("postgresql://kodiaiadmin:" + generated + "@"));
    assertFalse(r.out().contains(generated) || r.err().contains(generated));
    for (Call c : r.calls()) assertTrue(c.argv().stream().noneMatch(a -> a.contains(generated)));
  }

  @Test
  void rulesForAzureServicesOrTheInternetNeedTheirExplicitFlags() throws IOException {
    Result r = run(args("--allow-ip", "198.51.100.7-198.51.100.9", "--allow-all-azure-services", "--allow-public-internet"));
    assertEquals(0, r.code(), r.err());
    List<String> creates = shown(r.calls()).stream().filter(c -> c.contains("firewall-rule create")).toList();
    assertEquals(3, creates.size(), String.join("\n", creates));
    assertTrue(creates.get(0).contains("--rule-name kodiai-198-51-100-7-to-198-51-100-9 --start-ip-address 198.51.100.7 --end-ip-address 198.51.100.9"));
    assertTrue(creates.get(1).contains("--rule-name kodiai-allow-azure-services --start-ip-address 0.0.0.0 --end-ip-address 0.0.0.0"));
    assertTrue(creates.get(2).contains("--rule-name kodiai-allow-public-internet --start-ip-address 0.0.0.0 --end-ip-address 255.255.255.255"));
    Files.delete(state.resolve("calls.log"));
    Result none = run(args());
    assertEquals(0, none.code(), none.err());
    assertTrue(none.calls().stream().noneMatch(c -> c.joined().contains("0.0.0.0")), "a default run touched 0.0.0.0");
  }

  @Test
  void theScriptRunsEndToEndAsASubprocessWithEnvironmentDefaults() throws Exception {
    Path envFile = tmp.resolve("e2e.env");
    ProcessBuilder pb = new ProcessBuilder(ROOT.resolve("jbang").toString(), ROOT.resolve("provision.java").toString(),
        "--allow-ip", "203.0.113.7", "--env-file", envFile.toString());
    pb.environment().put("PATH", FAKE_AZ_DIR + ":" + System.getenv("PATH"));
    pb.environment().put("FAKE_AZ_STATE", state.toString());
    pb.environment().put(provision.PASSWORD_ENV, PASSWORD);
    pb.environment().put("KODIAI_AZ_SERVER_NAME", SERVER);
    pb.environment().put("KODIAI_AZ_RESOURCE_GROUP", RG);
    pb.environment().put("KODIAI_AZ_LOCATION", "westeurope");
    pb.redirectOutput(tmp.resolve("out.txt").toFile());
    pb.redirectError(tmp.resolve("err.txt").toFile());
    Process p = pb.start();
    assertTrue(p.waitFor(180, TimeUnit.SECONDS), "the script did not finish");
    String out = Files.readString(tmp.resolve("out.txt")), err = Files.readString(tmp.resolve("err.txt"));
    assertEquals(0, p.exitValue(), out + err);
    assertEquals(FRESH_SEQUENCE, shown(calls()));
    assertTrue(out.contains("[7/7] ready: 5 change(s) made"), out);
    assertFalse(out.contains(PASSWORD) || err.contains(PASSWORD));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(envFile)));
    assertNoSecretAnywhere(new Result(0, out, err, calls(), null));
  }
  // ------------------------------------------------------------ hostile input (issue 15)

  /** Run 1 generates the only copy of the password into the env file; run 2, with a stale password in the environment, must not replace it. */
  @Test
  void aRerunWithAnotherPasswordNeverReplacesTheSavedOne() throws IOException {
    env.remove(provision.PASSWORD_ENV);
    Path envFile = tmp.resolve("kodiai.env");
    assertEquals(0, run(args("--env-file", envFile.toString())).code());
    String saved = Files.readString(envFile);
    String generated = calls().get(3).files().values().iterator().next()[1];
    assertTrue(saved.contains(":" + generated + "@"), saved);

    env.put(provision.PASSWORD_ENV, "Stale-Pw-2023!");
    Result r = run(args("--env-file", envFile.toString()));
    assertEquals(0, r.code(), r.err());
    assertEquals(saved, Files.readString(envFile), "the env file changed");
    assertTrue(r.out().contains("env file:     " + envFile + " left as it is: server kodiai-pg-test existed before this run"), r.out());
    assertTrue(r.out().contains("does not change its password"), r.out());
    assertFalse(r.out().contains("Stale-Pw-2023") || r.err().contains("Stale-Pw-2023"));
  }

  @Test
  void anExistingEnvFileKeepsEveryLineProvisionDoesNotOwn() throws IOException {
    Path envFile = tmp.resolve("app.env");
    Files.writeString(envFile, "# the app's settings\nGITHUB_APP_ID=12345\nDATABASE_URL=postgresql://old@localhost/old\nLOG_LEVEL=debug\n");
    Files.setPosixFilePermissions(envFile, PosixFilePermissions.fromString("rw-r--r--"));
    Result r = run(args("--env-file", envFile.toString()));
    assertEquals(0, r.code(), r.err());
    assertEquals(List.of("# the app's settings", "GITHUB_APP_ID=12345", "DATABASE_URL=postgresql://old@localhost/old",
        "LOG_LEVEL=debug", "# kodiai database of Azure server kodiai-pg-test, written by provision. Keep this file private.",
        "MIGRATE_DATABASE_URL=postgresql://kodiaiadmin:Kodiai-Test-Pw7%21x@kodiai-pg-test.postgres.database.azure.com:5432/kodiai"
            + "?sslmode=verify-full"), Files.readAllLines(envFile), "the bot's DATABASE_URL is not provision's: kept");
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(envFile)));
  }

  /** az answers with something else than the JSON asked for: the step fails saying what az printed; nothing is written. */
  @ParameterizedTest
  @ValueSource(strings = {"noise-line", "html", "wrong-host", "other-server", "no-host"})
  void whatAzPrintsIsValidatedBeforeItIsUsed(String how) throws IOException {
    existingServer("Standard_B1ms", "Burstable", "17", "VECTOR");
    switch (how) {
      case "noise-line" -> Files.writeString(state.resolve("noise"), "flexible-server show\nWARNING: 32 new updates\n");
      case "html" -> Files.writeString(state.resolve("noise"), "account show\n<html><body>Bad Gateway</body></html>\n");
      case "wrong-host" -> Files.writeString(state.resolve("servers/" + SERVER),
          String.join("\n", "Standard_B1ms", "Burstable", "17", "32", "evil.example.com", "Ready") + "\n");
      // In Azure's domain, but another server's name (or the right name inside a longer one): not this server.
      case "other-server" -> Files.writeString(state.resolve("servers/" + SERVER), String.join("\n", "Standard_B1ms", "Burstable",
          "17", "32", "evil-" + SERVER + ".postgres.database.azure.com", "Ready") + "\n");
      default -> Files.writeString(state.resolve("servers/" + SERVER),
          String.join("\n", "Standard_B1ms", "Burstable", "17", "32", "", "Ready") + "\n");
    }
    Path envFile = tmp.resolve("kodiai.env");
    Result r = run(args("--env-file", envFile.toString()));
    assertEquals(1, r.code(), how + ": " + r.out() + r.err());
    assertEquals(1, r.err().lines().count(), r.err());
    var unexpected = assertInstanceOf(AzureException.UnexpectedOutput.class, r.kind());
    assertEquals(how.equals("html") ? "[1/7] az account show" : "[3/7] server kodiai-pg-test", unexpected.step());
    switch (how) {
      case "noise-line" -> assertTrue(unexpected.shown().startsWith("WARNING: 32 new updates {"), unexpected.shown());
      case "html" -> assertTrue(unexpected.shown().startsWith("<html><body>Bad Gateway</body></html> {"), unexpected.shown());
      case "wrong-host" -> assertEquals("fullyQualifiedDomainName 'evil.example.com' is not " + SERVER
          + ".postgres.database.azure.com", unexpected.why());
      case "other-server" -> assertEquals("fullyQualifiedDomainName 'evil-kodiai-pg-test.postgres.database.azure.com'"
          + " is not " + SERVER + ".postgres.database.azure.com", unexpected.why());
      default -> assertEquals("fullyQualifiedDomainName '' is not " + SERVER + ".postgres.database.azure.com",
          unexpected.why());
    }
    assertFalse(Files.exists(envFile), "an env file was written from what az printed");
  }

  /** The env file's password file may be anything: /dev/zero must not exhaust the memory. */
  @Test
  void aPasswordFileIsReadOnlyUpToAKilobyte() throws IOException {
    Result r = run(args("--admin-password-file", "/dev/zero"));
    assertEquals(2, r.code(), r.err());
    assertEquals("admin password", assertInstanceOf(AzureException.BadInput.class, r.kind()).input());
    assertEquals(1, r.err().lines().count(), "one line: " + r.err());
    assertEquals(List.of(), r.calls());
  }

  /** A rule of the expected name but another end address is not "present": it is rewritten. */
  @Test
  void anExistingRuleWithAnotherEndAddressIsUpdated() throws IOException {
    existingServer("Standard_B1ms", "Burstable", "17", "VECTOR");
    Files.createDirectories(state.resolve("rules/" + SERVER));
    Files.writeString(state.resolve("rules/" + SERVER + "/kodiai-198-51-100-0-to-198-51-100-255"), "198.51.100.0\n198.51.100.7\n");
    Files.createDirectories(state.resolve("dbs/" + SERVER));
    Files.writeString(state.resolve("dbs/" + SERVER + "/kodiai"), "");
    Result r = run(args("--allow-ip", "198.51.100.0/24"));
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("[6/7] firewall rule kodiai-198-51-100-0-to-198-51-100-255 (198.51.100.0-198.51.100.255):"
        + " updated (was 198.51.100.0-198.51.100.7)"), r.out());
    assertEquals(List.of("198.51.100.0", "198.51.100.255"),
        Files.readAllLines(state.resolve("rules/" + SERVER + "/kodiai-198-51-100-0-to-198-51-100-255")));
    assertTrue(r.out().contains("ready: 1 change(s) made"), r.out());
  }

  /**
   * SIGTERM or SIGINT while az creates the server: az and its children are stopped, the secret file is gone,
   * one line says what Azure may hold and that a rerun continues, and the exit code is 143 or 130.
   */
  @ParameterizedTest
  @ValueSource(strings = {"TERM", "INT"})
  void anInterruptedRunStopsAzDeletesTheSecretAndSaysWhatToDo(String signal) throws Exception {
    Files.writeString(state.resolve("hang"), "flexible-server create");
    Path envFile = tmp.resolve("kodiai.env");
    // env --default-signal: a child of a background job may inherit SIGINT ignored; the real Ctrl-C case has it on.
    ProcessBuilder pb = new ProcessBuilder("env", "--default-signal=INT", ROOT.resolve("jbang").toString(),
        ROOT.resolve("provision.java").toString(), "-s", SERVER, "-g", RG, "-l", "westeurope", "--env-file", envFile.toString());
    pb.environment().put("PATH", FAKE_AZ_DIR + ":" + System.getenv("PATH"));
    pb.environment().put("FAKE_AZ_STATE", state.toString());
    pb.environment().remove(provision.PASSWORD_ENV);
    pb.redirectOutput(tmp.resolve("out.txt").toFile());
    pb.redirectError(tmp.resolve("err.txt").toFile());
    Process p = pb.start();
    Path pids = state.resolve("pids");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (!(Files.exists(pids) && Files.readAllLines(pids).size() >= 2) && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(100);
    assertTrue(p.isAlive(), "provision ended before az create: " + Files.readString(tmp.resolve("err.txt")));
    // The create call has not ended, so it is not in calls() yet: its @file is the log's only FILE line.
    String secret = Files.readAllLines(state.resolve("calls.log")).stream().filter(l -> l.startsWith("FILE\t"))
        .map(l -> l.split("\t")[1]).findFirst().orElseThrow();
    assertTrue(Files.exists(Path.of(secret)), "the secret file exists while az runs");
    new ProcessBuilder("kill", "-" + signal, String.valueOf(p.pid())).start().waitFor();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "provision did not stop");
    String err = Files.readString(tmp.resolve("err.txt"));
    assertEquals(signal.equals("TERM") ? 143 : 130, p.exitValue(), err);
    assertEquals(List.of("provision: interrupted during [3/7] server kodiai-pg-test (az was stopped): Azure may still complete or"
        + " undo that change on its own; run provision again with the same options: it looks first and continues where this run"
        + " stopped (the password is kept in " + envFile + ")"), err.lines().filter(l -> !l.startsWith("[jbang]")).toList());
    assertFalse(Files.exists(Path.of(secret)), "the secret file was left behind");
    for (String pid : Files.readAllLines(pids)) { // killed ones may take a moment to be reaped
      var h = ProcessHandle.of(Long.parseLong(pid));
      for (int i = 0; i < 50 && h.isPresent() && h.get().isAlive(); i++) { Thread.sleep(100); h = ProcessHandle.of(Long.parseLong(pid)); }
      assertFalse(h.isPresent() && h.get().isAlive(), "az's process " + pid + " still runs");
    }
    assertTrue(Files.readString(envFile).contains("MIGRATE_DATABASE_URL=postgresql://kodiaiadmin:"), "the generated password was kept");
  }
}
