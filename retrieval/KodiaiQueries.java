// Shared source (//SOURCES retrieval/KodiaiQueries.java): the two nearest-memory statements the bot
// (kodiai at 24fba64a, src/knowledge/memory-store.ts) sends, as PostgreSQL receives them from
// postgres.js: each interpolated value is a parameter of its own, the vector as '[...]' text cast
// with ::vector. Kept here in JDBC form (`?`), tokens unchanged (only whitespace differs, which the
// server ignores), so that `bench retrieval` and the tests measure and check exactly the bot's
// contract: no setting sent, no query changed (docs/retrieval.md).

final class KodiaiQueries {
  private KodiaiQueries() {}

  /** retrieveMemories: 1 vector, 2 repo, 3 the same vector, 4 k. */
  static final String RETRIEVE_MEMORIES = "SELECT m.id AS memory_id, m.embedding <=> ?::vector AS distance"
      + " FROM learning_memories m WHERE m.repo = ? AND m.stale = false"
      + " ORDER BY m.embedding <=> ?::vector LIMIT ?";

  /**
   * retrieveMemoriesForOwner: the owner's 5 largest other repos by live memories, then the nearest
   * ceil(k / repos) of each (LATERAL), merged. 1 owner, 2 the repo to leave out, 3 vector, 4 the same
   * vector, 5 k, 6 k.
   */
  static final String RETRIEVE_MEMORIES_FOR_OWNER = "WITH repo_counts AS ("
      + " SELECT repo, COUNT(*) AS cnt FROM learning_memories"
      + " WHERE owner = ? AND repo != ? AND stale = false GROUP BY repo ORDER BY cnt DESC LIMIT 5"
      + " ), active_repos AS ( SELECT repo, cnt, COUNT(*) OVER () AS repo_count FROM repo_counts )"
      + " SELECT candidate.memory_id, candidate.distance FROM active_repos ar CROSS JOIN LATERAL ("
      + " SELECT m.id AS memory_id, m.embedding <=> ?::vector AS distance FROM learning_memories m"
      + " WHERE m.repo = ar.repo AND m.stale = false ORDER BY m.embedding <=> ?::vector"
      + " LIMIT GREATEST(1, CEIL(?::numeric / NULLIF(ar.repo_count, 0)))::int"
      + " ) candidate ORDER BY candidate.distance ASC LIMIT ?";
}
