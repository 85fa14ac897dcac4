// Shared source of the bench command (//SOURCES bench/BenchVocabulary.java): finding
// texts, file paths and full-text queries from a code-review vocabulary. A row's
// cluster picks its topic and its sub-topic a fixed title, so texts of nearby
// embeddings share words, as real findings and their embeddings do.

import java.util.SplittableRandom;

final class BenchVocabulary {
  private BenchVocabulary() {}

  /** Topic phrase, then its distinctive words. */
  static final String[][] TOPICS = {
      {"SQL injection", "query concatenated unsanitized parameterized statement placeholder escaping input"},
      {"missing null check", "null undefined optional dereference guard nullable pointer crash"},
      {"race condition", "concurrent mutex lock thread atomic shared ordering interleaving"},
      {"unbounded retry loop", "retry backoff exponential jitter attempts timeout loop"},
      {"secret logged in plain text", "token secret credential password logged redact leak"},
      {"N+1 query pattern", "query loop batch eager fetch roundtrip database"},
      {"unhandled promise rejection", "promise await async rejection catch unhandled floating"},
      {"off-by-one error", "index boundary length inclusive exclusive loop slice"},
      {"missing input validation", "validate schema payload untrusted request sanitize bounds"},
      {"resource leak", "close handle stream dispose finally socket descriptor"},
      {"inefficient regular expression", "regex backtracking catastrophic pattern anchor greedy"},
      {"hardcoded configuration", "hardcoded constant config environment override magic"},
      {"missing error handling", "error exception swallow ignored propagate throw"},
      {"insecure deserialization", "deserialize untrusted pickle yaml object gadget"},
      {"path traversal", "path traversal filename directory normalize sandbox"},
      {"cross-site scripting", "html escape render template innerhtml sanitize markup"},
      {"weak cryptography", "hash md5 sha1 cipher random entropy salt"},
      {"stale cache entry", "cache invalidate ttl eviction stale memoize"},
      {"blocking call on event loop", "blocking sync event loop readfilesync latency"},
      {"unbounded memory growth", "memory growth unbounded buffer accumulate heap"},
      {"incorrect time zone handling", "timezone utc offset date parsing daylight"},
      {"floating point comparison", "float precision rounding epsilon decimal currency"},
      {"dead code", "unused unreachable dead branch import variable"},
      {"inconsistent naming", "naming convention rename camelcase identifier consistent"},
      {"missing documentation", "docstring comment jsdoc document public explain"},
      {"missing test coverage", "test coverage assertion mock fixture regression"},
      {"improper permission check", "authorization permission role access admin scope"},
      {"webhook signature not verified", "webhook signature hmac verify payload header"},
      {"pagination ignored", "pagination page cursor next truncated limit"},
      {"rate limit not respected", "rate limit throttle quota header retry-after"},
      {"transaction not committed", "transaction commit rollback atomic isolation"},
      {"integer overflow", "overflow integer bigint truncate wraparound"},
      {"duplicated logic", "duplicate copy refactor helper extract shared"},
      {"large function", "function complexity split responsibility nested"},
      {"implicit any type", "type annotation any unknown cast generic inference"},
      {"unsafe shell command", "shell command exec spawn argument injection quote"},
      {"missing index on lookup column", "index lookup scan column slow filter"},
      {"incorrect HTTP status code", "status response http code client server"},
      {"mutable default argument", "default mutable argument shared state"},
      {"locale-dependent formatting", "locale format uppercase lowercase turkish"},
  };

  static final String[] VERBS = {"parse", "load", "fetch", "build", "handle", "render", "resolve", "sync", "compute",
      "validate", "serialize", "merge", "apply", "dispatch", "normalize", "schedule", "upload", "refresh"};
  static final String[] NOUNS = {"Config", "Webhook", "Review", "Comment", "Diff", "Token", "Session", "Payload",
      "Repo", "Commit", "Branch", "Finding", "Summary", "Cache", "Request", "Embedding", "Memory", "Queue", "Check",
          "Patch"};
  static final String[] DIRS = {"src/api", "src/handlers", "src/lib", "src/review", "src/knowledge", "src/jobs",
      "src/github", "src/db", "src/util", "src/execution", "test", "scripts"};
  static final String[] GENERAL = {"consider", "should", "could", "may", "this", "the", "function", "value", "when",
      "before", "after", "instead", "because", "callers", "production", "later", "change", "code", "path", "case",
      "ensure", "avoid", "use", "prefer", "handle", "check", "return", "variable", "module", "behaviour"};

  static String[] words(int cluster) { return TOPICS[cluster % TOPICS.length][1].split(" "); }

  static String identifier(int cluster, int sub) {
    SplittableRandom t = new SplittableRandom(cluster * 7919L + sub);
    return VERBS[t.nextInt(VERBS.length)] + NOUNS[t.nextInt(NOUNS.length)];
  }

  /** The fixed title words of a sub-topic: two topic words and an identifier. */
  static String title(int cluster, int sub) {
    String[] w = words(cluster);
    SplittableRandom t = new SplittableRandom(cluster * 104_729L + sub * 31L + 1);
    int a = t.nextInt(w.length), b = (a + 1 + t.nextInt(w.length - 1)) % w.length;
    return w[a] + " " + w[b] + " " + identifier(cluster, sub);
  }

  static String findingText(int cluster, int sub, SplittableRandom r) {
    String[] w = words(cluster);
    StringBuilder sb = new StringBuilder(TOPICS[cluster % TOPICS.length][0]).append(" in ")
        .append(identifier(cluster, sub)).append(": ").append(title(cluster, sub)).append('.');
    int n = 6 + r.nextInt(10);
    for (int i = 0; i < n; i++) {
      sb.append(' ');
      sb.append(r.nextInt(3) == 0 ? w[r.nextInt(w.length)] : GENERAL[r.nextInt(GENERAL.length)]);
    }
    return sb.append('.').toString();
  }

  static String filePath(int cluster, int sub, SplittableRandom r) {
    SplittableRandom t = new SplittableRandom(cluster * 31L + sub);
    return DIRS[t.nextInt(DIRS.length)] + "/" + identifier(cluster, (sub + r.nextInt(3)) % 20) + ".ts";
  }

  /** What a hybrid search looks for: the title of a new finding (its words OR-ed). */
  static String queryText(int cluster, int sub, SplittableRandom r) {
    return r.nextInt(4) == 0 ? title(cluster, (sub + 1) % 20) : title(cluster, sub);
  }
}
