-- kodiai-like 001: its runner's table and one table with an int4 key.
CREATE TABLE IF NOT EXISTS _migrations (
  id serial PRIMARY KEY,
  name text NOT NULL UNIQUE,
  applied_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE k_reviews (id serial PRIMARY KEY, repo text NOT NULL);
