#!/usr/bin/env bash
# Provisioning figures for a class of single_host students (not a test: it
# prints numbers and asserts nothing).
#
#   scripts/bench-classroom.sh [students] [forks]     default: 10 students, forks = students
#
# Each student gets one systemd container (the test image) with three nodes
# on it (30 nodes for 10 students); the node binary is built once on this
# machine and pushed (install_method artifact). Runs playbooks/classroom.yml
# twice - cold, then warm (nothing to change) - and prints the total time,
# the time per seat and the warm re-run time. Containers, credentials and
# reports are removed at the end (KEEP=1 keeps them).
# Ports inside the containers: API 18600/18602/18604, p2p 18700-18702.
# The containers share a Docker network of their own, whose DNS resolves
# each container's name: a single_host student's nodes advertise the host
# name (its ansible_host), as they would on a VM with a resolvable name.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
LOG_TAG=bench-classroom
cd "$OLLAMA_LAB_ROOT"

students=${1:-10}
forks=${2:-$students}
[[ "$students" =~ ^[1-9][0-9]*$ ]] || die "students: expected a positive number, found '$students'"
[[ "$forks" =~ ^[1-9][0-9]*$ ]] || die "forks: expected a positive number, found '$forks'"

"$OLLAMA_LAB_ROOT/scripts/bootstrap.sh" --test >/dev/null
"$OLLAMA_LAB_ROOT/scripts/ensure-docker.sh" >/dev/null
image=$(test_image)
export PATH="$OLLAMA_LAB_ROOT/.venv/bin:$PATH"
# A speed figure: pipelining on for the docker connection too (ansible.cfg
# keeps it for ssh only, for the sake of failure messages, not speed).
export ANSIBLE_PIPELINING=True

work="$OLLAMA_LAB_ROOT/.tmp/bench-classroom"
rm -rf "$work"
mkdir -p "$work"
network=bench-classroom
names=()
for i in $(seq -w 1 "$students"); do names+=("bench-classroom-s$i"); done

cleanup() {
  if [ "${KEEP:-0}" = 1 ]; then
    log "KEEP=1: containers ${names[*]} and $work stay"
    return
  fi
  docker rm -f "${names[@]}" >/dev/null 2>&1 || true
  docker network rm "$network" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# The version built into the binary is the one the class asks for
# (install_version below); the install role checks that they match.
node_version=0.1.0-bench
log "building the node binary once (version $node_version)"
reference-node/scripts/go-offline.sh build -ldflags "-X main.version=$node_version" \
  -o "$work/ollama-distributed" ./cmd/ollama-distributed >/dev/null

log "starting $students systemd containers ($image) on the Docker network $network"
docker network inspect "$network" >/dev/null 2>&1 || docker network create "$network" >/dev/null
for name in "${names[@]}"; do
  docker rm -f "$name" >/dev/null 2>&1 || true
  docker run -d --name "$name" --cap-add SYS_ADMIN --tmpfs /run --tmpfs /run/lock --tmpfs /tmp \
    -v /sys/fs/cgroup:/sys/fs/cgroup:ro --cgroupns host -e container=docker \
    --network "$network" --hostname "$name" \
    "$image" /lib/systemd/systemd >/dev/null
done

inventory="$work/bench.classroom.yml"
{
  echo "plugin: ollama_lab.distributed.classroom"
  echo "class_name: bench"
  echo "defaults:"
  echo "  topology: single_host"
  echo "  ansible_connection: community.docker.docker"
  echo "  port_base: 18600"
  echo "  p2p_port_base: 18700"
  echo "  profile: testing"
  echo "  vars:"
  echo "    install_method: artifact"
  echo "    install_version: $node_version"
  echo "    install_artifact_path: $work/ollama-distributed"
  echo "    classroom_output_dir: $work/out"
  echo "    classroom_credentials_state_dir: $work/out/credentials"
  echo "    classroom_preflight: false"
  echo "students:"
  for i in $(seq -w 1 "$students"); do
    echo "  - {id: s$i, hosts: [bench-classroom-s$i]}"
  done
} > "$inventory"

run() {
  local label=$1 start rc
  start=$(date +%s.%N)
  set +e
  ansible-playbook -i "$inventory" -f "$forks" playbooks/classroom.yml > "$work/$label.log" 2>&1
  rc=$?
  set -e
  python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$start" "$(date +%s.%N)" > "$work/$label.seconds"
  echo "$rc" > "$work/$label.rc"
}

log "cold run: classroom.yml for $students students ($((students * 3)) nodes), forks=$forks"
run cold
log "warm run: classroom.yml again (nothing to change)"
run warm

cold=$(cat "$work/cold.seconds")
warm=$(cat "$work/warm.seconds")
per_seat=$(python3 -c "import sys; print('%.1f' % (float(sys.argv[1]) / int(sys.argv[2])))" "$cold" "$students")
echo
echo "=== classroom provisioning on $(nproc) CPUs: $students single_host students, $((students * 3)) nodes, forks=$forks ==="
printf '%-28s %8ss  (exit %s)\n' "cold run (total)" "$cold" "$(cat "$work/cold.rc")"
printf '%-28s %8ss\n' "cold run per seat" "$per_seat"
printf '%-28s %8ss  (exit %s, %s)\n' "warm re-run (total)" "$warm" "$(cat "$work/warm.rc")" \
  "$(grep -Eo 'changed=[0-9]+' "$work/warm.log" | sort | uniq -c | tr -s ' ' | paste -sd, -)"
grep -E '^\s+- .(s[0-9]+): (ok|FAILED)' "$work/cold.log" | sed 's/^ *- /  /' || true
