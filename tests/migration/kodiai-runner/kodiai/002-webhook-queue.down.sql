DROP TABLE IF EXISTS webhook_queue;
