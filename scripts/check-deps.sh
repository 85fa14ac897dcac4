#!/usr/bin/env bash
# Lists every //DEPS pin of the checkout and asks Maven which of them have newer releases.
# Usage: scripts/check-deps.sh [--tree]   (--tree: also print the resolved dependency tree, where
# transitive versions, e.g. Testcontainers' commons-compress, show). Needs mvn and Maven Central.
# It changes nothing: update a pin by hand in the one file that holds it (docs/contributing.md).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

pins="$(grep -rhoE '^//DEPS [^ ]+' --include='*.java' "$root" | sed 's#^//DEPS ##' | sort -u)"
dups="$(printf '%s\n' "$pins" | cut -d: -f1,2 | uniq -d)"
if [ -n "$dups" ]; then echo "pinned more than once (with different versions): $dups" >&2; exit 1; fi
printf '%s\n' "$pins" | sed 's/^/pinned: /'

{
  echo '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>'
  echo '<groupId>kodiai-db</groupId><artifactId>pins</artifactId><version>0</version><dependencies>'
  printf '%s\n' "$pins" | awk -F: '{printf "<dependency><groupId>%s</groupId><artifactId>%s</artifactId><version>%s</version></dependency>\n", $1, $2, $3}'
  echo '</dependencies></project>'
} > "$work/pom.xml"

cd "$work"
mvn -q -B org.codehaus.mojo:versions-maven-plugin:2.18.0:display-dependency-updates \
  -Dversions.outputFile="$work/updates.txt" -DoutputEncoding=UTF-8 >/dev/null
if grep -q -- '->' "$work/updates.txt" 2>/dev/null; then
  echo "newer releases (majors and pre-releases included; judge each):"
  grep -- '->' "$work/updates.txt"
else
  echo "every pin is at its newest release"
fi
if [ "${1:-}" = "--tree" ]; then mvn -q -B dependency:tree -DoutputFile="$work/tree.txt" >/dev/null && cat "$work/tree.txt"; fi
