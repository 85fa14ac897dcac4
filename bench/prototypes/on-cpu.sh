#!/usr/bin/env bash
# The server's on-CPU time per statement, by hand (docs/retrieval.md, "The owner query"): runs SQL
# N times in one psql session (after a warm pass of the same N), reading the backend's
# /proc/self/schedstat before and after through pg_read_file (a superuser of a server on this
# machine: a kept `bench retrieval --keep` scratch database), minus a control pass that only
# fetches the vectors. In SQL, :'v' is a query vector as '[...]' text: the halfvec of every
# 997th memory, so the statement must cast it as the bot does (:'v'::vector).
#   bench/prototypes/on-cpu.sh "$URL" "SELECT ... ORDER BY m.embedding <=> :'v'::vector LIMIT 10" [N]
set -euo pipefail
url=$1 sql=$2 n=${3:-40}

script() {
  echo "CREATE TEMP TABLE IF NOT EXISTS qv AS SELECT row_number() OVER (ORDER BY id) AS i, embedding::text AS v"
  echo "  FROM learning_memories WHERE id % 997 = 1;"
  for pass in warm measured; do
    [ "$pass" = measured ] && echo "SELECT 'start ' || split_part(pg_read_file('/proc/self/schedstat'), ' ', 1);"
    for i in $(seq 1 "$n"); do
      echo "SELECT v FROM qv WHERE i = $i \\gset"
      echo "$1 \\g /dev/null"
    done
    [ "$pass" = measured ] && echo "SELECT 'end ' || split_part(pg_read_file('/proc/self/schedstat'), ' ', 1);"
  done
}

# nanoseconds on a CPU for the measured pass of $1
on_cpu() {
  script "$1" | psql "$url" -X -q -At -v ON_ERROR_STOP=1 -f - | awk '/^start /{s=$2} /^end /{print $2 - s}'
}

control=$(on_cpu "SELECT 1") total=$(on_cpu "$sql")
awk -v c="$control" -v t="$total" -v n="$n" \
  'BEGIN { printf "on-CPU %.2f ms per statement (control %.2f ms), %d runs\n", (t - c) / n / 1e6, c / n / 1e6, n }'
