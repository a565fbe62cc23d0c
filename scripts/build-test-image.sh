#!/usr/bin/env bash
# Build (or reuse) the systemd test image that the molecule scenarios run.
#
# No registry is reachable from the lab machines, so the image is made from a
# debootstrap of Debian bookworm piped into `docker import`. The mirror is the
# one this machine's apt uses (/etc/apt/sources.list{,.d}), so it works where
# apt works. The image name comes from molecule/_shared/base.yml (or the
# OLLAMA_LAB_TEST_IMAGE environment variable); an existing image of that name
# is reused. Options:
#   --force   rebuild even if the image exists
#   --print   print the image name and exit
# Bump the tag in molecule/_shared/base.yml when the recipe below changes.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
LOG_TAG=build-test-image

force=0
for arg in "$@"; do
  case $arg in
    --force) force=1 ;;
    --print) test_image; exit 0 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) die "unknown argument: $arg" ;;
  esac
done

image=$(test_image)
if ! command -v docker >/dev/null 2>&1 || ! docker info >/dev/null 2>&1; then
  die "no Docker engine answers; run scripts/ensure-docker.sh first"
fi

if [ "$force" -eq 0 ] && docker image inspect "$image" >/dev/null 2>&1; then
  log "reusing image $image ($(docker image inspect -f '{{.Created}}' "$image"))"
  exit 0
fi
if [ -n "${OLLAMA_LAB_TEST_IMAGE:-}" ] && [ "$force" -eq 0 ]; then
  log "OLLAMA_LAB_TEST_IMAGE=$image is not present locally; trying docker pull"
  docker pull "$image" && exit 0
  log "pull failed; building $image locally instead"
fi

suite=bookworm
# The Debian mirror this machine's apt uses for the main suite.
mirror_from_apt() {
  local f
  # deb822 (.sources): a stanza whose Suites include "$suite"
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -r "$f" ] || continue
    awk -v suite="$suite" '
      BEGIN { RS=""; FS="\n" }
      {
        uris=""; ok=0; deb=0
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^#/) continue
          if ($i ~ /^Types:/ && $i ~ /[ \t]deb([ \t]|$)/) deb=1
          if ($i ~ /^URIs:/) { uris=$i; sub(/^URIs:[ \t]*/, "", uris) }
          if ($i ~ /^Suites:/) { n=split($i, s, /[ \t]+/); for (j = 2; j <= n; j++) if (s[j] == suite) ok=1 }
          if ($i ~ /^Enabled:[ \t]*no/) { ok=0; break }
        }
        if (deb && ok && uris != "") { split(uris, u, /[ \t]+/); print u[1]; exit }
      }' "$f"
  done
  # one-line format: deb [opts] URI suite components
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -r "$f" ] || continue
    sed -E 's/\[[^]]*\]//' "$f" | awk -v suite="$suite" '$1 == "deb" && $3 == suite { print $2 }'
  done
}
mirror=${OLLAMA_LAB_DEBIAN_MIRROR:-}
[ -n "$mirror" ] || mirror=$(mirror_from_apt | head -n1) || true
[ -n "$mirror" ] || die "cannot find a Debian mirror for '$suite' in /etc/apt/sources.list{,.d}; set OLLAMA_LAB_DEBIAN_MIRROR"
# The security archive: the same host, path debian-security, when apt uses one.
security=$(grep -rhE '^[[:space:]]*(URIs:|deb[[:space:]])' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
  | grep -oE 'https?://[^ ]*debian-security/?' | head -n1) || true

command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -r "$keyring" ] || apt_install debian-archive-keyring
[ "$(id -u)" -eq 0 ] || die "debootstrap needs root"

work=$(mktemp -d "${TMPDIR:-/tmp}/ollama-lab-rootfs.XXXXXX")
cleanup() { rm -rf --one-file-system "$work"; }
trap cleanup EXIT
rootfs=$work/rootfs
cache=$OLLAMA_LAB_ROOT/.cache/debootstrap
mkdir -p "$cache"

packages=systemd,systemd-sysv,dbus,python3,python3-apt,sudo,iproute2,procps,ca-certificates,git,curl,gnupg,less
log "debootstrap $suite from $mirror (packages: $packages)"
start=$SECONDS
debootstrap --variant=minbase --keyring="$keyring" --cache-dir="$cache" \
  --include="$packages" "$suite" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || {
    tail -n 40 "$work/debootstrap.log" >&2
    die "debootstrap failed (full log above)"
  }
log "debootstrap done in $((SECONDS - start))s"

# apt inside the container: the same mirror, no recommends, no translations,
# clean caches (a docker-style image); services may start (systemd is PID 1).
{
  echo "deb $mirror $suite main"
  echo "deb $mirror $suite-updates main"
  [ -n "$security" ] && echo "deb $security $suite-security main"
} >"$rootfs/etc/apt/sources.list"
cat >"$rootfs/etc/apt/apt.conf.d/90ollama-lab" <<'APT'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
APT
rm -f "$rootfs/usr/sbin/policy-rc.d"
printf '#!/bin/sh\nexit 0\n' >"$rootfs/usr/sbin/policy-rc.d"
chmod 0755 "$rootfs/usr/sbin/policy-rc.d"

# systemd in a container: no consoles, no udev, no kernel/firmware setup.
for unit in getty.target console-getty.service systemd-udevd.service systemd-udev-trigger.service \
    systemd-udevd-control.socket systemd-udevd-kernel.socket systemd-modules-load.service \
    sys-kernel-debug.mount sys-kernel-tracing.mount sys-kernel-config.mount dev-hugepages.mount \
    sys-fs-fuse-connections.mount systemd-remount-fs.service systemd-firstboot.service \
    systemd-networkd-wait-online.service apt-daily.timer apt-daily-upgrade.timer; do
  ln -sfn /dev/null "$rootfs/etc/systemd/system/$unit"
done
: >"$rootfs/etc/machine-id"
echo molecule >"$rootfs/etc/hostname"
rm -rf "${rootfs:?}"/var/cache/apt/archives/*.deb "${rootfs:?}"/var/lib/apt/lists/* "${rootfs:?}"/dev/* 2>/dev/null || true

old_id=$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)
log "importing the root filesystem as $image"
tar -C "$rootfs" --numeric-owner -c . | docker import \
  --change 'ENV container=docker' \
  --change 'CMD ["/lib/systemd/systemd"]' \
  --change "LABEL org.opencontainers.image.description=\"Debian $suite with systemd for ollama_lab.distributed molecule tests\"" \
  - "$image" >/dev/null
if [ -n "$old_id" ] && [ "$old_id" != "$(docker image inspect -f '{{.Id}}' "$image")" ]; then
  docker image rm "$old_id" >/dev/null 2>&1 || log "note: the previous $image ($old_id) is still used by a container"
fi
log "built $image in $((SECONDS - start))s"
