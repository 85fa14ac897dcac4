# Shared by the install scripts (sourced, not run): messages, root, version comparison.
# The sourcing script sets `here` (its own folder) and `set -euo pipefail` first.

MIN_PGVECTOR=0.8.0

say() { printf 'install-postgres: %s\n' "$*" >&2; }
die() { say "$1"; exit "${2:-1}"; }  # die MESSAGE [EXIT_CODE]

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "root is needed to install packages; run this script as root or install sudo" 3
  fi
}

version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }
