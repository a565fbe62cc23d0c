#!/usr/bin/env bash
# The main job: bring up the three-node local lab on this machine and print
# its status (nodes, leader, health, URLs).
#
#   scripts/lab-up.sh [ansible-playbook options, e.g. -v or --check --diff]
#
# 1. scripts/bootstrap.sh: the tooling venv (.venv/) and the collection path
#    (.collections/) of this checkout;
# 2. ansible-playbook -i inventories/local playbooks/site.yml: preflight,
#    install (the reference node built from this checkout), configure, start
#    the cluster (bootstrap node first) and wait until all nodes agree;
#    then bring the declared model (lab-tiny) to every node and generate once;
# 3. print the cluster status and the models summary that site.yml wrote.
# Works with systemd as PID 1 (template unit) and without it (supervisor).
# Running it again changes nothing (changed=0 on every host).
# Needs root, or a user with sudo for the package installs and the service.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
LOG_TAG=lab-up
cd "$OLLAMA_LAB_ROOT"

"$OLLAMA_LAB_ROOT/scripts/bootstrap.sh"

report="$OLLAMA_LAB_ROOT/.tmp/lab-status.txt"
models_report="$OLLAMA_LAB_ROOT/.tmp/lab-models.txt"
mkdir -p "$(dirname "$report")"
rm -f "$report" "$models_report"
log "ansible-playbook -i inventories/local playbooks/site.yml $*"
start=$SECONDS
set +e
.venv/bin/ansible-playbook -i inventories/local playbooks/site.yml \
  -e "cluster_report_file=$report" -e "models_report_file=$models_report" "$@"
rc=$?
set -e
elapsed=$((SECONDS - start))
if [ "$rc" -ne 0 ]; then
  die "site.yml failed (exit $rc) after ${elapsed}s; the output above says which node sees what"
fi
echo
echo "=== Ollama Distributed local lab (site.yml took ${elapsed}s) ==="
if [ -s "$report" ]; then
  cat "$report"
else
  # check mode on a fresh machine: nothing was started, so nothing to report
  echo "(no status: the cluster was not started in this run, e.g. check mode on a fresh machine)"
fi
if [ -s "$models_report" ]; then
  echo
  cat "$models_report"
fi
echo "More: ansible-playbook -i inventories/local playbooks/status.yml"
