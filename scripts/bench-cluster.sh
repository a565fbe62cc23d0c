#!/usr/bin/env bash
# Benchmark (not a test: it asserts nothing) of bringing up the local lab
# (inventories/local) with this collection. It prints, from real runs:
#   cold        teardown.yml (data removed), then site.yml: bare host -> healthy cluster
#   warm        site.yml again on the running cluster, and its changed count
#   cluster     stop.yml, then cluster.yml alone (start bootstrap first, wait for agreement)
#   floor       stop.yml, then the three nodes started by hand (supervisorctl/systemctl)
#               and polled until all see size 3 and the same leader
#   rolling     rolling_restart.yml
# and leaves the lab running. With --molecule it also times the molecule
# `cluster` scenario: create+converge (cold), a second converge (warm) and
# its changed count, then destroys it.
#
#   scripts/bench-cluster.sh [--skip-cold] [--molecule]
#
# Figures depend on the machine and its load; run it on an idle host.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
LOG_TAG=bench-cluster
cd "$OLLAMA_LAB_ROOT"

skip_cold=
molecule=
for arg in "$@"; do
  case "$arg" in
    --skip-cold) skip_cold=1 ;;
    --molecule) molecule=1 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) die "unknown option $arg (use --skip-cold, --molecule)" ;;
  esac
done

"$OLLAMA_LAB_ROOT/scripts/bootstrap.sh" --test >/dev/null
export PATH="$OLLAMA_LAB_ROOT/.venv/bin:$PATH"
inv=inventories/local
out=$(mktemp -d "${TMPDIR:-/tmp}/bench-cluster.XXXXXX")
results=()

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
# Sum of changed= over the PLAY RECAP lines of a log.
changed_of() { awk '/ : ok=[0-9]+ +changed=/ { for (i = 1; i <= NF; i++) if ($i ~ /^changed=/) { split($i, a, "="); s += a[2] } } END { print s + 0 }' "$1"; }

# play NAME PLAYBOOK [args]: run a playbook, record its time and changed count.
play() {
  local name=$1 book=$2 log t0 t1
  shift 2
  log="$out/$name.log"
  log "$name: ansible-playbook -i $inv $book $*"
  t0=$(now)
  if ! ansible-playbook -i "$inv" "$book" "$@" >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    die "$name: $book failed (log: $log)"
  fi
  t1=$(now)
  results+=("$(printf '%-9s %8ss  changed=%-4s %s' "$name" "$(secs "$t0" "$t1")" "$(changed_of "$log")" "$book $*")")
}

# The service manager the layout role picks here.
if [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ]; then manager=systemd; else manager=supervisor; fi
node_ids=(node1 node2 node3)
api_ports=(8080 8082 8084)

start_by_hand() {
  local id
  for id in "${node_ids[@]}"; do
    if [ "$manager" = systemd ]; then as_root systemctl start "ollama-distributed@$id.service"
    else as_root supervisorctl start "ollama-distributed-$id" >/dev/null; fi
  done
}

# Poll every node until all see size 3 and the same leader (auth is off in the
# local lab's development profile). Gives up after 120 s.
wait_agreed() {
  python3 - "${api_ports[@]}" <<'EOF'
import json, sys, time, urllib.request
ports = sys.argv[1:]
deadline = time.monotonic() + 120
while time.monotonic() < deadline:
    seen = []
    for port in ports:
        try:
            with urllib.request.urlopen('http://127.0.0.1:%s/api/distributed/status' % port, timeout=1) as r:
                d = json.load(r)
            seen.append((d.get('cluster_size'), d.get('leader')))
        except Exception:
            seen.append(None)
    if None not in seen and {s for s, _ in seen} == {len(ports)} and len({l for _, l in seen}) == 1 and seen[0][1]:
        sys.exit(0)
    time.sleep(0.05)
sys.exit('nodes did not agree within 120 s: %s' % seen)
EOF
}

if [ -z "$skip_cold" ]; then
  play teardown playbooks/teardown.yml -e install_remove_data=true
  play cold playbooks/site.yml
fi
play warm playbooks/site.yml
play stop playbooks/stop.yml
play cluster playbooks/cluster.yml
play stop2 playbooks/stop.yml
log "floor: start the three nodes by hand and poll until they agree"
t0=$(now)
start_by_hand
wait_agreed
t1=$(now)
results+=("$(printf '%-9s %8ss  %-12s %s' floor "$(secs "$t0" "$t1")" "" "start by hand + poll until size 3 and one leader")")
play rolling playbooks/rolling_restart.yml
play status playbooks/status.yml

if [ -n "$molecule" ]; then
  log "molecule cluster scenario: create + converge (cold), converge again (warm)"
  run_molecule() { molecule -c molecule/_shared/base.yml "$@" -s cluster; }
  run_molecule destroy >"$out/molecule-destroy.log" 2>&1 || true
  t0=$(now)
  run_molecule create >"$out/molecule-create.log" 2>&1 || die "molecule create failed ($out/molecule-create.log)"
  run_molecule converge >"$out/molecule-cold.log" 2>&1 || die "molecule converge failed ($out/molecule-cold.log)"
  t1=$(now)
  results+=("$(printf '%-9s %8ss  changed=%-4s %s' m-cold "$(secs "$t0" "$t1")" "$(changed_of "$out/molecule-cold.log")" "molecule create + converge")")
  t0=$(now)
  run_molecule converge >"$out/molecule-warm.log" 2>&1 || die "molecule converge failed ($out/molecule-warm.log)"
  t1=$(now)
  results+=("$(printf '%-9s %8ss  changed=%-4s %s' m-warm "$(secs "$t0" "$t1")" "$(changed_of "$out/molecule-warm.log")" "molecule converge (second run)")")
  run_molecule destroy >"$out/molecule-destroy.log" 2>&1 || true
fi

echo
echo "=== bench-cluster on $(hostname) ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), service manager $manager) ==="
printf '%s\n' "${results[@]}"
echo "logs: $out"
