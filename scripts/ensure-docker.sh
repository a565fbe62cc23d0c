#!/usr/bin/env bash
# Make a Docker engine available to this user, and say what was done:
#   1. a running engine that answers `docker info` is used as is;
#   2. else Debian's docker.io is installed when dockerd is missing, dockerd
#      is started in the background (log: $OLLAMA_LAB_DOCKERD_LOG, default
#      /var/log/ollama-lab-dockerd.log) and we wait until it answers.
# Exits non-zero with a clear message when no engine can be made available:
# tests that need Docker must fail, never be skipped.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
LOG_TAG=ensure-docker

wait_seconds=${OLLAMA_LAB_DOCKER_WAIT:-60}
dockerd_log=${OLLAMA_LAB_DOCKERD_LOG:-/var/log/ollama-lab-dockerd.log}

answers() { docker info >/dev/null 2>&1; }

if command -v docker >/dev/null 2>&1 && answers; then
  log "using the running Docker engine ($(docker info --format '{{.ServerVersion}}' 2>/dev/null || echo '?'))"
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
  log "no dockerd/docker found: installing Debian's docker.io"
  apt_install docker.io
fi
command -v dockerd >/dev/null 2>&1 || die "dockerd still missing after installing docker.io"

# A dockerd may already be starting (e.g. another run); only start one if none.
if pgrep -x dockerd >/dev/null 2>&1; then
  log "a dockerd process exists but 'docker info' (DOCKER_HOST=${DOCKER_HOST:-default}) does not answer yet; waiting for it"
else
  [ "$(id -u)" -eq 0 ] || command -v sudo >/dev/null 2>&1 \
    || die "cannot start dockerd: not root and no sudo"
  if ! { : >>"$dockerd_log"; } 2>/dev/null; then
    dockerd_log="$OLLAMA_LAB_ROOT/.tmp/dockerd.log"
    mkdir -p "$(dirname "$dockerd_log")"
  fi
  log "starting dockerd in the background (log: $dockerd_log)"
  # setsid: detach from our process group so it survives this script and CI
  # job control; it keeps running for later runs to reuse.
  as_root setsid dockerd >>"$dockerd_log" 2>&1 </dev/null &
fi

for _ in $(seq 1 "$wait_seconds"); do
  if answers; then
    log "Docker engine started and answering ($(docker info --format '{{.ServerVersion}}' 2>/dev/null || echo '?'))"
    exit 0
  fi
  sleep 1
done
echo "--- docker info says ---" >&2
docker info 2>&1 | tail -n 5 >&2 || true
echo "--- last lines of $dockerd_log ---" >&2
tail -n 30 "$dockerd_log" >&2 2>/dev/null || true
die "Docker engine did not answer 'docker info' within ${wait_seconds}s; see $dockerd_log"
