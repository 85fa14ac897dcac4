// kodiai's tables of parity slice A with a conversion of their own (migrations/from-kodiai/), as kodiai's
// runner leaves them at 24fba64a: keys, defaults, sequences and indexes (KodiaiFixture makes the others from
// columns, types and NOT NULLs only). Kept apart from KodiaiFixture.AS_KODIAI so slice B's tables can be
// added beside it without touching the same lines.

import java.util.Map;

final class KodiaiFixtureQueueComments {
  private KodiaiFixtureQueueComments() {}

  /**
   * webhook_queue: kodiai's 004 (a bigserial key, claimed_at already in 004's CREATE, its two partial indexes),
   * 039 (nothing new on a database built from 004 at 24fba64a) and 047 (error_message, last). ci_check_history:
   * kodiai's 008 (a bigserial key, its one index).
   */
  static final Map<String, String> AS_KODIAI = Map.of("webhook_queue", """
      CREATE TABLE webhook_queue (id bigserial PRIMARY KEY, source text NOT NULL, delivery_id text,
        event_name text, headers jsonb NOT NULL, body text NOT NULL, queued_at timestamptz NOT NULL DEFAULT now(),
        claimed_at timestamptz, processed_at timestamptz, status text NOT NULL DEFAULT 'pending');
      CREATE INDEX idx_webhook_queue_pending ON webhook_queue (status, queued_at) WHERE status = 'pending';
      CREATE INDEX idx_webhook_queue_processing_claimed ON webhook_queue (status, claimed_at)
        WHERE status = 'processing';
      ALTER TABLE webhook_queue ADD COLUMN error_message text
      """, "ci_check_history", """
      CREATE TABLE ci_check_history (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(),
        repo text NOT NULL, check_name text NOT NULL, head_sha text NOT NULL, conclusion text NOT NULL,
        check_suite_id bigint, pr_number integer);
      CREATE INDEX idx_ci_check_history_repo_name ON ci_check_history (repo, check_name, created_at DESC)
      """);
}
