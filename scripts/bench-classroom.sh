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
# the time per seat and the warm re-run time. With more than one student a
# class of one seat (a container of its own) is provisioned the same way
# first, and the per-seat marginal cost is printed, cold and warm:
# (time of the N-seat class - time of the 1-seat class) / (N - 1). The
# machine's load (uptime) is printed before and after every run.
# Containers, credentials and reports are removed at the end (KEEP=1 keeps
# them; the logs stay in .tmp/bench-classroom/ then). Extra arguments for
# ansible-playbook: BENCH_ANSIBLE_ARGS (e.g. "-v").
# Ports inside the containers: API 18600/18602/18604, p2p 18700-18702.
# The containers share a Docker network of their own, whose DNS resolves
# each container's name: a single_host student's nodes advertise the host
# name (its ansible_host), as they would on a VM with a resolvable name.
# Container and network names carry a suffix of this checkout, so two
# checkouts can run the benchmark on one Docker engine.
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
# Every seat is a systemd container, and systemd takes inotify instances: from
# about 20 seats on, Linux's default of 128 per user runs out and containers
# exit (255) right after they start. Raise it as root, or say what to do.
inotify=/proc/sys/fs/inotify/max_user_instances
want_inotify=$(( (students + 1) * 16 > 512 ? (students + 1) * 16 : 512 ))
have_inotify=$(cat "$inotify" 2>/dev/null || echo "$want_inotify")
if [ "$have_inotify" -lt "$want_inotify" ]; then
  if [ "$(id -u)" -eq 0 ] && echo "$want_inotify" > "$inotify" 2>/dev/null; then
    log "raised fs.inotify.max_user_instances from $have_inotify to $want_inotify for $((students + 1)) systemd containers"
  else
    die "fs.inotify.max_user_instances is $have_inotify; $((students + 1)) systemd containers need about $want_inotify: sysctl -w fs.inotify.max_user_instances=$want_inotify (as root)"
  fi
fi
export PATH="$OLLAMA_LAB_ROOT/.venv/bin:$PATH"
# A speed figure: pipelining on for the docker connection too (ansible.cfg
# keeps it for ssh only, for the sake of failure messages, not speed).
export ANSIBLE_PIPELINING=True

work="$OLLAMA_LAB_ROOT/.tmp/bench-classroom"
rm -rf "$work"
mkdir -p "$work"
suffix=$(printf '%s' "$OLLAMA_LAB_ROOT" | cksum | cut -d' ' -f1)
network=bench-classroom-$suffix
names=()
for i in $(seq 1 "$students"); do names+=("$(printf "bench-classroom-s%02d-%s" "$i" "$suffix")"); done
# The one-seat class of the marginal cost (only with more than one student).
one=()
[ "$students" -gt 1 ] && one=("bench-classroom-one-$suffix")

cleanup() {
  if [ "${KEEP:-0}" = 1 ]; then
    log "KEEP=1: containers ${names[*]} and $work stay"
    return
  fi
  docker rm -f "${names[@]}" "${one[@]}" >/dev/null 2>&1 || true
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
for name in "${names[@]}" "${one[@]}"; do
  docker rm -f "$name" >/dev/null 2>&1 || true
  docker run -d --name "$name" --cap-add SYS_ADMIN --tmpfs /run --tmpfs /run/lock --tmpfs /tmp \
    -v /sys/fs/cgroup:/sys/fs/cgroup:ro --cgroupns host -e container=docker \
    --network "$network" --hostname "$name" \
    "$image" /lib/systemd/systemd >/dev/null
done

# write_inventory FILE CLASS HOST...: a class of one single_host student per host.
write_inventory() {
  local file=$1 class=$2 host i=0
  shift 2
  {
    echo "plugin: ollama_lab.distributed.classroom"
    echo "class_name: $class"
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
    echo "    classroom_output_dir: $work/out-$class"
    echo "    classroom_credentials_state_dir: $work/out-$class/credentials"
    echo "    configure_cluster_secret_dir: $work/out-$class/cluster-secrets"
    echo "    classroom_preflight: false"
    echo "students:"
    for host in "$@"; do
      i=$((i + 1))
      printf '  - {id: s%02d, hosts: [%s]}\n' "$i" "$host"
    done
  } > "$file"
}
write_inventory "$work/bench.classroom.yml" bench "${names[@]}"
[ "${#one[@]}" -eq 0 ] || write_inventory "$work/one.classroom.yml" one "${one[@]}"

load() { uptime | sed -E 's/.*load average: *//'; }

# run LABEL INVENTORY: one classroom.yml run; LABEL.{log,seconds,rc,load}
run() {
  local label=$1 inventory=$2 start rc before
  before=$(load)
  start=$(date +%s.%N)
  set +e
  # shellcheck disable=SC2086
  ansible-playbook -i "$inventory" -f "$forks" ${BENCH_ANSIBLE_ARGS:-} playbooks/classroom.yml > "$work/$label.log" 2>&1
  rc=$?
  set -e
  python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$start" "$(date +%s.%N)" > "$work/$label.seconds"
  echo "$rc" > "$work/$label.rc"
  echo "before $before, after $(load)" > "$work/$label.load"
}

if [ "${#one[@]}" -gt 0 ]; then
  log "cold run: classroom.yml for a class of 1 student (3 nodes), the reference of the marginal cost"
  run one-cold "$work/one.classroom.yml"
  log "warm run: the class of 1 again"
  run one-warm "$work/one.classroom.yml"
fi
log "cold run: classroom.yml for $students students ($((students * 3)) nodes), forks=$forks"
run cold "$work/bench.classroom.yml"
log "warm run: classroom.yml again (nothing to change)"
run warm "$work/bench.classroom.yml"

calc() { python3 -c "import sys; print('%.1f' % eval(sys.argv[1]))" "$1"; }
changed() { grep -Eo 'changed=[0-9]+' "$work/$1.log" | sort | uniq -c | tr -s ' ' | paste -sd, -; }
cold=$(cat "$work/cold.seconds")
warm=$(cat "$work/warm.seconds")
echo
echo "=== classroom provisioning on $(nproc) CPUs: $students single_host students, $((students * 3)) nodes, forks=$forks ==="
printf '%-30s %8ss  (exit %s; load %s)\n' "cold run (total)" "$cold" "$(cat "$work/cold.rc")" "$(cat "$work/cold.load")"
printf '%-30s %8ss\n' "cold run per seat (average)" "$(calc "$cold / $students")"
printf '%-30s %8ss  (exit %s, %s; load %s)\n' "warm re-run (total)" "$warm" "$(cat "$work/warm.rc")" \
  "$(changed warm)" "$(cat "$work/warm.load")"
if [ "${#one[@]}" -gt 0 ]; then
  one_cold=$(cat "$work/one-cold.seconds")
  one_warm=$(cat "$work/one-warm.seconds")
  printf '%-30s %8ss  (exit %s; load %s)\n' "1-seat class cold" "$one_cold" "$(cat "$work/one-cold.rc")" "$(cat "$work/one-cold.load")"
  printf '%-30s %8ss  (exit %s, %s; load %s)\n' "1-seat class warm" "$one_warm" "$(cat "$work/one-warm.rc")" \
    "$(changed one-warm)" "$(cat "$work/one-warm.load")"
  printf '%-30s %8ss  ((cold %s - %s) / %d)\n' "marginal cost per seat, cold" \
    "$(calc "($cold - $one_cold) / ($students - 1)")" "$cold" "$one_cold" "$((students - 1))"
  printf '%-30s %8ss  ((warm %s - %s) / %d)\n' "marginal cost per seat, warm" \
    "$(calc "($warm - $one_warm) / ($students - 1)")" "$warm" "$one_warm" "$((students - 1))"
fi
printf '%-30s %s\n' "load now (1, 5, 15 min)" "$(load)"
grep -E '^\s+- .(s[0-9]+): (ok|FAILED)' "$work/cold.log" | sed 's/^ *- /  /' || true
