#!/usr/bin/env bash
# Lints every migration file with squawk (npm @squawk-cli/linux-x64, pinned in .ci/squawk/package-lock.json,
# installed into .ci/squawk/node_modules, git-ignored) under the reviewed configurations in
# .ci/squawk/: the files fixed since databases applied them (001, 006, 009) with fixed-files.toml, the
# rest with squawk.toml; transactional files as the runner wraps them (--assume-in-transaction),
# `-- migrate:no-transaction` files statement by statement.
# migrations/from-kodiai/ (the steps that adopt a database of kodiai's own runner, docs/adopt.md) are linted too.
# Exits non-zero on any warning. Run by .ci/run; by hand: bash scripts/lint-migrations.sh
set -euo pipefail
cd "$(dirname "$0")/.."

squawk=.ci/squawk/node_modules/@squawk-cli/linux-x64/bin/squawk
if [ ! -x "$squawk" ]; then
  (cd .ci/squawk && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
fi

fixed=(migrations/001-initial-schema.sql migrations/006-session-defaults.sql migrations/009-hybrid-any-word.sql)
tx=() notx=()
for f in migrations/*.sql migrations/from-kodiai/*.sql; do
  [[ " ${fixed[*]} " == *" $f "* ]] && continue
  # the marker counts among a file's leading comments (docs/migrate.md); these files put it there
  if sed -n '/^[^-]/q;p' "$f" | grep -qix -- '-- migrate:no-transaction'; then notx+=("$f"); else tx+=("$f"); fi
done

status=0
"$squawk" --reporter gcc --config .ci/squawk/fixed-files.toml --assume-in-transaction "${fixed[@]}" || status=1
"$squawk" --reporter gcc --config .ci/squawk/squawk.toml --assume-in-transaction "${tx[@]}" || status=1
"$squawk" --reporter gcc --config .ci/squawk/squawk.toml --no-assume-in-transaction "${notx[@]}" || status=1
if [ "$status" -eq 0 ]; then echo "lint-migrations: squawk $("$squawk" --version | cut -d' ' -f2): no warning in ${#fixed[@]} + ${#tx[@]} + ${#notx[@]} files"; fi
exit "$status"
