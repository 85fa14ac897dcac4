// Shared source (//SOURCES pool/DbPool.java): a HikariCP pool of DbClient connections,
// for long-running clients. Kept apart from DbClient.java so that scripts which open one
// connection and exit (migrate, devdb, schema-check) do not compile or load HikariCP.
// Its defaults (DATABASE_POOL_MAX, DATABASE_IDLE_TIMEOUT_MS, ...) live in DbClient.Settings.

//DEPS com.zaxxer:HikariCP:6.3.3
//DEPS org.slf4j:slf4j-nop:2.0.20
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;

final class DbPool implements AutoCloseable {
  private final HikariDataSource pool;
  final DbClient.Target target;
  private final DbClient.Settings settings;

  private DbPool(HikariDataSource pool, DbClient.Target target, DbClient.Settings settings) {
    this.pool = pool;
    this.target = target;
    this.settings = settings;
  }

  /** A pool on DATABASE_URL. */
  static DbPool connect() { return connect(System.getenv("DATABASE_URL")); }

  static DbPool connect(String url) { return connect(url, DbClient.Settings.fromEnv(System.getenv())); }

  static DbPool connect(String url, DbClient.Settings settings) {
    DbClient.Target t = DbClient.parse(url);
    HikariConfig cfg = new HikariConfig();
    cfg.setDataSource(new DbClient.VectorDataSource(t, settings));
    cfg.setMaximumPoolSize(settings.poolMax);
    cfg.setMinimumIdle(0);
    cfg.setIdleTimeout(Math.max(settings.idleTimeoutMs, 10_000)); // Hikari's floor is 10 s
    cfg.setConnectionTimeout(Math.max(settings.connectTimeoutMs, 250));
    cfg.setInitializationFailTimeout(-1); // connect lazily; errors surface on first use, translated
    cfg.setPoolName("kodiai-db");
    return new DbPool(new HikariDataSource(cfg), t, settings);
  }

  /** A connection from the pool, with pgvector's types registered. */
  Connection connection() {
    try {
      return pool.getConnection();
    } catch (SQLException e) {
      Throwable cause = e.getCause() instanceof SQLException ? e.getCause() : e;
      throw DbClient.translate(target, cause, settings);
    }
  }

  /** How long an idle connection stays in the pool (DATABASE_IDLE_TIMEOUT_MS, at least Hikari's 10 s). */
  long idleTimeoutMs() { return pool.getIdleTimeout(); }

  @Override public void close() { pool.close(); }
}
