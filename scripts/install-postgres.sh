#!/usr/bin/env bash
# Installs PostgreSQL, pgvector (>= 0.8) and PgBouncer where they are missing.
# Idempotent: what is present is only reported. Root is needed for the package
# steps only (it uses sudo when run as another user).
#
#   scripts/install-postgres.sh          the distribution's PostgreSQL (Debian 12: 15, 13: 17)
#   scripts/install-postgres.sh 15 17    these major versions (what `KODIAI_TEST_PG=15,17` tests need)
#   scripts/install-postgres.sh --bindir 17   prints where version 17's server binaries are, or exits 1
#
# Per major version:
#   Debian packages it (12: 15; 13: 17): apt-get install postgresql-N, then
#     postgresql-N-pgvector where Debian has it, else pgvector built from Debian 13's
#     source package, fetched through the mirror this machine already uses.
#   17 on Debian 12 (no package): scripts/install-postgres-cached.sh builds it into a
#     cache outside the repository (server binaries from Maven Central, headers from
#     Debian 13), see there.
# PgBouncer (the pooler tests run a throwaway one): Debian's `pgbouncer` package.
# Anything other than Debian: prints what to install instead and exits 2.
set -euo pipefail

OS_RELEASE="${KODIAI_OS_RELEASE:-/etc/os-release}"   # overridable for tests
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/common.sh"   # MIN_PGVECTOR, say, die, as_root, version_ge

control_version() {  # the default_version in an extension's .control file, or nothing
  [ -f "$1" ] && sed -n "s/^default_version *= *'\(.*\)'/\1/p" "$1"
}

not_debian_help() {
  cat >&2 <<'HELP'
install-postgres: this script installs packages on Debian 12 or 13 only.
On another system install, with your package manager or from source:
  - PostgreSQL 15 or newer, server binaries included (initdb, pg_ctl, postgres)
    and its development headers (pg_config),
  - pgvector 0.8.0 or newer for that PostgreSQL
    (e.g. Homebrew: `brew install postgresql@17 pgvector`;
     from source: https://github.com/pgvector/pgvector#installation),
  - PgBouncer, for the pooler tests (e.g. `brew install pgbouncer`).
Or skip local binaries: set KODIAI_TEST_DATABASE_URL to an admin URL of a
PostgreSQL with pgvector >= 0.8, or run a Docker engine.
HELP
  exit 2
}

# --- arguments ----------------------------------------------------------------
if [ "${1:-}" = --bindir ]; then
  [ $# -eq 2 ] || die "usage: install-postgres.sh --bindir MAJOR" 2
  if [ -x "/usr/lib/postgresql/$2/bin/initdb" ] && [ -f "/usr/share/postgresql/$2/extension/vector.control" ]; then
    echo "/usr/lib/postgresql/$2/bin"; exit 0
  fi
  exec bash "$here/install-postgres-cached.sh" --bindir "$2"
fi
majors=()
for a in "$@"; do
  case "$a" in
    1[5-9]|[2-9][0-9]) majors+=("$a") ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$a': give PostgreSQL major versions (15 or newer), e.g. 15 17" 2 ;;
  esac
done

# --- already done? (no argument: whatever pg_config finds) ---------------------
pgbouncer_ok() { command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ]; }
pgbouncer_version() {
  local v
  v="$( (pgbouncer --version 2>/dev/null || /usr/sbin/pgbouncer --version 2>/dev/null) | awk 'NR==1 {print $2}')"
  printf 'PgBouncer %s is installed' "${v:-?}"
}

if [ ${#majors[@]} -eq 0 ] && command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ] && pgbouncer_ok; then
  have="$(control_version "$(pg_config --sharedir 2>/dev/null)/extension/vector.control" || true)"
  if [ -n "$have" ] && version_ge "$have" "$MIN_PGVECTOR"; then
    say "PostgreSQL $(pg_config --version | awk '{print $2}') with pgvector $have is installed; $(pgbouncer_version)"
    exit 0
  fi
fi

# --- which system? -------------------------------------------------------------
[ -r "$OS_RELEASE" ] || not_debian_help
. "$OS_RELEASE"
[ "${ID:-}" = debian ] || not_debian_help
codename="${VERSION_CODENAME:-}"
export DEBIAN_FRONTEND=noninteractive
apt_updated=""
apt_update() { [ -n "$apt_updated" ] || { as_root apt-get update -qq; apt_updated=1; }; }

debian_has() {  # is package $1 installable from this machine's sources?
  apt-cache policy "$1" 2>/dev/null | grep -q 'Candidate: [0-9]'
}

# --- PostgreSQL N from Debian, pgvector from Debian or built from trixie's source ----
install_debian() {
  local major="$1" share="/usr/share/postgresql/$1/extension" have
  if [ ! -x "/usr/lib/postgresql/$major/bin/initdb" ]; then
    say "installing PostgreSQL $major from Debian"
    apt_update
    as_root apt-get install -y -qq "postgresql-$major" postgresql-common >/dev/null
  fi
  have="$(control_version "$share/vector.control" || true)"
  if [ -n "$have" ] && version_ge "$have" "$MIN_PGVECTOR"; then
    say "PostgreSQL $major with pgvector $have is installed"; return
  fi
  if [ "$codename" != bookworm ]; then  # Debian 13 and later package pgvector
    say "installing postgresql-$major-pgvector"
    apt_update
    if as_root apt-get install -y -qq "postgresql-$major-pgvector" >/dev/null; then
      say "PostgreSQL $major with pgvector $(control_version "$share/vector.control") is installed"; return
    fi
    say "no package postgresql-$major-pgvector; building from source"
  fi
  say "building pgvector for PostgreSQL $major from Debian trixie's source package"
  apt_update
  as_root apt-get install -y -qq "postgresql-server-dev-$major" make gcc dpkg-dev >/dev/null
  local work srcdir
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' RETURN
  . "$here/debian-trixie-apt.sh"
  trixie_apt_init "$work/apt"
  mkdir -p "$work/src"
  ( cd "$work/src" && as_root apt-get "${TRIXIE_APT[@]}" source --download-only pgvector >/dev/null )
  tar -xf "$(ls "$work"/src/pgvector_*.orig.tar.* | head -n1)" -C "$work/src" || die "apt-get source fetched no pgvector tarball"
  srcdir="$(find "$work/src" -maxdepth 1 -type d -name 'pgvector-*' | head -n1)"
  make -s -j"$(nproc)" -C "$srcdir" PG_CONFIG="/usr/lib/postgresql/$major/bin/pg_config" >/dev/null
  as_root make -s -C "$srcdir" PG_CONFIG="/usr/lib/postgresql/$major/bin/pg_config" install >/dev/null
  have="$(control_version "$share/vector.control" || true)"
  [ -n "$have" ] && version_ge "$have" "$MIN_PGVECTOR" || die "pgvector install did not produce version >= $MIN_PGVECTOR"
  say "PostgreSQL $major with pgvector $have is installed"
}

install_pgbouncer() {
  if pgbouncer_ok; then say "$(pgbouncer_version)"; return; fi
  say "installing PgBouncer from Debian (for the pooler tests)"
  apt_update
  as_root apt-get install -y -qq pgbouncer >/dev/null
  # The tests start their own; the package's system service is not needed.
  if [ -d /run/systemd/system ]; then as_root systemctl disable --now pgbouncer >/dev/null 2>&1 || true; fi
  say "$(pgbouncer_version)"
}

# --- each requested version ----------------------------------------------------
if [ ${#majors[@]} -eq 0 ]; then
  if ! command -v pg_config >/dev/null 2>&1 || [ ! -x "$(pg_config --bindir 2>/dev/null)/initdb" ]; then
    say "installing PostgreSQL from Debian"
    apt_update
    as_root apt-get install -y -qq postgresql postgresql-common >/dev/null
  fi
  majors=("$(ls /usr/lib/postgresql | sort -n | tail -n1)")
fi
for major in "${majors[@]}"; do
  if [ -x "/usr/lib/postgresql/$major/bin/initdb" ] || debian_has "postgresql-$major"; then
    install_debian "$major"
  else
    bash "$here/install-postgres-cached.sh" "$major"
  fi
done
install_pgbouncer
