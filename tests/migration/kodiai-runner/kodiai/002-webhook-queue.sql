CREATE TABLE webhook_queue (id serial PRIMARY KEY, payload text NOT NULL);
CREATE INDEX idx_webhook_queue_id ON webhook_queue (id);
