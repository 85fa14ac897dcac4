// Shared source of the importer (//SOURCES importer/TableMap.java): which SQLite file holds
// which tables, what each becomes in PostgreSQL, and in which order they are written
// (parents before the rows that point to them). Column names are the same on both sides
// (docs/schema.md); the types come from the target's catalog (TargetTable), so this map
// holds only what a catalog cannot tell.

import java.util.List;

final class TableMap {
  private TableMap() {}

  /** The two files of a kodiai installation (source-schema.md, "The files on disk"). */
  enum FileKind {
    KNOWLEDGE("--knowledge", "KNOWLEDGE_DB_PATH", "./data/kodiai-knowledge.db", "reviews"),
    TELEMETRY("--telemetry", "TELEMETRY_DB_PATH", "./data/kodiai-telemetry.db", "executions");

    final String option, env, defaultPath;
    final String markerTable; // present in every file of this kind, even the oldest
    FileKind(String option, String env, String defaultPath, String markerTable) {
      this.option = option; this.env = env; this.defaultPath = defaultPath; this.markerTable = markerTable;
    }
    String label() { return name().toLowerCase(); }
  }

  /** One source table and its target; `required`: every file of its kind has it. */
  record Mapping(FileKind file, String source, String target, boolean required) {}

  static final String MEMORIES = "learning_memories";
  static final String VEC0 = "learning_memory_vec";
  static final String EMBEDDING = "embedding"; // the target column the vec0 vectors fill

  /** Write order: reviews before findings, both before feedback_reactions (FKs). */
  static final List<Mapping> TABLES = List.of(
      new Mapping(FileKind.KNOWLEDGE, "reviews", "reviews", true),
      new Mapping(FileKind.KNOWLEDGE, "findings", "findings", true),
      new Mapping(FileKind.KNOWLEDGE, "suppression_log", "suppression_log", true),
      new Mapping(FileKind.KNOWLEDGE, "global_patterns", "global_patterns", true),
      new Mapping(FileKind.KNOWLEDGE, "feedback_reactions", "feedback_reactions", false),
      new Mapping(FileKind.KNOWLEDGE, "run_state", "run_state", false),
      new Mapping(FileKind.KNOWLEDGE, "author_cache", "author_cache", false),
      new Mapping(FileKind.KNOWLEDGE, "dep_bump_merge_history", "dep_bump_merge_history", false),
      new Mapping(FileKind.KNOWLEDGE, "review_checkpoints", "review_checkpoints", false),
      // The learning store "fails open": without sqlite-vec it created neither table.
      new Mapping(FileKind.KNOWLEDGE, MEMORIES, MEMORIES, false),
      new Mapping(FileKind.TELEMETRY, "executions", "telemetry_events", true),
      new Mapping(FileKind.TELEMETRY, "rate_limit_events", "rate_limit_events", false),
      new Mapping(FileKind.TELEMETRY, "retrieval_quality", "retrieval_quality_events", true),
      new Mapping(FileKind.TELEMETRY, "resilience_events", "resilience_events", false));

  static List<Mapping> of(FileKind kind) { return TABLES.stream().filter(m -> m.file() == kind).toList(); }

  /** Tables of a file that are not data: SQLite's own and sqlite-vec's shadow tables (read by Vec0Reader). */
  static boolean isInternal(String table) {
    return table.startsWith("sqlite_") || table.equals(VEC0) || table.startsWith(VEC0 + "_");
  }

  /** The migration that holds every target table and column the import writes (005 makes long titles fit). */
  static final int REQUIRED_VERSION = 5;
}
