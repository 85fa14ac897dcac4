// Issue 23, the online conversions of kodiai's review comments and wiki pages (migrations/from-kodiai/005 and 006,
// for our 021 and 022): kodiai's tables as its runner leaves them (bench/KodiaiFixtureReviewWiki), with edge rows,
// become exactly what a database of ours migrated to 022 has (catalog), every row kept (KodiaiAdoption's per-table
// checksums: float32 vectors compared as the halfvec they become), kodiai's sequences continued, the halfvec
// columns PLAIN; run twice changes nothing; a row our CHECKs refuse stops it before anything changed, and one the
// bot writes during the conversion stops it at its VALIDATE with nothing swapped; a run cut at any kind of
// statement resumes; `up` converts both and stops at the next migration without a conversion. Run as the runner
// runs a no-transaction conversion: statement by statement, each committed on its own.

import static org.junit.jupiter.api.Assertions.*;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AdoptReviewWikiTest extends AdoptSupport {
  static final List<String> TABLES = List.of("review_comments", "review_comment_sync_state", "wiki_pages",
      "wiki_sync_state");

  /** A float32 vector per row (or NULL), random (a correlated subquery: one per row). */
  static final String VECTOR = "(SELECT array_agg(random()::real - 0.5) FROM generate_series(1, 1024) WHERE g > 0)"
      + "::vector";

  /**
   * Review comments as the bot writes them, `n` rows: GitHub ids above 2^31, NULLs in every nullable column,
   * vectors NULL and present, a body of 40 kB; the tombstone softDelete writes; an id above 2^31 (kodiai's key is
   * bigserial); the row with the last id the sequence gave deleted (the sequence is ahead of the rows).
   */
  static String reviewComments(int n) {
    return """
        INSERT INTO review_comments (repo, owner, pr_number, pr_title, comment_github_id, thread_id, in_reply_to_id,
          file_path, start_line, end_line, diff_hunk, author_login, author_association, body, chunk_index, chunk_text,
          token_count, embedding, embedding_model, stale, github_created_at, github_updated_at, deleted,
          backfill_batch)
        SELECT 'xbmc/xbmc', 'xbmc', g, CASE WHEN g %% 5 <> 0 THEN 'PR ' || g END, 4153840487 + g / 2,
          'xbmc/xbmc:' || (g / 2), CASE WHEN g %% 3 <> 0 THEN 4153840487 + g END,
          CASE WHEN g %% 4 <> 0 THEN 'xbmc/cores/f' || g || '.cpp' END, CASE WHEN g %% 4 <> 0 THEN g END,
          CASE WHEN g %% 4 <> 0 THEN g + 3 END, CASE WHEN g %% 2 = 0 THEN '@@ -1,3 +1,4 @@' END, 'user' || g %% 7,
          CASE WHEN g %% 2 = 0 THEN 'MEMBER' END,
          CASE WHEN g = 7 THEN repeat('a long body ', 3500) ELSE 'body ' || g END,
          g %% 2, 'chunk ' || g, g * 10, CASE WHEN g %% 6 <> 0 THEN %s END,
          CASE WHEN g %% 6 <> 0 THEN 'voyage-4' END, g %% 9 = 0, now() - g * interval '1 hour',
          CASE WHEN g %% 2 = 0 THEN now() END, false, CASE WHEN g %% 3 = 0 THEN 'batch-1' END
        FROM generate_series(1, %d) g;
        DELETE FROM review_comments WHERE id = (SELECT last_value FROM review_comments_id_seq);
        INSERT INTO review_comments (repo, owner, pr_number, comment_github_id, thread_id, author_login, body,
          chunk_index, chunk_text, token_count, github_created_at, deleted)
          VALUES ('xbmc/xbmc', 'xbmc', 0, 4153840400, 'xbmc/xbmc:deleted:4153840400', 'deleted', 'deleted', 0,
            'deleted', 0, now(), true);
        INSERT INTO review_comments (id, repo, owner, pr_number, comment_github_id, thread_id, author_login, body,
          chunk_text, token_count, github_created_at, embedding)
          SELECT 3000000000, 'o/big', 'o', 2147483647, 9007199254740993, 'o/big:1', 'u', 'b', 'c', 1, now(), %s
          FROM generate_series(1, 1) g;
        INSERT INTO review_comment_sync_state (repo, last_synced_at, last_page_cursor, total_comments_synced,
          backfill_complete) VALUES ('xbmc/xbmc', now(), 'Y3Vyc29yOnYyOpK5', 120000, true),
          ('o/r', NULL, NULL, 0, false);
        """.formatted(VECTOR, n, VECTOR);
  }

  /**
   * Wiki chunks, `n` rows: page and revision ids near 2^31, a title of 3.3 kB, a section anchor of exactly our
   * 2,000 bytes, NULL anchors and levels, vectors NULL and present, language tags empty and not; a sync state row.
   */
  static String wikiPages(int n) {
    return """
        INSERT INTO wiki_pages (page_id, page_title, namespace, page_url, section_heading, section_anchor,
          section_level, chunk_index, chunk_text, raw_text, token_count, embedding, embedding_model, stale,
          last_modified, revision_id, deleted, language_tags)
        SELECT 2147483000 + g / 3, CASE WHEN g = 4 THEN repeat('Long title ', 300) ELSE 'Page ' || g / 3 END,
          CASE WHEN g %% 2 = 0 THEN '' ELSE 'Help' END, 'https://kodi.wiki/view/P' || g,
          CASE WHEN g %% 3 <> 0 THEN 'Heading ' || g END,
          CASE WHEN g = 5 THEN repeat('a', 2000) WHEN g %% 3 <> 0 THEN 'anchor-' || g END,
          CASE WHEN g %% 3 <> 0 THEN 2 END, g %% 3, 'chunk ' || g, 'raw ' || g, g,
          CASE WHEN g %% 5 <> 0 THEN %s END, CASE WHEN g %% 5 <> 0 THEN 'voyage-4' END, g %% 4 = 0,
          CASE WHEN g %% 2 = 0 THEN now() END, CASE WHEN g %% 4 <> 0 THEN 2147483647 - g END, g %% 7 = 0,
          (ARRAY['{}', '{general}', '{cpp,python}'])[g %% 3 + 1]::text[]
        FROM generate_series(1, %d) g;
        DELETE FROM wiki_pages WHERE id = (SELECT last_value FROM wiki_pages_id_seq);
        INSERT INTO wiki_sync_state (source, last_synced_at, last_continue_token, total_pages_synced,
          backfill_complete) VALUES ('https://kodi.wiki', now(), 'apcontinue|x', 4000, false);
        """.formatted(VECTOR, n);
  }

  private static List<List<String>> oursAt22;

  /** The four tables' catalogs on a database of ours migrated to 022 (computed once). */
  static synchronized List<List<String>> ours() throws Exception {
    if (oursAt22 == null) {
      List<List<String>> out = new ArrayList<>();
      withDatabase("adoptrw22ours", url -> {
        Migrations.run(url, dir, 22);
        try (Connection c = DbClient.open(url)) {
          for (String t : TABLES) out.add(AdoptStateTablesTest.catalogOf(c, t));
        }
      });
      oursAt22 = out;
    }
    return oursAt22;
  }

  static List<List<String>> catalogs(Connection c) throws SQLException {
    List<List<String>> out = new ArrayList<>();
    for (String t : TABLES) out.add(AdoptStateTablesTest.catalogOf(c, t));
    return out;
  }

  /** from-kodiai/005 (our 021), then 006 (our 022), as `up` runs them. */
  static void convert(Connection c) throws SQLException {
    AdoptSliceATablesTest.convertStatementByStatement(c, 21);
    AdoptSliceATablesTest.convertStatementByStatement(c, 22);
  }

  static Map<String, KodiaiAdoption.TableSum> sums(Connection c) throws SQLException {
    return KodiaiAdoption.sums(c, TABLES);
  }

  static String one(Statement st, String sql) throws SQLException { return AdoptSliceATablesTest.one(st, sql); }

  /** The next id kodiai's sequence of `table` would give. */
  static long nextOfSequence(Statement st, String table) throws SQLException {
    return Long.parseLong(one(st, "SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM "
        + table + "_id_seq"));
  }

  /** The four tables' files and their indexes' identities: a rewrite or a rebuild changes them. */
  static final String BUILT = "SELECT string_agg(c.oid || ':' || c.relfilenode, ' ' ORDER BY c.relname)"
      + " FROM pg_class c LEFT JOIN pg_index i ON i.indexrelid = c.oid WHERE c.relname IN ('review_comments',"
      + " 'review_comment_sync_state', 'wiki_pages', 'wiki_sync_state') OR i.indrelid IN ('review_comments'::regclass,"
      + " 'wiki_pages'::regclass, 'review_comment_sync_state'::regclass, 'wiki_sync_state'::regclass)";

  static final String RC_INSERT = "INSERT INTO review_comments (repo, owner, pr_number, comment_github_id, thread_id,"
      + " author_login, body, chunk_text, token_count, github_created_at, embedding) VALUES ('n/r', 'n', 1, 1, 'n/r:1',"
      + " 'u', 'b', 'c', 1, now(), array_fill(0.5, ARRAY[1024])::real[]::vector) RETURNING id";
  static final String WIKI_INSERT = "INSERT INTO wiki_pages (page_id, page_title, page_url, chunk_text, raw_text,"
      + " token_count) VALUES (1, 't', 'u', 'c', 'r', 1) RETURNING id";

  @Test
  void reviewCommentsAndWikiPagesBecomeOur021And022EveryRowKeptAndTwice() throws Exception {
    List<List<String>> ours = ours();
    withDatabase("adoptrw", url -> {
      kodiaiDatabase(url, 5);
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        st.execute(reviewComments(60));
        st.execute(wikiPages(60));
        var before = sums(c);
        assertEquals(61, before.get("review_comments").rows(), before.toString());
        long nextRc = nextOfSequence(st, "review_comments"), nextWiki = nextOfSequence(st, "wiki_pages");
        long nextRcs = nextOfSequence(st, "review_comment_sync_state");
        convert(c);
        assertSameRows(before, sums(c));
        assertEquals(ours, catalogs(c), "as our 021 and 022 create them");
        assertEquals("p p", one(st, "SELECT string_agg(attstorage::text, ' ' ORDER BY attrelid::regclass::text)"
            + " FROM pg_attribute WHERE attname = 'embedding' AND attrelid IN ('review_comments'::regclass,"
            + " 'wiki_pages'::regclass)"), "the halfvec columns stored inline (PLAIN), as ours");
        String built = one(st, BUILT);
        convert(c);
        assertEquals(ours, catalogs(c), "run again: nothing changes");
        assertEquals(built, one(st, BUILT), "run again: no table rewritten, no index built again");
        assertSameRows(before, sums(c));
        assertEquals(nextRc, Long.parseLong(one(st, RC_INSERT)), "the identity continues kodiai's sequence");
        assertEquals(nextWiki, Long.parseLong(one(st, WIKI_INSERT)), "the identity continues kodiai's sequence");
        assertEquals(nextRcs, Long.parseLong(one(st, "INSERT INTO review_comment_sync_state (repo) VALUES ('n/r')"
            + " RETURNING id")), "the identity continues kodiai's sequence");
        assertEquals(String.valueOf(nextRc), one(st, "SELECT id FROM review_comments ORDER BY embedding <=>"
            + " array_fill(0.5, ARRAY[1024])::real[]::vector LIMIT 1"), "the bot's float32 query, unchanged");
        assertEquals("{}", one(st, "SELECT language_tags FROM wiki_pages WHERE id = " + nextWiki));
      }
    });
  }

  @Test
  void aRowOurChecksRefuseStopsTheConversionBeforeAnythingChanged() throws Exception {
    withDatabase("adoptrwbad", url -> {
      kodiaiDatabase(url, 5);
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        st.execute(reviewComments(20));
        st.execute(wikiPages(20));
        st.execute("UPDATE review_comments SET start_line = -1 WHERE id = 3");
        st.execute("UPDATE wiki_pages SET language_tags = NULL WHERE id = 4");
        List<String> catalog = snapshot(c);
        var before = sums(c);
        SQLException e = assertThrows(SQLException.class, () -> AdoptSliceATablesTest.convertStatementByStatement(c,
            21));
        assertTrue(e.getMessage().contains("1 rows of review_comments break review_comments_counts_check"),
            e.getMessage());
        assertEquals(catalog, snapshot(c), "nothing changed");
        assertSameRows(before, sums(c));
        st.execute("UPDATE review_comments SET start_line = 1 WHERE id = 3");
        AdoptSliceATablesTest.convertStatementByStatement(c, 21);
        catalog = snapshot(c);
        e = assertThrows(SQLException.class, () -> AdoptSliceATablesTest.convertStatementByStatement(c, 22));
        assertTrue(e.getMessage().contains("wiki_pages_language_tags_adopt_nn (language_tags IS NOT NULL)"),
            e.getMessage());
        assertEquals(catalog, snapshot(c), "nothing changed");
        st.execute("UPDATE wiki_pages SET language_tags = '{}' WHERE id = 4");
        AdoptSliceATablesTest.convertStatementByStatement(c, 22);
        assertEquals(ours(), catalogs(c));
      }
    });
  }

  @Test
  void aRowTheBotWritesMeanwhileThatOurCheckRefusesStopsItAtItsValidateNothingSwapped() throws Exception {
    withDatabase("adoptrwlate", url -> {
      kodiaiDatabase(url, 5);
      try (Connection c = DbClient.open(url); Statement st = c.createStatement()) {
        st.execute(reviewComments(20));
        List<MigrationSource.Statement> all = MigrationSource.split(AdoptSliceATablesTest.conversionOf(21));
        int k = indexOf(all, "SELECT pg_temp.add_check('review_comments'");
        for (var s : all.subList(0, k)) st.execute(s.sql());
        st.execute("INSERT INTO review_comments (repo, owner, pr_number, comment_github_id, thread_id, author_login,"
            + " body, chunk_text, token_count, github_created_at) VALUES ('o/r', 'o', 1, 5, 't', 'u', 'b', 'c', -4,"
            + " now())");
        SQLException e = assertThrows(SQLException.class, () -> {
          for (var s : all.subList(k, all.size())) st.execute(s.sql());
        });
        assertTrue(e.getMessage().contains("review_comments_counts_check"), e.getMessage());
        assertEquals("vector(1024) false", one(st, "SELECT format_type(atttypid, atttypmod) || ' ' || (SELECT"
            + " convalidated FROM pg_constraint WHERE conname = 'review_comments_counts_check') FROM pg_attribute"
            + " WHERE attrelid = 'review_comments'::regclass AND attname = 'embedding'"),
            "nothing swapped; the CHECK left NOT VALID (new writes are checked)");
        st.execute("DELETE FROM review_comments WHERE token_count < 0");
        AdoptSliceATablesTest.convertStatementByStatement(c, 21);
        assertEquals(ours().get(0), AdoptStateTablesTest.catalogOf(c, "review_comments"));
      }
    });
  }

  static int indexOf(List<MigrationSource.Statement> all, String text) {
    for (int k = 0; k < all.size(); k++) if (all.get(k).sql().contains(text)) return k;
    throw new AssertionError("no statement with " + text);
  }

  @Test
  void aConversionCutAtAnyKindOfStatementResumes() throws Exception {
    String tpl = FreshDatabase.create("adoptrwtpl");
    try {
      String tplUrl = FreshDatabase.urlFor(tpl);
      kodiaiDatabase(tplUrl, 5);
      Map<String, KodiaiAdoption.TableSum> before;
      try (Connection c = DbClient.open(tplUrl); Statement st = c.createStatement()) {
        st.execute(reviewComments(2500)); // two batches of 2,000
        st.execute(wikiPages(300));
        before = sums(c);
      }
      List<AdoptResumeTest.Cut> all = new ArrayList<>();
      for (int v : new int[] {21, 22}) {
        int i = 0;
        for (var s : MigrationSource.split(AdoptSliceATablesTest.conversionOf(v))) {
          all.add(new AdoptResumeTest.Cut(String.valueOf(v), i++, s.sql()));
        }
      }
      // the batches, the set-aside float32 index's concurrent drop, a VALIDATE, the check and swap, a
      // concurrent HNSW build (left INVALID), wiki's NOT NULL proof
      List<Integer> cuts = List.of(AdoptResumeTest.find(all, "CALL pg_temp.prepare('review_comments'"),
          AdoptResumeTest.find(all, "DROP INDEX CONCURRENTLY IF EXISTS idx_review_comments_embedding_hnsw_kodiai"),
          AdoptResumeTest.find(all, "ALTER TABLE review_comments VALIDATE CONSTRAINT"),
          AdoptResumeTest.find(all, "CALL pg_temp.swap('review_comments'"),
          AdoptResumeTest.find(all, "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_review_comments_embedding_hnsw"),
          AdoptResumeTest.find(all, "ALTER TABLE wiki_pages VALIDATE CONSTRAINT wiki_pages_language_tags_adopt_nn"));
      for (int k : cuts) {
        String db = AdoptResumeTest.copyOf(tpl, "adoptrwcut" + k);
        try (Connection c = DbClient.open(FreshDatabase.urlFor(db))) {
          AdoptResumeTest.runUpTo(FreshDatabase.urlFor(db), all, k);
          convert(c);
          assertSameRows(before, sums(c));
          assertEquals(ours(), catalogs(c), "resumed after a cut in: " + all.get(k).sql().lines().findFirst());
        } finally {
          FreshDatabase.drop(db);
        }
      }
    } finally {
      FreshDatabase.drop(tpl);
    }
  }

  @Test
  void upConvertsBothWithTheirProofAndStopsAtTheNextMigrationWithoutAConversion() throws Exception {
    withDatabase("adoptrwup", url -> {
      kodiaiDatabase(url, 5);
      MigrateTest.exec(url, reviewComments(30) + wikiPages(30));
      Map<String, KodiaiAdoption.TableSum> before;
      try (Connection c = DbClient.open(url)) { before = sums(c); }
      var up = AdoptMigrateUpTest.migrate(url, dir, "up");
      assertEquals(ExitCode.VALIDATION, up.code(), up.toString());
      for (String f : List.of("021-review-comments.sql by converting kodiai's objects with"
          + " from-kodiai/005-review-comments.sql", "022-wiki-pages.sql by converting kodiai's objects with"
          + " from-kodiai/006-wiki-pages.sql")) {
        assertTrue(up.out().contains("applied " + f), up.toString());
      }
      for (String t : TABLES) {
        assertTrue(up.outLines().stream().anyMatch(l -> l.matches(t + " +\\d+ rows +\\w+ before, +\\d+ rows +\\w+"
            + " after: equal")), t + ": " + up);
      }
      assertEquals(List.of(AdoptMigrateUpTest.stopLine()), up.errLines());
      try (Connection c = DbClient.open(url)) {
        assertSameRows(before, sums(c));
        assertEquals(ours(), catalogs(c));
      }
      assertEquals(List.of("005-review-comments.sql|021-review-comments.sql",
          "006-wiki-pages.sql|022-wiki-pages.sql"), MigrateTest.rows(url, "SELECT name || '|' || provided_by FROM"
          + " _migrations WHERE name IN ('005-review-comments.sql', '006-wiki-pages.sql') ORDER BY name"));
    });
  }
}
