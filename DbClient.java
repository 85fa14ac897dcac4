// Shared source (pulled in with //SOURCES DbClient.java): how every kodiai-db
// script reaches PostgreSQL. A URL is parsed once into a Target, the one value every
// consumer works from; DbClient.url() is the one place that writes a URL.
// The pool (HikariCP) is pool/DbPool.java, so scripts that need none skip it.
//
// Accepts postgresql:// and postgres:// URLs (libpq style) and jdbc:postgresql://
// URLs. Passwords never leave this class: every URL it shows is redacted.
//
// Session settings (timeouts, retrieval settings) are the database's own defaults, set by
// migration 006 (ALTER DATABASE ... SET): every server connection has them, whoever opens it
// (this client, a pooler such as PgBouncer, the bot's postgres.js), so they hold in every
// transaction through a transaction pooler too. Nothing goes in the startup packet by
// default, which a stock PgBouncer accepts. An environment override (DATABASE_STATEMENT_TIMEOUT_MS,
// ...) travels in the startup packet (`options`): honoured on a direct connection; a stock
// PgBouncer refuses it (translate() says which variable to unset), see docs/pooler.md.

//DEPS org.postgresql:postgresql:42.7.14
//DEPS com.pgvector:pgvector:0.1.6
import com.pgvector.PGvector;
import java.io.PrintWriter;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.logging.Logger;
import java.util.regex.Pattern;
import javax.sql.DataSource;

final class DbClient {
  private DbClient() {}

  /** All defaults in one place; each can be overridden by the environment variable named beside it. */
  static final class Settings {
    int poolMax = 10;                        // DATABASE_POOL_MAX
    long idleTimeoutMs = 20_000;             // DATABASE_IDLE_TIMEOUT_MS
    long connectTimeoutMs = 10_000;          // DATABASE_CONNECT_TIMEOUT_MS
    String applicationName = "kodiai-db";    // DATABASE_APPLICATION_NAME
    // Session settings: null = the database's default (migration 006, in brackets). A value is an
    // override sent in the startup packet, which a stock PgBouncer refuses (see the top of this file).
    Long statementTimeoutMs;                 // DATABASE_STATEMENT_TIMEOUT_MS (300000)
    Long lockTimeoutMs;                      // DATABASE_LOCK_TIMEOUT_MS (10000)
    Long idleInTransactionTimeoutMs;         // DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS (120000)
    // Retrieval settings measured in docs/retrieval.md.
    String hnswEfSearch;                     // DATABASE_HNSW_EF_SEARCH (100)
    String hnswIterativeScan;                // DATABASE_HNSW_ITERATIVE_SCAN (relaxed_order; needs pgvector >= 0.8)
    // DATABASE_PLAN_CACHE_MODE (force_custom_plan: generic plans scan a whole repo)
    String planCacheMode;

    static Settings fromEnv(Map<String, String> env) {
      Settings s = new Settings();
      s.poolMax = number(env, "DATABASE_POOL_MAX", (long) s.poolMax, 1).intValue();
      s.idleTimeoutMs = number(env, "DATABASE_IDLE_TIMEOUT_MS", s.idleTimeoutMs, 0);
      s.connectTimeoutMs = number(env, "DATABASE_CONNECT_TIMEOUT_MS", s.connectTimeoutMs, 1);
      s.applicationName = env.getOrDefault("DATABASE_APPLICATION_NAME", s.applicationName);
      s.statementTimeoutMs = number(env, "DATABASE_STATEMENT_TIMEOUT_MS", null, 0);
      s.lockTimeoutMs = number(env, "DATABASE_LOCK_TIMEOUT_MS", null, 0);
      s.idleInTransactionTimeoutMs = number(env, "DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS", null, 0);
      s.hnswEfSearch = word(env, "DATABASE_HNSW_EF_SEARCH");
      s.hnswIterativeScan = word(env, "DATABASE_HNSW_ITERATIVE_SCAN");
      s.planCacheMode = word(env, "DATABASE_PLAN_CACHE_MODE");
      return s;
    }

    /** The session overrides, setting name to value, in the order they are sent; empty by default. */
    Map<String, String> sessionOverrides() {
      Map<String, String> m = new LinkedHashMap<>();
      if (statementTimeoutMs != null) m.put("statement_timeout", "" + statementTimeoutMs);
      if (lockTimeoutMs != null) m.put("lock_timeout", "" + lockTimeoutMs);
      if (idleInTransactionTimeoutMs != null)
        m.put("idle_in_transaction_session_timeout", "" + idleInTransactionTimeoutMs);
      if (planCacheMode != null) m.put("plan_cache_mode", planCacheMode);
      // Placeholders until pgvector loads in the session, which then takes them up.
      if (hnswEfSearch != null) m.put("hnsw.ef_search", hnswEfSearch);
      if (hnswIterativeScan != null) m.put("hnsw.iterative_scan", hnswIterativeScan);
      return m;
    }

    /** The environment variables behind sessionOverrides(), for messages. */
    List<String> overrideVariables() {
      List<String> v = new ArrayList<>();
      if (statementTimeoutMs != null) v.add("DATABASE_STATEMENT_TIMEOUT_MS");
      if (lockTimeoutMs != null) v.add("DATABASE_LOCK_TIMEOUT_MS");
      if (idleInTransactionTimeoutMs != null) v.add("DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS");
      if (planCacheMode != null) v.add("DATABASE_PLAN_CACHE_MODE");
      if (hnswEfSearch != null) v.add("DATABASE_HNSW_EF_SEARCH");
      if (hnswIterativeScan != null) v.add("DATABASE_HNSW_ITERATIVE_SCAN");
      return v;
    }

    /** A setting's value goes into the startup options: letters, digits and '_' only; empty: not set. */
    private static String word(Map<String, String> env, String name) {
      String v = env.get(name);
      if (v == null || v.isBlank()) return null;
      if (!v.trim().matches("[A-Za-z0-9_]*"))
        throw new DbException(DbException.Kind.CONFIG, name + " must be a plain word or number, got '" + v + "'");
      return v.trim();
    }

    private static Long number(Map<String, String> env, String name, Long dflt, long min) {
      String v = env.get(name);
      if (v == null || v.isBlank()) return dflt;
      try {
        long n = Long.parseLong(v.trim());
        if (n < min) throw new NumberFormatException();
        return n;
      } catch (NumberFormatException e) {
        throw new DbException(DbException.Kind.CONFIG,
            name + " must be a whole number >= " + min + ", got '" + v + "'");
      }
    }
  }

  /**
   * A configuration problem (exit 2) or a connection problem (exit 3), with a message fit to print as one line.
   * TLS_HOST_NAME: the certificate does not name the host; TLS_UNTRUSTED: it does not chain to a trusted root;
   * TLS_UNAVAILABLE: the server offers no TLS but the URL's sslmode needs it.
   */
  static final class DbException extends Failure {
    enum Kind { CONFIG, CONNECT, TLS_HOST_NAME, TLS_UNTRUSTED, TLS_UNAVAILABLE }
    final Kind kind;
    DbException(Kind kind, String message) { this(kind, message, null); }
    DbException(Kind kind, String message, Throwable cause) {
      super(kind == Kind.CONFIG ? ExitCode.USAGE : ExitCode.CANNOT_CONNECT, message, cause);
      this.kind = kind;
    }
  }

  /** A parsed database URL: everything a consumer needs, read once. `toString()` is redacted. */
  record Target(String host, int port, String database, String user, String password, Map<String, String> params) {
    String jdbcUrl() { return "jdbc:postgresql://" + hostPort() + "/" + database; }
    /** True when the URL carries a password (then it must not travel in a process's arguments). */
    boolean hasPassword() { return password != null; }
    /** The full postgresql:// URL, password included: for a child process's environment, never argv or logs. */
    String url() { return format(false); }
    /** postgresql:// form without the password, safe to print. */
    String redacted() { return format(true); }
    @Override public String toString() { return redacted(); }
    /** The same server and credentials with one more connection parameter. */
    Target withParam(String key, String value) {
      Map<String, String> p = new LinkedHashMap<>(params);
      p.put(key, value);
      return new Target(host, port, database, user, password, p);
    }
    private String hostPort() {
      return (host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port;
    }
    private String format(boolean hidePassword) {
      StringBuilder sb = new StringBuilder("postgresql://");
      if (user != null || password != null) {
        sb.append(user == null ? "" : encode(user));
        if (password != null) sb.append(':').append(hidePassword ? "***" : encode(password));
        sb.append('@');
      }
      sb.append(hostPort()).append('/').append(hidePassword ? database : encode(database));
      StringBuilder q = new StringBuilder();
      params.forEach((k, v) -> {
        q.append(q.length() > 0 ? "&" : "").append(hidePassword ? k : encode(k)).append('=');
        q.append(hidePassword ? (k.toLowerCase(Locale.ROOT).contains("password") ? "***" : v) : encode(v));
      });
      return q.length() == 0 ? sb.toString() : sb.append('?').append(q).toString();
    }
  }

  /** The one URL builder: postgresql://USER:PASSWORD@HOST:PORT/DATABASE, each part percent-encoded. */
  static String url(String user, String password, String host, int port, String database) {
    return new Target(host, port, database, user, password, Map.of()).url();
  }

  /** RFC 3986 percent-encoding: everything but letters, digits and -._~ (what parse() decodes). */
  static String encode(String s) {
    StringBuilder sb = new StringBuilder();
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xFF);
      if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || "-._~".indexOf(c) >= 0)
        sb.append(c);
      else sb.append('%').append(String.format("%02X", b & 0xFF));
    }
    return sb.toString();
  }

  // ---------------------------------------------------------------- parsing

  /** The URL from --url or DATABASE_URL, or a CONFIG error that says how to fix it. */
  static String requireUrl(String url) {
    if (url == null || url.isBlank())
      throw new DbException(DbException.Kind.CONFIG,
          "no database URL: set DATABASE_URL or pass --url (form: postgresql://USER@HOST:5432/DB?sslmode=verify-full,"
          + " with the password as USER:PASSWORD, percent-encoded)");
    return url.trim();
  }

  static Target parse(String url) {
    url = requireUrl(url);
    String rest;
    if (url.startsWith("jdbc:postgresql://")) rest = url.substring(18);
    else if (url.startsWith("postgresql://")) rest = url.substring(13);
    else if (url.startsWith("postgres://")) rest = url.substring(11);
    else throw malformed(url, "it must start with postgresql://, postgres:// or jdbc:postgresql://");

    // The user:password part ends at the last '@' of the authority. A password holding a raw '/',
    // '?' or '#' would end the authority early and turn a piece of itself into a host, port or
    // parameter: refuse that shape (the message shows the URL through redactUrl, which masks
    // everything up to the last '@'), rather than guess or echo the piece.
    int authEnd = indexOfAny(rest, "/?#");
    String authority = rest.substring(0, authEnd);
    if (rest.lastIndexOf('@') > authEnd && authority.indexOf('@') < 0 && nonNumericPort(authority))
      throw malformed(url, "the user:password part seems to hold a raw '/', '?' or '#':"
          + " percent-encode them in the password (%2F, %3F, %23)");
    String path = "", query = "";
    String tail = rest.substring(authEnd);
    int hash = tail.indexOf('#');
    if (hash >= 0) tail = tail.substring(0, hash);
    int q = tail.indexOf('?');
    if (q >= 0) { query = tail.substring(q + 1); tail = tail.substring(0, q); }
    if (tail.startsWith("/")) path = tail.substring(1);
    return fromParts(url, authority, path, query);
  }

  /** The Target from the URL's authority, path and query; the query's connection parameters win, as in libpq. */
  private static Target fromParts(String url, String authority, String path, String query) {
    String user = null, password = null;
    int at = authority.lastIndexOf('@'); // a raw '@' in a password is tolerated: the last one ends userinfo
    if (at >= 0) {
      String info = authority.substring(0, at);
      authority = authority.substring(at + 1);
      int colon = info.indexOf(':');
      user = decode(url, colon >= 0 ? info.substring(0, colon) : info);
      if (colon >= 0) password = decode(url, info.substring(colon + 1));
      if (user.isEmpty()) user = null;
    }
    HostPort hp = hostPort(url, authority);
    String host = hp.host();
    int port = hp.port();
    Map<String, String> params = queryParams(url, query);
    // libpq reads these connection parameters from the query too, and the query wins; jdbc URLs
    // carry credentials only there. Taken out, the password is a field like any other (redacted).
    if (params.containsKey("user")) user = params.remove("user");
    if (params.containsKey("password")) password = params.remove("password");
    if (params.containsKey("host")) host = params.remove("host");
    if (params.containsKey("port")) port = port(url, params.remove("port"));
    if (host.startsWith("/") || host.startsWith("@"))
      throw malformed(url, "a Unix-domain socket (host " + host + ") is not supported:"
          + " connect over TCP, e.g. host 127.0.0.1 or localhost");
    if (host.isEmpty()) host = "localhost";
    if (host.contains(",")) throw malformed(url, "several hosts are not supported");
    String database = decode(url, path);
    if (database.isEmpty()) database = user != null ? user : "postgres"; // libpq's default
    if (database.contains("/")) throw malformed(url, "the database name may not contain '/'");
    return new Target(host, port, database, user, password, params);
  }

  private record HostPort(String host, int port) {}

  /** host[:port] or [IPv6][:port], userinfo already taken off; the port defaults to 5432. */
  private static HostPort hostPort(String url, String authority) {
    int port = 5432;
    if (authority.startsWith("[")) {
      int close = authority.indexOf(']');
      if (close < 0) throw malformed(url, "an IPv6 host needs a closing ']'");
      String after = authority.substring(close + 1);
      if (after.startsWith(":")) port = port(url, after.substring(1));
      else if (!after.isEmpty()) throw malformed(url, "unexpected text after the IPv6 host");
      return new HostPort(authority.substring(1, close), port);
    }
    int colon = authority.lastIndexOf(':');
    String host = decode(url, colon >= 0 ? authority.substring(0, colon) : authority);
    if (colon >= 0) port = port(url, authority.substring(colon + 1));
    return new HostPort(host, port);
  }

  /** NAME=VALUE pairs of the query, decoded, in their order. */
  private static Map<String, String> queryParams(String url, String query) {
    Map<String, String> params = new LinkedHashMap<>();
    for (String pair : query.split("&")) {
      if (pair.isEmpty()) continue;
      int eq = pair.indexOf('=');
      if (eq <= 0) throw malformed(url, "a query parameter has no value (form: NAME=VALUE)");
      params.put(decode(url, pair.substring(0, eq)), decode(url, pair.substring(eq + 1)));
    }
    return params;
  }

  private static int indexOfAny(String s, String chars) {
    for (int i = 0; i < s.length(); i++) if (chars.indexOf(s.charAt(i)) >= 0) return i;
    return s.length();
  }

  /** host:port whose port is not a number (and not an IPv6 literal): maybe user:password with its '@' further on. */
  private static boolean nonNumericPort(String authority) {
    int colon = authority.lastIndexOf(':');
    return colon >= 0 && !authority.startsWith("[") && !authority.substring(colon + 1).matches("\\d*");
  }

  /** The port's value is never echoed: when the URL is mangled it may be a piece of the password. */
  private static int port(String url, String s) {
    try {
      int p = Integer.parseInt(s);
      if (p < 1 || p > 65535) throw new NumberFormatException();
      return p;
    } catch (NumberFormatException e) {
      throw malformed(url, "the port is not a number between 1 and 65535");
    }
  }

  /** Percent-decoding as libpq does it: '+' stays '+' (it is not a space outside HTML forms). */
  private static String decode(String url, String s) {
    try {
      return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw malformed(url, "it has an invalid percent-encoding (write '%' as %25)");
    }
  }

  private static DbException malformed(String url, String why) {
    return new DbException(DbException.Kind.CONFIG, "malformed database URL " + redactUrl(url) + ": " + why);
  }

  /**
   * A URL, or what was meant as one, with everything that could be a password masked, whatever its
   * shape and even when it does not parse: all from the scheme (or the start, without one) to the
   * last '@' but the user name, the value of every *password= parameter, and a port that is not a
   * number (a password whose '@host' is missing).
   */
  static String redactUrl(String url) {
    if (url == null) return null;
    int start = url.indexOf("://");
    start = start >= 0 ? start + 3 : 0;
    int at = url.lastIndexOf('@');
    String s;
    if (at >= start) {
      String info = url.substring(start, at);
      int colon = info.indexOf(':');
      String user = colon >= 0 ? info.substring(0, colon) : info;
      boolean plain = user.matches("[^/?#&=\\s]*");
      s = url.substring(0, start) + (plain ? user + (colon >= 0 ? ":***" : "") : "***") + "@" + url.substring(at + 1);
    } else {
      int end = start + indexOfAny(url.substring(start), "/?#");
      String authority = url.substring(start, end);
      int colon = authority.lastIndexOf(':');
      s = nonNumericPort(authority) ? url.substring(0, start + colon + 1) + "***" + url.substring(end) : url;
    }
    return URL_PASSWORD_PARAM.matcher(s).replaceAll("$1***");
  }

  // Free text: from a scheme's user name to the last '@' of the line, so a raw '@' or a space in a
  // password is covered too (masking a little more than needed is the safe side).
  private static final Pattern USERINFO = Pattern.compile("(\\w+://[^:/?#@\\s]*):[^\\n]*@");
  private static final Pattern PASSWORD_PARAM = Pattern.compile("(?i)(password=)[^&\\s]*");
  private static final Pattern URL_PASSWORD_PARAM = Pattern.compile("(?i)(password=)[^&#]*");

  /** Removes passwords from any text that may hold a URL (userinfo and password= parameters). */
  static String redact(String text) {
    if (text == null) return null;
    String s = USERINFO.matcher(text).replaceAll("$1:***@");
    return PASSWORD_PARAM.matcher(s).replaceAll("$1***");
  }

  /** The same URL (any of the three forms, query kept) naming another database on that server. */
  static String withDatabase(String url, String database) {
    int scheme = url.indexOf("://") + 3;
    int q = url.indexOf('?', scheme);
    String base = q >= 0 ? url.substring(0, q) : url, query = q >= 0 ? url.substring(q) : "";
    int slash = base.indexOf('/', Math.max(scheme, base.lastIndexOf('@') + 1)); // after any '/' of a password
    return (slash >= 0 ? base.substring(0, slash) : base) + "/" + database + query;
  }

  /** Removes one known secret wherever it appears (server messages can echo input). */
  static String scrub(String text, String secret) {
    if (text == null) return null;
    String s = redact(text);
    return secret == null || secret.isEmpty() ? s : s.replace(secret, "***");
  }

  /**
   * scrub, but `keep` (what the URL shows anyway: host:port/database, the user) stays as it is: with devdb's
   * kodiai:kodiai@.../kodiai the password is also the database's name, which a message must still name.
   */
  static String scrubKeeping(String text, String secret, String... keep) {
    if (text == null || secret == null || secret.isEmpty()) return scrub(text, secret);
    // longest first; never a piece of the secret (it would unmask the rest)
    List<String> kept = java.util.Arrays.stream(keep)
        .filter(k -> k != null && !k.isEmpty() && (k.equals(secret) || !secret.contains(k)))
        .sorted(java.util.Comparator.comparingInt(String::length).reversed()).toList();
    String s = text;
    for (int i = 0; i < kept.size(); i++) s = s.replace(kept.get(i), "\0" + (char) ('\uE000' + i) + "\0");
    s = scrub(s, secret);
    for (int i = 0; i < kept.size(); i++) s = s.replace("\0" + (char) ('\uE000' + i) + "\0", kept.get(i));
    return s;
  }

  // ------------------------------------------------------------- connecting

  /** One unpooled connection for short CLI runs: no pool threads, one round trip fewer. */
  static Connection open(String url) { return open(parse(url), Settings.fromEnv(System.getenv())); }

  static Connection open(Target t, Settings s) {
    try {
      return new VectorDataSource(t, s).getConnection();
    } catch (SQLException e) {
      throw translate(t, e, s);
    }
  }

  /**
   * True when `c` goes through a connection pooler (PgBouncer and the like), which then may run
   * each transaction on another server connection. A pooler answers the login itself and hands
   * the client a made-up process id (BackendKeyData, for cancel requests), while PostgreSQL hands
   * its own: so the id from the login differs from the pg_backend_pid() the server reports. A
   * plain TCP forward (Docker port, SSH tunnel) passes the real one through. One round trip.
   */
  static boolean throughPooler(Connection c) throws SQLException {
    int fromLogin = c.unwrap(org.postgresql.PGConnection.class).getBackendPID();
    try (var st = c.createStatement(); var rs = st.executeQuery("SELECT pg_backend_pid()")) {
      rs.next();
      return rs.getInt(1) != fromLogin;
    }
  }

  /** pgjdbc properties for a target: credentials, timeouts, session limits, URL parameters. */
  static Properties properties(Target t, Settings s) {
    Properties p = new Properties();
    tls(t.params(), p);
    t.params().forEach((k, v) -> {
      switch (k) { // libpq names that pgjdbc spells differently
        case "connect_timeout" -> p.setProperty("connectTimeout", v);
        case "application_name" -> p.setProperty("ApplicationName", v);
        case "sslmode", "sslrootcert", "sslfactory" -> { } // tls() decided them
        default -> p.setProperty(k, v);
      }
    });
    if (t.user() != null) p.setProperty("user", t.user());
    if (t.password() != null) p.setProperty("password", t.password());
    p.putIfAbsent("connectTimeout", String.valueOf(Math.max(1, (s.connectTimeoutMs + 999) / 1000)));
    p.putIfAbsent("loginTimeout", p.getProperty("connectTimeout"));
    p.putIfAbsent("ApplicationName", s.applicationName);
    // Unnamed statements only: a transaction pooler runs each transaction on any server
    // connection, where pgjdbc's named ones (after 5 executions) do not exist or clash
    // ("prepared statement S_1 already exists", measured through PgBouncer 1.18). With
    // plan_cache_mode = force_custom_plan (migration 006) they would save only the parse.
    p.putIfAbsent("prepareThreshold", "0");
    // Only explicit overrides, ours first: for a setting given twice the server keeps the last,
    // so the URL's own `options` win.
    StringBuilder mine = new StringBuilder();
    s.sessionOverrides().forEach((k, v) ->
        mine.append(mine.length() > 0 ? " " : "").append("-c ").append(k).append('=').append(v));
    String theirs = p.getProperty("options");
    String all = (mine + " " + (theirs == null ? "" : theirs)).trim();
    if (all.isEmpty()) p.remove("options"); else p.setProperty("options", all);
    return p;
  }

  // pgjdbc logs a refused certificate through java.util.logging at SEVERE (one stderr line per failure)
  // before it throws; the exception says the same and translate() turns it into the one line a command
  // prints. Kept in a field: a logger nobody references may be collected, level and all.
  private static final Logger PGJDBC_TLS_LOG = Logger.getLogger("org.postgresql.ssl");
  static { PGJDBC_TLS_LOG.setLevel(java.util.logging.Level.OFF); }

  /** Java's own trust store (cacerts, or -Djavax.net.ssl.trustStore), with pgjdbc's host-name check on top. */
  static final String SYSTEM_TRUST_FACTORY = "org.postgresql.ssl.DefaultJavaSSLFactory";

  /**
   * The TLS properties of a URL, as libpq reads it and then some: sslmode and sslrootcert pass to pgjdbc;
   * `sslrootcert=system` (libpq 16's word, which postgres.js also reads as verify-full) means Java's
   * trust store and makes verify-full the default mode. A verifying mode without sslrootcert uses
   * ~/.postgresql/root.crt when it exists (libpq's rule), else Java's trust store, which holds Azure's
   * roots (pgjdbc alone would fail for want of that file). A named root file must be readable.
   */
  static void tls(Map<String, String> params, Properties p) {
    String mode = params.get("sslmode"), root = params.get("sslrootcert"), factory = params.get("sslfactory");
    if ("system".equals(root)) {
      if (mode == null) mode = "verify-full";
      root = null;
      if (factory == null) factory = SYSTEM_TRUST_FACTORY;
    }
    if (root != null && !java.nio.file.Files.isReadable(java.nio.file.Path.of(root)))
      throw new DbException(DbException.Kind.CONFIG, "sslrootcert " + root + " is not a readable file: give the path of"
          + " the PEM file that holds the CA certificate (or sslrootcert=system for Java's trust store)");
    boolean verifying = "verify-full".equals(mode) || "verify-ca".equals(mode);
    java.nio.file.Path libpqRoot = java.nio.file.Path.of(System.getProperty("user.home"), ".postgresql", "root.crt");
    boolean libpqDefault = java.nio.file.Files.exists(libpqRoot);
    if (verifying && root == null && factory == null && !libpqDefault) factory = SYSTEM_TRUST_FACTORY;
    if (mode != null) p.setProperty("sslmode", mode);
    if (root != null) p.setProperty("sslrootcert", root);
    if (factory != null) p.setProperty("sslfactory", factory);
  }

  /** A refused TLS handshake as one line that names the cause and the fix; null when `raw` is not one. */
  private static DbException tlsFailure(Target t, String where, String raw, Throwable e) {
    String mode = t.params().getOrDefault("sslmode", "verify-full");
    if (raw.contains("could not be verified by hostnameverifier"))
      return new DbException(DbException.Kind.TLS_HOST_NAME, "cannot connect to " + where + ": the server's TLS"
          + " certificate is not for host " + t.host() + " (sslmode=" + mode + " checks the name): connect with a host"
          + " name the certificate names (Azure: SERVER.postgres.database.azure.com, not an IP address or another"
          + " alias)", e);
    if (raw.contains("PKIX path") || raw.contains("unable to find valid certification path")
        || raw.contains("does not chain") || raw.contains("signature check failed"))
      return new DbException(DbException.Kind.TLS_UNTRUSTED, "cannot connect to " + where + ": the server's TLS"
          + " certificate is not signed by a trusted CA (sslmode=" + mode + "): put the CA's PEM file in the URL as"
          + " sslrootcert=FILE, or add it to Java's trust store (Azure's roots are there already)", e);
    if (raw.contains("The server does not support SSL"))
      return new DbException(DbException.Kind.TLS_UNAVAILABLE, "cannot connect to " + where + ": the server does"
          + " not offer TLS, and sslmode=" + mode + " requires it: enable ssl on the server, or connect to the right"
          + " one", e);
    return null;
  }

  /** A pgjdbc failure as a one-line, password-free message that says what to do. */
  static DbException translate(Target t, Throwable e) { return translate(t, e, null); }

  /** The same, naming the environment overrides of `s` (may be null) when a pooler refuses them. */
  static DbException translate(Target t, Throwable e, Settings s) {
    String state = e instanceof SQLException se ? String.valueOf(se.getSQLState()) : "";
    String where = t.host() + ":" + t.port() + "/" + t.database();
    String who = t.user() != null ? t.user() : "(no user)";
    String raw = e.getMessage() == null ? "" : e.getMessage();
    DbException tls = tlsFailure(t, where, raw, e);
    if (tls != null) return new DbException(tls.kind, scrubKeeping(tls.getMessage(), t.password(), where, who), e);
    if (raw.contains("unsupported startup parameter")) { // PgBouncer's words, e.g. for `options`
      List<String> vars = s == null ? List.of() : s.overrideVariables();
      String why = vars.isEmpty() ? "remove `options` from the URL" : "unset " + String.join(", ", vars);
      return new DbException(DbException.Kind.CONNECT, scrubKeeping("cannot connect to " + where
          + ": it is a connection pooler that refuses"
          + " session settings in the startup packet (" + firstLine(raw).replaceFirst("^FATAL: *", "") + "): " + why
          + " (the database's own defaults, set by migration 006, apply through a pooler),"
          + " or connect to PostgreSQL directly",
          t.password(), where, who), e);
    }
    String msg = switch (state) {
      case "28P01", "28000" -> "authentication failed for user " + who + " at " + where
          + ": check the user and password in the database URL";
      case "3D000" -> "database \"" + t.database() + "\" does not exist on " + t.host() + ":" + t.port()
          + ": create it or fix the database name in the URL";
      case "08001", "08004", "08006" -> {
        String m = e.getMessage() == null ? "" : e.getMessage();
        if (m.contains("UnknownHost") || (e.getCause() instanceof java.net.UnknownHostException))
          yield "cannot connect to " + where + ": unknown host " + t.host();
        if (m.contains("refused"))
          yield "cannot connect to " + where + ": connection refused (is PostgreSQL running and listening there?)";
        if (m.toLowerCase().contains("timed out") || m.contains("timeout"))
          yield "cannot connect to " + where + ": timed out (host unreachable or firewall; check the host and port)";
        yield "cannot connect to " + where + ": " + firstLine(m);
      }
      default -> "cannot connect to " + where + ": " + firstLine(e.getMessage());
    };
    return new DbException(DbException.Kind.CONNECT, scrubKeeping(msg, t.password(), where, who,
        "database \"" + t.database() + "\""), e);
  }

  static String firstLine(String s) {
    if (s == null) return "";
    int nl = s.indexOf('\n');
    return (nl >= 0 ? s.substring(0, nl) : s).trim();
  }

  /** A DataSource that opens pgjdbc connections and registers pgvector's types on each. */
  static final class VectorDataSource implements DataSource {
    private final Target target;
    private final Properties props;
    private final org.postgresql.Driver driver = new org.postgresql.Driver();

    VectorDataSource(Target t, Settings s) { this.target = t; this.props = properties(t, s); }

    @Override public Connection getConnection() throws SQLException {
      Connection c = driver.connect(target.jdbcUrl(), props);
      if (c == null) throw new SQLException("pgjdbc refused URL " + target.redacted(), "08001");
      try {
        PGvector.registerTypes(c);
      } catch (SQLException e) {
        c.close();
        throw e;
      }
      return c;
    }
    @Override public Connection getConnection(String u, String p) throws SQLException {
      throw new SQLFeatureNotSupportedException();
    }
    @Override public PrintWriter getLogWriter() { return null; }
    @Override public void setLogWriter(PrintWriter out) {}
    @Override public void setLoginTimeout(int seconds) {}
    @Override public int getLoginTimeout() { return 0; }
    @Override public Logger getParentLogger() { return Logger.getLogger("kodiai-db"); }
    @Override public <T> T unwrap(Class<T> iface) throws SQLException { throw new SQLException("not a wrapper"); }
    @Override public boolean isWrapperFor(Class<?> iface) { return false; }
  }
}
