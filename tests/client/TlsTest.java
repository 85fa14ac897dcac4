// Verified TLS (issue 24) against a real PostgreSQL with ssl = on and a throwaway CA made here with the
// JDK's keytool: verify-full with the CA connects (pgjdbc and postgres.js); a wrong host name and an
// unknown CA are each one line, exit 3, no log noise, in-process (the kind) and from a real command.

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TlsTest {
  static final Path ROOT = MigrationSource.checkoutRoot();
  static final String STOREPASS = "kodiai-test";
  static Path dir, ca, otherCa;
  static LocalCluster.Temporary server;
  static String user, password;
  static int port;

  @BeforeAll static void serverWithACertificateOfOurOwnCa() throws Exception {
    dir = Files.createTempDirectory("kodiai-tls-test");
    ca = makeCa("ca");
    otherCa = makeCa("other-ca");
    String certPem = signServerCertificate("ca", "dns:localhost");
    Integer major = TestDatabase.requestedMajor();
    server = LocalCluster.temporary("kodiai-tls-pg-", "tls_admin", true,
        major == null ? PostgresInstall.binDir() : PostgresInstall.binDir(major));
    server.cluster().stop(true);
    server.cluster().enableTls(certPem, privateKeyPem(dir.resolve("server.p12"), "server"));
    server.cluster().start();
    DbClient.Target admin = DbClient.parse(server.adminUrl());
    user = admin.user();
    password = admin.password();
    port = admin.port();
  }

  @AfterAll static void discard() throws Exception {
    if (server != null) server.discard();
    try (var files = Files.walk(dir)) {
      for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    }
  }

  // ------------------------------------------------------------------ a throwaway CA (keytool)

  static ChildProcess.Result keytool(String... args) {
    List<String> cmd = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin",
        "keytool").toString()));
    cmd.addAll(List.of(args));
    return ChildProcess.of(cmd).dir(dir).mergeErrors().runOrThrow(Duration.ofSeconds(60));
  }

  /** A CA key pair in NAME.p12 and its certificate in NAME.pem. */
  static Path makeCa(String name) {
    keytool("-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=kodiai test "
        + name,
        "-ext", "bc:c", "-validity", "2", "-keystore", name + ".p12", "-storetype", "PKCS12", "-storepass", STOREPASS);
    keytool("-exportcert", "-rfc", "-alias", name, "-keystore", name + ".p12", "-storepass", STOREPASS,
        "-file", name + ".pem");
    return dir.resolve(name + ".pem");
  }

  /** A server key pair in server.p12 and its certificate for `san`, signed by CA `caName` (PEM, returned). */
  static String signServerCertificate(String caName, String san) throws Exception {
    keytool("-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-dname",
        "CN=kodiai test server",
        "-validity", "2", "-keystore", "server.p12", "-storetype", "PKCS12", "-storepass", STOREPASS);
    keytool("-certreq", "-alias", "server", "-keystore", "server.p12", "-storepass", STOREPASS, "-file", "server.csr");
    keytool("-gencert", "-alias", caName, "-keystore", caName + ".p12", "-storepass", STOREPASS,
        "-infile", "server.csr",
        "-outfile", "server.pem", "-rfc", "-validity", "2", "-ext", "san=" + san, "-ext", "eku=serverAuth");
    return Files.readString(dir.resolve("server.pem"));
  }

  /** The private key of `alias` in a PKCS#12 file as PKCS#8 PEM, the form PostgreSQL reads. */
  static String privateKeyPem(Path p12, String alias) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(p12)) { ks.load(in, STOREPASS.toCharArray()); }
    PrivateKey key = (PrivateKey) ks.getKey(alias, STOREPASS.toCharArray());
    return "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(key.getEncoded())
        + "\n-----END PRIVATE KEY-----\n";
  }

  // ------------------------------------------------------------------------------ the tests

  String url(String host, String query) {
    return DbClient.url(user, password, host, port, "postgres") + "?" + query;
  }

  DbClient.DbException refused(String url) {
    return assertThrows(DbClient.DbException.class,
        () -> { try (Connection c = DbClient.open(url)) { c.isValid(1); } });
  }

  @Test void verifyFullWithTheCaFileConnectsOverTls() throws Exception {
    try (Connection c = DbClient.open(url("localhost", "sslmode=verify-full&sslrootcert=" + ca));
         Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")) {
      assertTrue(rs.next() && rs.getBoolean(1), "the session is encrypted");
    }
  }

  @Test void aWrongHostNameIsOneLineExitThree() {
    DbClient.DbException e = refused(url("127.0.0.1", "sslmode=verify-full&sslrootcert=" + ca));
    assertEquals(DbClient.DbException.Kind.TLS_HOST_NAME, e.kind);
    assertEquals(ExitCode.CANNOT_CONNECT, e.exitCode);
    assertEquals("cannot connect to 127.0.0.1:" + port + "/postgres: the server's TLS certificate is not for host"
        + " 127.0.0.1"
        + " (sslmode=verify-full checks the name): connect with a host name the certificate names"
        + " (Azure: SERVER.postgres.database.azure.com, not an IP address or another alias)", e.getMessage());
  }

  @Test void anUnknownCaIsOneLineExitThree() {
    DbClient.DbException e = refused(url("localhost", "sslmode=verify-full&sslrootcert=" + otherCa));
    assertEquals(DbClient.DbException.Kind.TLS_UNTRUSTED, e.kind);
    assertEquals(ExitCode.CANNOT_CONNECT, e.exitCode);
    assertTrue(e.getMessage().startsWith("cannot connect to localhost:" + port
        + "/postgres: the server's TLS certificate is"
        + " not signed by a trusted CA (sslmode=verify-full): put the CA's PEM file in the URL as sslrootcert=FILE"),
        e.getMessage());
    assertFalse(e.getMessage().contains("\n"));
  }

  @Test void withoutSslrootcertJavasTrustStoreDecidesAndDoesNotHoldOurCa() {
    assumeFalse(Files.exists(Path.of(System.getProperty("user.home"), ".postgresql", "root.crt")),
        "libpq's root.crt is there");
    assertEquals(DbClient.DbException.Kind.TLS_UNTRUSTED, refused(url("localhost", "sslmode=verify-full")).kind,
        "the system trust store, not a missing ~/.postgresql/root.crt");
    assertEquals(DbClient.DbException.Kind.TLS_UNTRUSTED, refused(url("localhost", "sslrootcert=system")).kind,
        "sslrootcert=system: Java's trust store, verify-full");
  }

  @Test void anUnreadableRootFileIsAUsageError() {
    DbClient.DbException e = refused(url("localhost", "sslmode=verify-full&sslrootcert=" + dir.resolve("missing.pem")));
    assertEquals(DbClient.DbException.Kind.CONFIG, e.kind);
    assertEquals(ExitCode.USAGE, e.exitCode);
  }

  /** `./jbang migrate.java status` against the URL: exit code and stderr lines. */
  ChildProcess.Result migrateStatus(String url) {
    return ChildProcess.of(ROOT.resolve("jbang").toString(), ROOT.resolve("migrate.java").toString(),
        "status").dir(ROOT)
        .env("DATABASE_URL", url).env("MIGRATE_DATABASE_URL", url).run(Duration.ofSeconds(300));
  }

  @Test void aRealCommandPrintsOneLineAndNoLogNoiseForEachRefusal() {
    ChildProcess.Result host = migrateStatus(url("127.0.0.1", "sslmode=verify-full&sslrootcert=" + ca));
    ChildProcess.Result untrusted = migrateStatus(url("localhost", "sslmode=verify-full&sslrootcert=" + otherCa));
    for (ChildProcess.Result r : List.of(host, untrusted)) {
      assertEquals(ExitCode.CANNOT_CONNECT, r.exitCode(), r.stderr());
      List<String> lines = r.stderr().lines().filter(l -> !l.startsWith("[jbang]")).toList();
      assertEquals(1, lines.size(), "one line, no SEVERE log line: " + r.stderr());
      assertTrue(lines.get(0).startsWith("migrate: error: cannot connect to "), lines.get(0));
      assertFalse(r.stderr().contains(password), "no password");
    }
    assertTrue(host.stderr().contains("is not for host 127.0.0.1"), host.stderr());
    assertTrue(untrusted.stderr().contains("not signed by a trusted CA"), untrusted.stderr());
  }

  @Test void postgresJsVerifiesWithSslmodeVerifyFullAgainstNodesTrustedCas() throws Exception {
    String node = PostgresJsContractTest.requireNode();
    Path module = ROOT.resolve("clients/postgres-js");
    PostgresJsContractTest.requirePinnedDependencies(module);
    String script = "import postgres from 'postgres';"
        + "const sql = postgres(process.env.URL, { max: 1, connect_timeout: 10, onnotice: () => {} });"
        + "try { const [r] = await sql`SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`; console.log('ssl='"
        + " + r.ssl); }"
        + "catch (e) { console.log('error=' + e.code); process.exitCode = 1 } finally { await sql.end() }";
    ChildProcess trusting = ChildProcess.of(node, "--input-type=module", "-e", script).dir(module)
        .env("URL", url("localhost", "sslmode=verify-full")).env("NODE_EXTRA_CA_CERTS", ca.toString());
    assertEquals("ssl=true", trusting.run(Duration.ofSeconds(60)).stdout().strip(), "NODE_EXTRA_CA_CERTS holds our CA");
    ChildProcess.Result other = ChildProcess.of(node, "--input-type=module", "-e", script).dir(module)
        .env("URL", url("localhost", "sslmode=verify-full")).env("NODE_EXTRA_CA_CERTS", otherCa.toString())
        .run(Duration.ofSeconds(60));
    assertEquals(1, other.exitCode(), other.stdout() + other.stderr());
    assertTrue(other.stdout().startsWith("error="), "refused: " + other.stdout());
    // No wrong-host case here: for an IP address postgres.js 3.4 passes no servername, and Node then checks the
    // certificate against "localhost" (docs/client.md#tls); a second name for this machine is not portable.
  }
}
