#!/usr/bin/env bash
# Installs PostgreSQL and pgvector (>= 0.8) where they are missing. Idempotent:
# when both are present it only says so. Root is needed for the install steps
# only (it uses sudo when run as another user).
#
#   Debian 13 (trixie): apt-get install postgresql postgresql-<major>-pgvector
#   Debian 12 (bookworm): PostgreSQL from Debian, pgvector built from Debian 13's
#     source package, fetched through the mirror this machine already uses.
#   Anything else: prints what to install instead and exits 2.
set -euo pipefail

MIN_PGVECTOR=0.8.0
OS_RELEASE="${KODIAI_OS_RELEASE:-/etc/os-release}"   # overridable for tests
say() { printf 'install-postgres: %s\n' "$*" >&2; }
die() { say "$*"; exit "${2:-1}"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "root is needed to install packages; run this script as root or install sudo" 3
  fi
}

version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

pgvector_version() {  # the default_version in vector.control, or nothing
  local control
  control="$(pg_config --sharedir 2>/dev/null)/extension/vector.control"
  [ -f "$control" ] && sed -n "s/^default_version *= *'\(.*\)'/\1/p" "$control"
}

not_debian_help() {
  cat >&2 <<'HELP'
install-postgres: this script installs packages on Debian 12 or 13 only.
On another system install, with your package manager or from source:
  - PostgreSQL 15 or newer, server binaries included (initdb, pg_ctl, postgres)
    and its development headers (pg_config),
  - pgvector 0.8.0 or newer for that PostgreSQL
    (e.g. Homebrew: `brew install postgresql@17 pgvector`;
     from source: https://github.com/pgvector/pgvector#installation).
Or skip local binaries: set KODIAI_TEST_DATABASE_URL to an admin URL of a
PostgreSQL with pgvector >= 0.8, or run a Docker engine.
HELP
  exit 2
}

# --- already done? ---------------------------------------------------------
if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
  have="$(pgvector_version || true)"
  if [ -n "$have" ] && version_ge "$have" "$MIN_PGVECTOR"; then
    say "PostgreSQL $(pg_config --version | awk '{print $2}') with pgvector $have is installed"
    exit 0
  fi
fi

# --- which system? ---------------------------------------------------------
[ -r "$OS_RELEASE" ] || not_debian_help
. "$OS_RELEASE"
[ "${ID:-}" = debian ] || not_debian_help
codename="${VERSION_CODENAME:-}"
export DEBIAN_FRONTEND=noninteractive

if ! command -v pg_config >/dev/null 2>&1 || [ ! -x "$(pg_config --bindir 2>/dev/null)/initdb" ]; then
  say "installing PostgreSQL from Debian"
  as_root apt-get update -qq
  as_root apt-get install -y -qq postgresql postgresql-common >/dev/null
fi
# Debian's pg_config may come from postgresql-common's wrapper (needs the dev package).
major="$(ls /usr/lib/postgresql | sort -n | tail -n1)"
export PATH="/usr/lib/postgresql/$major/bin:$PATH"

have="$(pgvector_version || true)"
if [ -n "$have" ] && version_ge "$have" "$MIN_PGVECTOR"; then
  say "PostgreSQL $major with pgvector $have is installed"; exit 0
fi

# Debian 13 and later package pgvector.
if [ "$codename" != bookworm ]; then
  say "installing postgresql-$major-pgvector"
  as_root apt-get update -qq
  if as_root apt-get install -y -qq "postgresql-$major-pgvector" >/dev/null; then
    say "PostgreSQL $major with pgvector $(pgvector_version) is installed"; exit 0
  fi
  say "no package postgresql-$major-pgvector; building from source"
fi

# --- build pgvector from Debian 13's source package -----------------------
say "building pgvector from Debian trixie's source package"
as_root apt-get install -y -qq "postgresql-server-dev-$major" make gcc dpkg-dev >/dev/null

# The mirror this machine already uses: first URI of the main Debian source.
mirror=""
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  mirror="$(awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' "$f")"
  [ -n "$mirror" ] && break
done
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
  mirror="$(awk '$1=="deb" && $0 !~ /security/ {for(i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' /etc/apt/sources.list)"
fi
[ -n "$mirror" ] || die "cannot find a Debian mirror in /etc/apt/sources.list*; add one and retry"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/parts" "$work/src"
echo "deb-src $mirror trixie main" > "$work/sources.list"
# Own source list and own lists folder: the machine's apt state stays untouched.
apt_opts=(-o "Dir::Etc::SourceList=$work/sources.list" -o "Dir::Etc::SourceParts=$work/parts"
          -o "Dir::State::Lists=$work/lists" -o "APT::Get::List-Cleanup=false"
          -o "APT::Sandbox::User=root")
as_root apt-get "${apt_opts[@]}" update -qq
( cd "$work/src" && as_root apt-get "${apt_opts[@]}" source --download-only pgvector >/dev/null )
tarball="$(ls "$work"/src/pgvector_*.orig.tar.* | head -n1)"
[ -n "$tarball" ] || die "apt-get source fetched no pgvector tarball"
tar -xf "$tarball" -C "$work/src"
srcdir="$(find "$work/src" -maxdepth 1 -type d -name 'pgvector-*' | head -n1)"
make -s -C "$srcdir" PG_CONFIG="/usr/lib/postgresql/$major/bin/pg_config" >/dev/null
as_root make -s -C "$srcdir" PG_CONFIG="/usr/lib/postgresql/$major/bin/pg_config" install >/dev/null
have="$(pgvector_version || true)"
[ -n "$have" ] && version_ge "$have" "$MIN_PGVECTOR" || die "pgvector install did not produce version >= $MIN_PGVECTOR"
say "PostgreSQL $major with pgvector $have is installed"
