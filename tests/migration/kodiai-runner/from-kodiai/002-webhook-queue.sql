-- kodiai's webhook_queue to ours: a bigint key, no second index on it.
ALTER TABLE webhook_queue ALTER COLUMN id TYPE bigint;
DROP INDEX IF EXISTS idx_webhook_queue_id;
