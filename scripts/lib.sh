# shellcheck shell=bash
# Helpers shared by the scripts in this folder. Source it; do not run it.

# Repository root (the collection root).
OLLAMA_LAB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export OLLAMA_LAB_ROOT

log() { printf '%s: %s\n' "${LOG_TAG:-$(basename "$0")}" "$*" >&2; }
die() { printf '%s: ERROR: %s\n' "${LOG_TAG:-$(basename "$0")}" "$*" >&2; exit 1; }

# Run a command as root (directly when we are root, else through sudo -n).
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"
  else die "need root (or passwordless sudo) to run: $*"
  fi
}

# apt-get install the given Debian packages; runs apt-get update once per
# process first. Non-interactive.
_apt_updated=
apt_install() {
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install these packages by hand: $*"
  if [ -z "$_apt_updated" ]; then
    log "apt-get update"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq || die "apt-get update failed"
    _apt_updated=1
  fi
  log "apt-get install $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" \
    || die "apt-get install $* failed"
}

# The test image name: the default written in molecule/_shared/base.yml
# (`image: "${OLLAMA_LAB_TEST_IMAGE:-<name>}"`), overridden by the
# OLLAMA_LAB_TEST_IMAGE environment variable.
test_image() {
  if [ -n "${OLLAMA_LAB_TEST_IMAGE:-}" ]; then
    printf '%s\n' "$OLLAMA_LAB_TEST_IMAGE"
    return
  fi
  local name
  name=$(sed -nE 's/^[[:space:]]*image:[[:space:]]*"?\$\{OLLAMA_LAB_TEST_IMAGE:-([^}]+)\}"?.*$/\1/p' \
    "$OLLAMA_LAB_ROOT/molecule/_shared/base.yml" | head -n1)
  [ -n "$name" ] || die "no 'image: \"\${OLLAMA_LAB_TEST_IMAGE:-<name>}\"' line in molecule/_shared/base.yml"
  printf '%s\n' "$name"
}
