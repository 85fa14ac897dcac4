#!/usr/bin/env bash
# Measures from-kodiai/014-issues.sql (our 053's conversion) on a database kodiai's own runner built and filled
# with DB=<name> (issues and issue_comments with vectors), while a bot-like pgbench writes issues and comments
# (`$1::vector`, double-encoded assignees, lock_timeout 2 s) and reads the nearest issues: prints each statement's
# time, every sampled instant (about every 20 ms) at which the conversion held ACCESS EXCLUSIVE on either table,
# and the bot's transactions and longest latency. Run from the checkout, wrapped in flock /tmp/kodiai-heavy.lock.
# Usage: PGHOST=... PGPORT=... PGUSER=... DB=m53 bash scripts/measure-adopt-issues.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
# the conversion as the runner expands it: the kit in place of its line
python3 - "$out" <<'PY'
import sys
kit = open('migrations/from-kodiai/online-kit.sql').read()
conv = open('migrations/from-kodiai/014-issues.sql').read().replace('-- adopt: online-kit', kit)
open(sys.argv[1] + '/conv.sql', 'w').write('\\timing on\n' + conv)
PY
cat > "$out/bot.sql" <<'SQL'
\set n random(1, 25000)
\set c random(1, 100000)
SET lock_timeout = '2s';
INSERT INTO issues (repo, owner, issue_number, title, body, author_login, assignees, embedding, embedding_model, github_created_at) VALUES ('xbmc/xbmc', 'xbmc', :n, 'bot ' || :n, 'b', 'bot', to_jsonb('["x"]'::text), (SELECT array_agg(random()::real) FROM generate_series(1, 1024))::vector, 'voyage-4', now()) ON CONFLICT (repo, issue_number) DO UPDATE SET title = EXCLUDED.title, assignees = EXCLUDED.assignees, embedding = EXCLUDED.embedding, github_updated_at = now();
INSERT INTO issue_comments (repo, issue_number, comment_github_id, author_login, body, embedding, github_created_at) VALUES ('xbmc/xbmc', :n, 9000000000 + :c, 'bot', 'c', (SELECT array_agg(random()::real) FROM generate_series(1, 1024))::vector, now()) ON CONFLICT (repo, comment_github_id) DO UPDATE SET body = EXCLUDED.body;
SELECT issue_number FROM issues WHERE repo = 'xbmc/xbmc' AND embedding IS NOT NULL ORDER BY embedding <=> (SELECT embedding FROM issues WHERE repo = 'xbmc/xbmc' AND issue_number = :n) LIMIT 5;
SQL
cat > "$out/sample.sql" <<'SQL'
SELECT to_char(clock_timestamp(), 'HH24:MI:SS.MS'), string_agg(l.relation::regclass::text, ',') FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'adopt' AND l.mode = 'AccessExclusiveLock' AND l.granted AND l.locktype = 'relation' AND l.relation::regclass::text IN ('issues', 'issue_comments') HAVING count(*) > 0 \watch 0.02
SQL
uptime
psql -d "$DB" -Atq -f "$out/sample.sql" > "$out/samples" 2>&1 & sampler=$!
pgbench -n -f "$out/bot.sql" -c 2 -j 1 -R 2 -T 100000 -l --log-prefix="$out/bot" "$DB" > "$out/pgbench" 2>&1 & bot=$!
sleep 3
PGAPPNAME=adopt psql -d "$DB" -q -v ON_ERROR_STOP=1 -f "$out/conv.sql" | grep '^Time' | nl
kill "$bot" "$sampler"; wait || true
uptime
echo "ACCESS EXCLUSIVE sampled at:"; cat "$out/samples"
echo "bot transactions, longest latency (ms):"
cat "$out"/bot.* | awk '{n++; if ($3 > m) m = $3} END {print n, m / 1000}'
grep -ci 'error' "$out/pgbench" | sed 's/^/bot errors: /' || true
