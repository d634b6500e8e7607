#!/usr/bin/env bash
# Prints the path of a current nats-server binary (Debian unstable's package, 2.15.1 when this was
# written), fetching it once into a cache. Usage:
#
#   scripts/current-nats-server.sh            # cached binary, or fetch it
#   scripts/current-nats-server.sh --refresh  # fetch what sid carries now, even if one is cached
#   NATS_SERVER_BIN="$(scripts/current-nats-server.sh)" npm test
#
# How: `apt-get download` through a PRIVATE apt configuration (its own sources list naming the
# machine's Debian archive with suite `sid`, its own lists/cache/state dirs, none of /etc/apt's
# conf parts or pins), then `dpkg -x` for the static binary. The machine's apt sources, lists and
# caches are never touched: adding sid to them would make every later install come from unstable.
#
# Exit status: 0 and the binary's path on stdout; non-zero with the reason on stderr when the
# archive is unreachable, sid has no nats-server, or the extracted binary does not run.
# Cache: ${XDG_CACHE_HOME:-~/.cache}/express-nats-events/nats-server-sid/ (remove it to start over).
set -euo pipefail

CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/express-nats-events/nats-server-sid"
BINARY="$CACHE_DIR/nats-server"
fail() {
  echo "current-nats-server: $*" >&2
  exit 1
}

if [ "${1:-}" != "--refresh" ] && [ -x "$BINARY" ] && "$BINARY" --version >/dev/null 2>&1; then
  echo "$BINARY"
  exit 0
fi
[ "${1:-}" = "" ] || [ "${1:-}" = "--refresh" ] || fail "unknown argument '$1' (only --refresh)"
command -v apt-get >/dev/null 2>&1 || fail "apt-get not found: this script fetches Debian's package. Elsewhere, download a release from https://github.com/nats-io/nats-server/releases and set NATS_SERVER_BIN to it."

# The archive URI of the machine's own Debian entry (deb822 `URIs:` or one-line `deb URI suite`),
# skipping the security archive, which carries no sid.
archive_uri() {
  local files=()
  [ -f /etc/apt/sources.list ] && files+=(/etc/apt/sources.list)
  for file in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$file" ] && files+=("$file")
  done
  [ ${#files[@]} -gt 0 ] || return 0
  {
    awk '/^[[:space:]]*URIs:/ { for (i = 2; i <= NF; i++) print $i }' "${files[@]}"
    awk '/^[[:space:]]*deb[[:space:]]/ { for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i !~ /\]$/) { print $i; break } }' "${files[@]}"
  } | grep -E '/debian/?$' | head -n 1
}
URI="$(archive_uri)"
[ -n "$URI" ] || fail "no Debian archive entry (a URI ending in /debian) in /etc/apt/sources.list or /etc/apt/sources.list.d/*; this script reuses that archive with suite sid."
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
[ -r "$KEYRING" ] || fail "$KEYRING is missing (package debian-archive-keyring): sid's Release file cannot be verified without it."

WORK="$(mktemp -d "${TMPDIR:-/tmp}/current-nats-server.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/sources" "$WORK/parts" "$WORK/preferences" "$WORK/lists/partial" "$WORK/cache/archives/partial" "$WORK/state" "$WORK/download"
: >"$WORK/status"
cat >"$WORK/sources/sid.sources" <<EOF
Types: deb
URIs: $URI
Suites: sid
Components: main
Signed-By: $KEYRING
EOF
# APT_CONFIG is read before /etc/apt/apt.conf.d, so pointing Dir::Etc::Parts and ::main elsewhere
# keeps the machine's hooks (Post-Invoke, cleaners) and settings out of this private run.
cat >"$WORK/apt.conf" <<EOF
Dir::Etc::Parts "$WORK/parts";
Dir::Etc::main "/dev/null";
EOF
# The one setting taken from the machine's apt configuration: whether Release files may be past
# their Valid-Until (a machine behind a dated archive snapshot turns that check off).
eval "$(apt-config shell CHECK_VALID_UNTIL Acquire::Check-Valid-Until CHECK_DATE Acquire::Check-Date)"
CHECK_VALID_UNTIL="${CHECK_VALID_UNTIL:-true}"
CHECK_DATE="${CHECK_DATE:-true}"
APT_OPTIONS=(
  -o "Dir::Etc::SourceList=/dev/null"
  -o "Dir::Etc::SourceParts=$WORK/sources"
  -o "Dir::Etc::PreferencesParts=$WORK/preferences"
  -o "Dir::Etc::Preferences=/dev/null"
  -o "Dir::State=$WORK/state"
  -o "Dir::State::Lists=$WORK/lists"
  -o "Dir::State::status=$WORK/status"
  -o "Dir::Cache=$WORK/cache"
  -o "Acquire::Languages=none"
  -o "Acquire::Check-Valid-Until=$CHECK_VALID_UNTIL"
  -o "Acquire::Check-Date=$CHECK_DATE"
  -o "Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false"
  -o "Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled=false"
)
# apt fetches as the unprivileged _apt user when run as root; it must be able to write here.
if [ "$(id -u)" = 0 ] && id _apt >/dev/null 2>&1; then
  chmod 755 "$WORK"
  chown -R _apt "$WORK/lists" "$WORK/cache" "$WORK/download"
fi

echo "current-nats-server: fetching nats-server from $URI sid (private apt config in $WORK)" >&2
export APT_CONFIG="$WORK/apt.conf"
apt-get -q --error-on=any "${APT_OPTIONS[@]}" update >"$WORK/update.log" 2>&1 ||
  fail "apt-get update of $URI sid failed (network, or archive signature):
$(tail -n 20 "$WORK/update.log")"
(cd "$WORK/download" && apt-get -q "${APT_OPTIONS[@]}" download nats-server >"$WORK/download.log" 2>&1) ||
  fail "apt-get download nats-server from $URI sid failed:
$(tail -n 20 "$WORK/download.log")"
DEB="$(find "$WORK/download" -name 'nats-server_*.deb' | head -n 1)"
[ -n "$DEB" ] || fail "apt-get download reported success but left no nats-server_*.deb in $WORK/download"
dpkg -x "$DEB" "$WORK/root"
EXTRACTED="$(find "$WORK/root" -type f -name nats-server -perm -u+x | head -n 1)"
[ -n "$EXTRACTED" ] || fail "$(basename "$DEB") holds no executable named nats-server"
VERSION="$("$EXTRACTED" --version 2>&1)" || fail "the extracted $(basename "$DEB") binary does not run here: $VERSION"

mkdir -p "$CACHE_DIR"
cp "$EXTRACTED" "$BINARY.new"
mv "$BINARY.new" "$BINARY"
basename "$DEB" >"$CACHE_DIR/package"
echo "current-nats-server: cached $VERSION ($(basename "$DEB")) at $BINARY" >&2
echo "$BINARY"
