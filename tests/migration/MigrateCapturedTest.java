import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * migrate prints through picocli's writers only: runs side by side (no database: `new` and `kodiai-drift`)
 * each keep their own output and their own failure kind, with no lock around them.
 */
@Fast
class MigrateCapturedTest {
  @TempDir Path dir;

  @Test void runsSideBySideKeepTheirOwnOutputAndKind() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Captured>> runs = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        Path folder = Files.createDirectories(dir.resolve("m" + i));
        String[] args = i % 2 == 0 ? new String[] {"new", "Bad Name " + i, "--dir", folder.toString()}
            : new String[] {"new", "name-" + i, "--dir", folder.toString()};
        runs.add(pool.submit((Callable<Captured>) () -> Captured.run(migrate.commandLine(), args)));
      }
      for (int i = 0; i < runs.size(); i++) {
        Captured c = runs.get(i).get();
        if (i % 2 == 0) {
          assertEquals(new MigrationException.BadName("Bad Name " + i), c.kind(), c.toString());
          assertEquals(ExitCode.USAGE, c.code());
          assertEquals(1, c.err().lines().count(), "its own line only: " + c);
          assertEquals("", c.out());
        } else {
          assertNull(c.kind(), c.toString());
          Path up = dir.resolve("m" + i).resolve("001-name-" + i + ".sql");
          assertEquals("created " + up + "\ncreated " + dir.resolve("m" + i).resolve("001-name-" + i + ".down.sql")
              + "\n", c.out(), "its own files only");
          assertEquals("", c.err());
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test void kodiaiDriftOnAFolderThatIsNotThereIsAUsageKind() {
    Captured c = Captured.run(migrate.commandLine(), "kodiai-drift", dir.resolve("nowhere").toString(),
        "--dir", dir.toString());
    assertEquals(new MigrationException.NotKodiaiFolder(dir.resolve("nowhere").toString(), false), c.kind());
    assertEquals(ExitCode.USAGE, c.code());
  }
}
