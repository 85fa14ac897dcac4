// Shared source (//SOURCES azure/ProvisionInputs.java): no dependencies beyond the JDK.
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
* Input validation and small pure helpers of provision.java: names, passwords,
* firewall ranges, the azure.extensions list, DATABASE_URL and the env file.
* Nothing here runs az.
*/
class ProvisionInputs {

  /** One firewall rule: its name on the server and its IPv4 range. */
  record Rule(String name, String start, String end) { }

  record Inputs(List<Rule> rules) { }

  static final Set<String> RESERVED_USERS = Set.of("admin", "administrator", "root", "guest", "public",
      "azure_superuser", "azure_pg_admin");
  static final Set<String> TIERS = Set.of("Burstable", "GeneralPurpose", "MemoryOptimized");

  /** A password file holds one line of at most 128 characters; reading stops past this many bytes. */
  static final int MAX_PASSWORD_FILE_BYTES = SecretInput.MAX_FILE_BYTES;

  static AzureException usage(String input, String message) {
    return new AzureException(new AzureException.BadInput(input, message));
  }

  static Inputs validate(String server, String group, String location, String user, String version,
                 String tier, String sku, int storageGb, String database, List<String> allowIps,
                 boolean azureServices, boolean publicInternet, Path envFile,
                 int stepTimeout, int createTimeout) {
    checkNames(server, group, location, user, database);
    checkServerShape(version, tier, sku, storageGb);
    if (stepTimeout < 1 || createTimeout < 1) throw usage("--step-timeout", "timeouts must be at least 1 second");
    if (envFile != null) {
      Path parent = envFile.toAbsolutePath().getParent();
      if (parent == null || !Files.isDirectory(parent)) {
        throw usage("--env-file", "--env-file " + envFile + ": its directory does not exist");
      }
      if (Files.isDirectory(envFile)) throw usage("--env-file", "--env-file " + envFile + " is a directory");
    }
    return new Inputs(rules(allowIps, azureServices, publicInternet));
  }

  /** The names: server, resource group, region, admin user, database. */
  private static void checkNames(String server, String group, String location, String user, String database) {
    if (server == null || server.isBlank()) {
      throw usage("--server-name",
          "--server-name is required (or set KODIAI_AZ_SERVER_NAME): 3-63 lowercase letters, digits and '-'");
    }
    if (!server.matches("[a-z0-9](?:[a-z0-9-]{1,61})[a-z0-9]")) {
      throw usage("--server-name", "invalid --server-name '" + server
          + "': 3-63 lowercase letters, digits and '-', not starting or ending with '-'");
    }
    if (group == null || !group.matches("[-\\w.()]{1,90}") || group.endsWith(".")) {
      throw usage("--resource-group", "invalid --resource-group '" + group
          + "': 1-90 letters, digits, '_', '-', '.', '(', ')', not ending with '.'");
    }
    if (location == null || !location.matches("[a-z0-9]{2,40}")) {
      throw usage("--location", "invalid --location '" + location
          + "': an Azure region name such as eastus or westeurope (lowercase, no spaces)");
    }
    if (user == null || !user.matches("[A-Za-z][A-Za-z0-9_]{0,62}")) {
      throw usage("--admin-user", "invalid --admin-user '" + user
          + "': 1-63 letters, digits and '_', starting with a letter");
    }
    String lower = user.toLowerCase(Locale.ROOT);
    if (RESERVED_USERS.contains(lower) || lower.startsWith("pg_")) {
      throw usage("--admin-user", "invalid --admin-user '" + user
          + "': reserved by Azure (admin, administrator, root, guest, public,"
          + " azure_superuser, azure_pg_admin, and names starting with pg_)");
    }
    if (database == null || !database.matches("[A-Za-z_][A-Za-z0-9_]{0,62}")) {
      throw usage("--database", "invalid --database '" + database
          + "': 1-63 letters, digits and '_', not starting with a digit");
    }
  }

  /** What the server is: PostgreSQL version, tier, compute SKU, storage. */
  private static void checkServerShape(String version, String tier, String sku, int storageGb) {
    if (version == null || !version.matches("1[1-9]")) {
      throw usage("--pg-version", "invalid --pg-version '" + version + "': a PostgreSQL major version such as 17");
    }
    if (!TIERS.contains(tier)) throw usage("--tier", "invalid --tier '" + tier
        + "': one of Burstable, GeneralPurpose, MemoryOptimized");
    if (sku == null || !sku.matches("Standard_[A-Za-z0-9_]{2,40}")) {
      throw usage("--sku", "invalid --sku '" + sku + "': an Azure compute SKU such as Standard_B1ms");
    }
    if (storageGb < 32 || storageGb > 65536) {
      throw usage("--storage-gb", "invalid --storage-gb " + storageGb + ": 32 to 65536 GiB");
    }
  }

  /** The firewall rules asked for, by name (a name asked twice is one rule). */
  private static List<Rule> rules(List<String> allowIps, boolean azureServices, boolean publicInternet) {
    Map<String, Rule> rules = new LinkedHashMap<>();
    for (String spec : allowIps == null ? List.<String>of() : allowIps) {
      if (spec == null || spec.isBlank()) continue;
      Rule r = rule(spec.strip());
      rules.put(r.name(), r);
    }
    if (azureServices) rules.put("kodiai-allow-azure-services",
        new Rule("kodiai-allow-azure-services", "0.0.0.0", "0.0.0.0"));
    if (publicInternet) {
      rules.put("kodiai-allow-public-internet", new Rule("kodiai-allow-public-internet", "0.0.0.0", "255.255.255.255"));
    }
    return List.copyOf(rules.values());
  }

  private static final Pattern CIDR = Pattern.compile("([0-9.]+)/([0-9]{1,2})");

  /** Parses IP, A-B or A/N into a rule; refuses 0.0.0.0 and anything wider than a /8. */
  static Rule rule(String spec) {
    long start, end;
    Matcher m = CIDR.matcher(spec);
    if (m.matches()) {
      int bits = Integer.parseInt(m.group(2));
      if (bits > 32) throw usage("--allow-ip", "invalid --allow-ip '" + spec + "': prefix length must be 0-32");
      long mask = bits == 0 ? 0 : (0xFFFFFFFFL << (32 - bits)) & 0xFFFFFFFFL;
      start = ip(m.group(1), spec) & mask;
      end = start | (~mask & 0xFFFFFFFFL);
    } else if (spec.contains("-")) {
      String[] p = spec.split("-", 2);
      start = ip(p[0].strip(), spec);
      end = ip(p[1].strip(), spec);
    } else {
      start = end = ip(spec, spec);
    }
    if (start > end) throw usage("--allow-ip", "invalid --allow-ip '" + spec + "': the range ends before it starts");
    if (start == 0) {
      throw usage("--allow-ip", "refused --allow-ip '" + spec
          + "': 0.0.0.0 stands for every Azure-hosted address, and 0.0.0.0-255.255.255.255 for"
          + " the whole internet; if that is really meant, pass --allow-all-azure-services or --allow-public-internet");
    }
    if (end - start + 1 > (1L << 24)) {
      throw usage("--allow-ip", "refused --allow-ip '" + spec
          + "': wider than a /8; pass --allow-public-internet if every address is really meant");
    }
    String s = ip(start), e = ip(end);
    String name = "kodiai-" + s.replace('.', '-') + (start == end ? "" : "-to-" + e.replace('.', '-'));
    return new Rule(name, s, e);
  }

  static long ip(String text, String spec) {
    if (!text.matches("(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(?:\\.(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}")) {
      throw usage("--allow-ip", "invalid --allow-ip '" + spec
          + "': expected an IPv4 address (203.0.113.7), a range (A-B) or a CIDR block (A/N)");
    }
    long v = 0;
    for (String part : text.split("\\.")) v = (v << 8) | Long.parseLong(part);
    return v;
  }

  static String ip(long v) {
    return ((v >> 24) & 255) + "." + ((v >> 16) & 255) + "." + ((v >> 8) & 255) + "." + (v & 255);
  }

  /**
  * The admin password: from FILE (wins) or the environment value; null when neither is given.
  * Validated against Azure's rules; messages never include it.
  */
  static String password(Path file, String envValue, String user) {
    SecretInput.Secret given;
    try {
      given = SecretInput.read(file, "--admin-password-file", envValue, "KODIAI_PG_ADMIN_PASSWORD", "admin password");
    } catch (Failure f) {
      throw usage("admin password", f.getMessage());
    }
    if (given == null) return null;
    String pw = given.value(), source = given.source();
    if (pw.length() < 8 || pw.length() > 128) {
      throw usage("admin password", "the admin password from " + source
          + " must be 8-128 characters long (it has " + pw.length() + ")");
    }
    int classes = (pw.chars().anyMatch(Character::isUpperCase) ? 1 : 0)
        + (pw.chars().anyMatch(Character::isLowerCase) ? 1 : 0)
        + (pw.chars().anyMatch(Character::isDigit) ? 1 : 0)
        + (pw.chars().anyMatch(c -> !Character.isLetterOrDigit(c)) ? 1 : 0);
    if (classes < 3) {
      throw usage("admin password", "the admin password from " + source
          + " is too weak: it needs characters of three of these kinds:"
          + " uppercase, lowercase, digits, symbols");
    }
    if (user != null && user.length() >= 3 && pw.toLowerCase(Locale.ROOT).contains(user.toLowerCase(Locale.ROOT))) {
      throw usage("admin password", "the admin password from " + source
          + " must not contain the admin user name");
    }
    return pw;
  }

  /** 32 characters, all four kinds, only URL-safe symbols (so DATABASE_URL needs no escaping). */
  static String generatePassword() { return SecretInput.generate(); }

  /**
   * The azure.extensions value with VECTOR in it: unchanged if it is there, else every entry kept and VECTOR appended.
   */
  static String withVector(String current) {
    List<String> entries = new ArrayList<>();
    for (String e : current.split(",")) if (!e.isBlank()) entries.add(e.strip());
    if (entries.stream().anyMatch(e -> e.equalsIgnoreCase("VECTOR"))) return current;
    entries.add("VECTOR");
    return String.join(",", entries);
  }

  /**
  * postgresql://USER:PASSWORD@HOST:5432/DB?sslmode=verify-full, with {@code <password>} when password is null.
  * verify-full: the server's certificate must chain to a trusted root and name HOST. Azure's chain to
  * DigiCert Global Root G2 / Microsoft RSA Root CA 2017, which Java's and Node's trust stores hold, so
  * the URL needs nothing more (no sslrootcert, which postgres.js would send to the server as a setting).
  */
  static String databaseUrl(String user, String password, String host, String db) {
    return "postgresql://" + pct(user) + ":" + (password == null ? "<password>" : pct(password)) + "@" + host + ":5432/"
        + pct(db) + "?sslmode=verify-full";
  }

  /** DbClient.encode's rule, repeated here on purpose: sourcing DbClient.java would make provision compile pgjdbc. */
  static String pct(String s) {
    StringBuilder sb = new StringBuilder();
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xFF);
      if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
          || "-._~".indexOf(c) >= 0) sb.append(c);
      else sb.append('%').append(String.format("%02X", b & 0xFF));
    }
    return sb.toString();
  }

  static final String ENV_HEADER = "# kodiai database of Azure server ";
  /** The variable provision sets: the admin's URL is the one migrate (and roles, import, indexes) use,
      not the bot's. */
  static final String ENV_VARIABLE = "MIGRATE_DATABASE_URL";

  /**
  * Sets MIGRATE_DATABASE_URL in the env file, owner-only, atomically (secret/EnvFile.java). Only what
  * provision owns changes: its comment line and that line; every other line of an existing file is
  * kept. False when the file already held exactly that (and was owner-only).
  */
  static boolean writeEnvFile(Path file, String url, String server) throws IOException {
    return EnvFile.set(file, ENV_HEADER, ENV_HEADER + server + ", written by provision. Keep this file private.",
        ENV_VARIABLE, url);
  }
}
