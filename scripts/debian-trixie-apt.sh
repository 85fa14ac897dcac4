# Sourced by the install scripts: apt-get through a private list of Debian 13 (trixie)
# that reuses the mirror this machine's own apt sources name (no host name is written
# here), with its own lists folder, so the machine's apt state stays untouched.
#
#   trixie_apt_init WORKDIR   # then: as_root apt-get "${TRIXIE_APT[@]}" download|source ...
# Needs the caller's `as_root` and `die`.

# The first non-security URI of the machine's Debian sources (deb822 files, then sources.list).
debian_mirror() {
  local f mirror=""
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    mirror="$(awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' "$f")"
    [ -n "$mirror" ] && break
  done
  if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
    mirror="$(awk '$1=="deb" && $0 !~ /security/ {for(i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' /etc/apt/sources.list)"
  fi
  printf '%s' "$mirror"
}

trixie_apt_init() {
  local work="$1" mirror
  mirror="$(debian_mirror)"
  [ -n "$mirror" ] || die "cannot find a Debian mirror in /etc/apt/sources.list*; add one and retry"
  mkdir -p "$work/lists/partial" "$work/parts" "$work/archives/partial"
  printf 'deb %s trixie main\ndeb-src %s trixie main\n' "$mirror" "$mirror" > "$work/sources.list"
  TRIXIE_APT=(-o "Dir::Etc::SourceList=$work/sources.list" -o "Dir::Etc::SourceParts=$work/parts"
              -o "Dir::State::Lists=$work/lists" -o "Dir::Cache::Archives=$work/archives"
              -o "APT::Get::List-Cleanup=false" -o "APT::Sandbox::User=root")
  as_root apt-get "${TRIXIE_APT[@]}" update -qq
}
