#!/usr/bin/env bash
# Fetches sqlite-vec's loadable extension (vec0.so) for the import tests and the import
# benchmark, which create SQLite files the way kodiai's learning store does: through the
# real extension. The importer itself never needs it (it reads sqlite-vec's shadow tables).
#
# The npm package sqlite-vec-linux-x64 (the build kodiai's lock file resolves on Linux) is
# fetched with `npm pack` into a cache folder outside the repository and unpacked there.
# Prints the path of vec0.so. Idempotent: a present, complete copy is reused.
#
#   KODIAI_SQLITE_VEC_VERSION  version to fetch (default 0.1.9)
#   KODIAI_CACHE_DIR           cache folder (default ${XDG_CACHE_HOME:-~/.cache}/kodiai-db)
set -euo pipefail

VERSION="${KODIAI_SQLITE_VEC_VERSION:-0.1.9}"
CACHE="${KODIAI_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kodiai-db}"
DIR="$CACHE/sqlite-vec-$VERSION"
say() { printf 'fetch-sqlite-vec: %s\n' "$*" >&2; }

if [ -f "$DIR/.complete" ] && [ -f "$DIR/package/vec0.so" ]; then
  echo "$DIR/package/vec0.so"
  exit 0
fi
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) say "sqlite-vec-linux-x64 is for Linux x86-64; on $(uname -s)-$(uname -m) set KODIAI_SQLITE_VEC to a vec0 library built for it"; exit 6 ;;
esac
if ! command -v npm >/dev/null 2>&1; then
  say "npm is needed once to fetch sqlite-vec-linux-x64@$VERSION (Debian: apt-get install npm)"
  exit 6
fi
mkdir -p "$CACHE"
work="$(mktemp -d "$CACHE/.sqlite-vec.XXXXXX")"
trap 'rm -rf "$work"' EXIT
say "fetching sqlite-vec-linux-x64@$VERSION into $DIR (once)"
(cd "$work" && npm pack --silent "sqlite-vec-linux-x64@$VERSION" >/dev/null)
tar -xzf "$work"/sqlite-vec-linux-x64-"$VERSION".tgz -C "$work"
[ -f "$work/package/vec0.so" ] || { say "the package has no vec0.so"; exit 1; }
touch "$work/.complete"
rm -rf "$DIR.old"; [ -d "$DIR" ] && mv "$DIR" "$DIR.old"
mv "$work" "$DIR" && trap - EXIT
rm -rf "$DIR.old"
echo "$DIR/package/vec0.so"
