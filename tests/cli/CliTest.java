import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** Usage errors name the mistyped option but never echo a value that may be a secret. */
@Fast
class CliTest {
  static final String SECRET = "Hunter2-pw";

  @Test void hidesOptionValuesUrlsAndWhatFollowsASecretOption() {
    assertEquals("Unknown option: '--uri=***'",
        Cli.hideValues("Unknown option: '--uri=postgresql://u:" + SECRET + "@h/db'", new String[] {"up", "--uri=postgresql://u:" + SECRET + "@h/db"}));
    assertEquals("Unknown options: '--url', '***'",
        Cli.hideValues("Unknown options: '--url', 'postgresql://u:" + SECRET + "@h/db'", new String[] {"--url", "postgresql://u:" + SECRET + "@h/db"}));
    assertEquals("Unknown options: '--admin-password', '***'",
        Cli.hideValues("Unknown options: '--admin-password', '" + SECRET + "'", new String[] {"--admin-password", SECRET}));
    assertEquals("Unmatched argument at index 1: '***'",
        Cli.hideValues("Unmatched argument at index 1: 'jdbc:postgresql://h/d?password=" + SECRET + "'",
            new String[] {"x", "jdbc:postgresql://h/d?password=" + SECRET}));
  }

  @Test void keepsWhatIsNoSecretSoTyposStayVisible() {
    assertEquals("Unmatched argument at index 0: 'upp'", Cli.hideValues("Unmatched argument at index 0: 'upp'", new String[] {"upp"}));
    assertEquals("Unknown option: '--verbos'", Cli.hideValues("Unknown option: '--verbos'", new String[] {"--verbos"}));
  }

  @Test void migrateUsageErrorHidesAMistypedUrlOption() {
    var r = MigrateTest.cli("up", "--uri=postgresql://kodiai:" + SECRET + "@db.example.com/kodiai");
    assertEquals(2, r.code());
    assertEquals("migrate: error: Unknown option: '--uri=***'\nTry 'migrate up --help' for more information.\n", r.err());
    assertFalse(r.out().contains(SECRET));
  }
}
