#!/usr/bin/env bash
# The one test command of the collection (CI runs it through .ci/run).
#
#   ./scripts/test.sh                        every stage, every molecule scenario
#   ./scripts/test.sh --stage lint --stage unit
#   ./scripts/test.sh --stage molecule --scenario preflight
#
# On a fresh Debian 12 machine (as root, or with passwordless sudo; PyPI and
# the Debian mirror reachable) it installs what it needs first:
#   - scripts/bootstrap.sh --test: .venv/ from requirements-test.txt, .collections/ link;
#   - Debian packages the selected stages need, when missing: git, chromium
#     (unit: browser tests), shellcheck
#     (sanity), golang-go + golang-gopkg-yaml.v3-dev (go; unit: the
#     integration tests build the node; molecule: the cluster scenario builds
#     the node on the controller);
#   - molecule only: a Docker engine (scripts/ensure-docker.sh; no engine is a
#     FAILURE of the molecule stage, never a skip) and the test image
#     (scripts/build-test-image.sh; reused when present), both set up in the
#     background from the start, while the other stages run.
# A second run reuses all of it.
#
# Stages (in this order):
#   lint      ansible-lint --profile production on the whole collection
#   sanity    ansible-test sanity on a copy of the collection under
#             .tmp/ansible_collections/ollama_lab/distributed
#   unit      pytest tests/unit tests/browser tests/integration (headless
#             chromium from Debian; the integration tests build the reference
#             node and drive three node processes on 127.0.0.1:19200-19299
#             with the official ollama client; "no tests collected" is a
#             failure)
#   go        go vet and go test of reference-node/ (offline)
#   molecule  every molecule/<scenario>/molecule.yml, --jobs at a time (each
#             scenario has containers, networks and build folders of its
#             own): molecule -c molecule/_shared/base.yml test -s <scenario>;
#             each scenario's output is printed whole when it ends (and
#             kept in .tmp/molecule-logs/<scenario>.log)
#
# Options:
#   --stage NAME      run only this stage (repeatable)
#   --scenario NAME   molecule: run only this scenario (repeatable)
#   --keep-going      run every stage even after a failure (the default)
#   --fail-fast       stop at the first failed stage (molecule: start no
#                     further scenario once one failed)
#   --jobs N          molecule scenarios run at once (default 2, or
#                     OLLAMA_LAB_MOLECULE_JOBS; 1 runs them one after the other)
#   --list            print the stages and molecule scenarios and exit
#   -h, --help        this text
# Ends with a summary table (stage, result, seconds); exits non-zero when any
# stage or scenario failed. Environment: OLLAMA_LAB_TEST_IMAGE (another test
# image), OLLAMA_LAB_MOLECULE_SUFFIX (suffix of the molecule instance names;
# default: derived from the checkout path, so two checkouts on one Docker
# engine do not share containers).

# The stage_* functions are called through run_stage, which shellcheck
# cannot follow:
# shellcheck disable=SC2317
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
LOG_TAG="test.sh"
cd "$OLLAMA_LAB_ROOT"

all_stages=(lint sanity unit go molecule)
stages=()
scenarios=()
keep_going=1
jobs=${OLLAMA_LAB_MOLECULE_JOBS:-2}

scenarios_found() {
  local f
  for f in molecule/*/molecule.yml; do
    [ -f "$f" ] || continue
    f=${f#molecule/}
    f=${f%/molecule.yml}
    [ "$f" = _shared ] || printf '%s\n' "$f"
  done
}

while [ $# -gt 0 ]; do
  case $1 in
    --stage)
      [ $# -ge 2 ] || die "--stage needs a name (one of: ${all_stages[*]})"
      case " ${all_stages[*]} " in
        *" $2 "*) stages+=("$2") ;;
        *) die "--stage: unknown stage '$2' (one of: ${all_stages[*]})" ;;
      esac
      shift 2 ;;
    --stage=*) set -- --stage "${1#--stage=}" "${@:2}" ;;
    --scenario)
      [ $# -ge 2 ] || die "--scenario needs a name"
      scenarios_found | grep -qxF -- "$2" \
        || die "--scenario: no molecule/$2/molecule.yml (scenarios: $(scenarios_found | tr '\n' ' '))"
      scenarios+=("$2")
      shift 2 ;;
    --scenario=*) set -- --scenario "${1#--scenario=}" "${@:2}" ;;
    --keep-going) keep_going=1; shift ;;
    --fail-fast) keep_going=0; shift ;;
    --jobs)
      [ $# -ge 2 ] || die "--jobs needs a number"
      jobs=$2
      shift 2 ;;
    --jobs=*) set -- --jobs "${1#--jobs=}" "${@:2}" ;;
    --list)
      echo "stages: ${all_stages[*]}"
      echo "molecule scenarios: $(scenarios_found | tr '\n' ' ')"
      exit 0 ;;
    -h|--help) awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done
# --scenario without --stage means the molecule stage only.
if [ ${#stages[@]} -eq 0 ]; then
  if [ ${#scenarios[@]} -gt 0 ]; then stages=(molecule); else stages=("${all_stages[@]}"); fi
fi
if [ ${#scenarios[@]} -eq 0 ]; then
  mapfile -t scenarios < <(scenarios_found)
fi
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || die "--jobs (or OLLAMA_LAB_MOLECULE_JOBS): expected a positive number, found '$jobs'"
wants() { case " ${stages[*]} " in *" $1 "*) return 0 ;; esac; return 1; }

# ---------------------------------------------------------------- results --
results=()          # "name<TAB>PASS|FAIL<TAB>seconds<TAB>note"
failed=0
record() {          # record NAME RC SECONDS [NOTE]
  local status=PASS
  [ "$2" -eq 0 ] || { status=FAIL; failed=1; }
  results+=("$1"$'\t'"$status"$'\t'"$3"$'\t'"${4:-}")
  log "== $1: $status in ${3}s${4:+ ($4)}"
}
summary() {
  local total=$((SECONDS - run_start)) row name status secs note
  echo
  echo "==================== test summary ===================="
  printf '%-28s %-6s %8s  %s\n' STAGE RESULT SECONDS NOTE
  for row in "${results[@]}"; do
    IFS=$'\t' read -r name status secs note <<<"$row"
    printf '%-28s %-6s %8s  %s\n' "$name" "$status" "$secs" "$note"
  done
  printf '%-28s %-6s %8s\n' total "$([ "$failed" -eq 0 ] && echo PASS || echo FAIL)" "$total"
  echo "======================================================"
}
# run_stage NAME COMMAND...: run, time and record; honours --fail-fast.
run_stage() {
  local name=$1 start=$SECONDS rc=0
  shift
  log "== $name: start"
  "$@" || rc=$?
  record "$name" "$rc" "$((SECONDS - start))"
  if [ "$rc" -ne 0 ] && [ "$keep_going" -eq 0 ]; then
    summary
    exit 1
  fi
  return 0
}
run_start=$SECONDS

# ------------------------------------------------------------------ setup --
setup_start=$SECONDS
log "stages: ${stages[*]}"
wants molecule && log "molecule scenarios: ${scenarios[*]:-<none>}"

# Debian packages the selected stages need, installed when missing
# (python3-venv is bootstrap.sh's business, docker.io ensure-docker.sh's and
# debootstrap build-test-image.sh's).
need_pkgs=()
command -v git >/dev/null 2>&1 || need_pkgs+=(git)
if wants sanity; then
  command -v shellcheck >/dev/null 2>&1 || need_pkgs+=(shellcheck)
fi
if wants unit || wants molecule; then
  # tests/browser, the classroom progress page test and the classroom
  # scenario's verify open pages in it
  command -v chromium >/dev/null 2>&1 || need_pkgs+=(chromium)
fi
if wants go || wants unit || wants molecule; then
  command -v go >/dev/null 2>&1 || need_pkgs+=(golang-go)
  [ -f "${YAML_V3_SRC:-/usr/share/gocode/src/gopkg.in/yaml.v3}/yaml.go" ] || need_pkgs+=(golang-gopkg-yaml.v3-dev)
fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
  log "installing missing Debian packages: ${need_pkgs[*]}"
  apt_install "${need_pkgs[@]}"
fi

scripts/bootstrap.sh --test
export PATH="$OLLAMA_LAB_ROOT/.venv/bin:$PATH"
export ANSIBLE_FORCE_COLOR=0 PY_COLORS=0 NO_COLOR=1
record setup 0 "$((SECONDS - setup_start))" "packages, .venv, .collections"

# ----------------------------------------------------------------- stages --
stage_lint() {
  # .ansible-lint holds the profile and excluded paths; offline (no Galaxy).
  ansible-lint --profile production --offline
}

sanity_root=$OLLAMA_LAB_ROOT/.tmp/ansible_collections/ollama_lab/distributed

# ansible-test creates one virtual environment per sanity test (packages from
# PyPI, pinned by ansible-test) and puts pip into each with pypa's get-pip.py,
# downloaded from ci-files.testing.ansible.com. That host is not reachable
# from the lab machines (only PyPI is), so when the script cannot be fetched
# a stand-in goes into ansible-test's cache: it installs pip with the
# interpreter's own ensurepip, then the pinned pip version from PyPI.
ansible_test_pip_bootstrap() {
  local pkg version cache url
  pkg=$(python -c 'import os, ansible_test; print(os.path.dirname(ansible_test.__file__))') || return 1
  version=$(sed -nE "s/^[[:space:]]*pip='([0-9.]+)',?$/\1/p" "$pkg/_internal/python_requirements.py" | head -n1)
  [ -n "$version" ] || { log "cannot find the pip version ansible-test bootstraps"; return 1; }
  cache=$HOME/.ansible/test/cache/get_pip_${version//./_}.py
  [ -s "$cache" ] && return 0
  mkdir -p "$(dirname "$cache")" || return 1
  url=https://ci-files.testing.ansible.com/ansible-test/get-pip-$version.py
  if curl -fsSL --max-time 20 -o "$cache.download" "$url" 2>/dev/null; then
    mv "$cache.download" "$cache" && log "cached ansible-test's pip bootstrap script from $url"
    return
  fi
  rm -f "$cache.download"
  log "$url is not reachable: installing a stand-in pip bootstrap (ensurepip + pip==$version from PyPI) as $cache"
  cat >"$cache" <<'PY'
"""Stand-in for get-pip.py, written by ollama_lab.distributed's scripts/test.sh.

ansible-test runs it in a new, empty virtual environment with pip install
arguments (e.g. --disable-pip-version-check pip==24.2 --no-setuptools
--no-wheel). It installs pip with the interpreter's ensurepip, then the
requested packages from the package index. Delete it to let ansible-test
download the real script.
"""
import subprocess
import sys

ARGS = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"], stdout=subprocess.DEVNULL)
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", "--upgrade"] + ARGS))
PY
}

stage_sanity() {
  # ansible-test needs the collection under ansible_collections/<ns>/<name>.
  # The copy holds the files git knows (tracked, plus new files that are not
  # ignored), as they are in the working tree: what a commit would contain.
  # (Stages run in an `||` context where set -e does not apply: every step
  # is chained explicitly.)
  rm -rf "$OLLAMA_LAB_ROOT/.tmp/ansible_collections" && mkdir -p "$sanity_root" || return 1
  git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' f; do
        if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi
      done \
    | tar --null -T - -cf - | tar -C "$sanity_root" -xf - || { log "cannot copy the collection to $sanity_root"; return 1; }
  # The copy lives inside this checkout, whose .gitignore ignores .tmp/:
  # ansible-test walks up to the nearest .git to list files, so give the copy
  # its own (empty) repository, or it would see no files at all.
  git -C "$sanity_root" init -q || return 1
  ansible_test_pip_bootstrap || return 1
  # Every default sanity test runs; each that needs Python packages gets its
  # own virtual environment from PyPI under ~/.ansible/test/venv (pinned by
  # ansible-test, cached after the first run). --python 3.11: the
  # controller's Python (Debian 12). No --docker: the sanity images come from
  # a registry that is not reachable here. Not run, and why:
  #   pslint - PowerShell only; the collection has no PowerShell content and
  #            Debian has no pwsh package.
  (cd "$sanity_root" && ansible-test sanity --python 3.11 --color no --skip-test pslint)
}

stage_unit() {
  local rc=0
  pytest -p no:cacheprovider tests/unit tests/browser tests/integration || rc=$?
  [ "$rc" -ne 5 ] || log "pytest collected no tests under tests/unit tests/browser tests/integration: that is a failure"
  return "$rc"
}

stage_go() {
  # vet and test with Debian's Go and YAML library; no module proxy.
  reference-node/scripts/go-offline.sh vet ./... \
    && reference-node/scripts/go-offline.sh test ./...
}

molecule_prepare() {
  scripts/ensure-docker.sh || {
    log "FAILED: no Docker engine could be made available (reason above); the molecule scenarios cannot run"
    return 1
  }
  scripts/build-test-image.sh || { log "FAILED: the test image could not be built (reason above)"; return 1; }
}

stage_molecule_scenario() {
  molecule -c molecule/_shared/base.yml test -s "$1"
}

# show_log NAME FILE: the whole log of a job that ran in the background.
show_log() {
  echo "-------------------- $1 output --------------------"
  cat "$2"
  echo "-------------------- end of $1 output -------------"
}

# Run the scenarios, $jobs at a time. Each one's output goes to its own log,
# printed whole when it ends, so parallel scenarios never interleave.
run_molecule_scenarios() {
  local logdir="$OLLAMA_LAB_ROOT/.tmp/molecule-logs" queue=("$@") done_pid rc s stop=0
  local -A scenario_of=() start_of=()
  if ! { rm -rf "$logdir" && mkdir -p "$logdir"; }; then
    record molecule 1 0 "cannot create $logdir"
    return
  fi
  log "molecule: ${#queue[@]} scenario(s), $jobs at a time; logs in $logdir"
  while [ ${#queue[@]} -gt 0 ] || [ ${#scenario_of[@]} -gt 0 ]; do
    while [ "$stop" -eq 0 ] && [ ${#queue[@]} -gt 0 ] && [ ${#scenario_of[@]} -lt "$jobs" ]; do
      s=${queue[0]}
      queue=("${queue[@]:1}")
      log "== molecule:$s: start"
      stage_molecule_scenario "$s" >"$logdir/$s.log" 2>&1 &
      scenario_of[$!]=$s
      start_of[$!]=$SECONDS
    done
    [ ${#scenario_of[@]} -gt 0 ] || break
    rc=0
    wait -n -p done_pid "${!scenario_of[@]}" || rc=$?
    s=${scenario_of[$done_pid]}
    show_log "molecule:$s" "$logdir/$s.log"
    record "molecule:$s" "$rc" "$((SECONDS - ${start_of[$done_pid]}))"
    unset "scenario_of[$done_pid]" "start_of[$done_pid]"
    if [ "$rc" -ne 0 ] && [ "$keep_going" -eq 0 ]; then stop=1; fi
  done
  for s in "${queue[@]}"; do record "molecule:$s" 1 0 "not run: --fail-fast after a failure"; done
}

# Docker's engine and the test image are mostly downloads and disk work:
# they are set up in the background while lint, sanity, unit and go run, and
# the molecule stage waits for them. Its output goes to a log of its own,
# printed when it is waited for (an early exit waits too, so an apt-get is
# never cut off).
prep_pid=
prep_rc=0
prep_log=$OLLAMA_LAB_ROOT/.tmp/molecule-setup.log
if wants molecule && [ ${#scenarios[@]} -gt 0 ]; then
  mkdir -p "$(dirname "$prep_log")"
  prep_start=$SECONDS
  rm -f "$prep_log.seconds"
  (
    rc=0
    molecule_prepare || rc=$?
    echo "$((SECONDS - prep_start))" >"$prep_log.seconds"
    exit "$rc"
  ) >"$prep_log" 2>&1 &
  prep_pid=$!
  log "molecule setup (Docker's engine, test image $(test_image)) runs in the background; log in $prep_log"
  trap '[ -z "$prep_pid" ] || wait "$prep_pid" 2>/dev/null || true' EXIT
fi

# molecule_prepare_wait: wait for the background setup; its log; prep_rc.
molecule_prepare_wait() {
  [ -n "$prep_pid" ] || return 0
  wait "$prep_pid" || prep_rc=$?
  prep_pid=
  show_log "molecule setup" "$prep_log"
}

# ------------------------------------------------------------------- run --
for stage in "${all_stages[@]}"; do
  wants "$stage" || continue
  case $stage in
    lint) run_stage lint stage_lint ;;
    sanity) run_stage sanity stage_sanity ;;
    unit) run_stage unit stage_unit ;;
    go) run_stage go stage_go ;;
    molecule)
      [ ${#scenarios[@]} -gt 0 ] || { record molecule 1 0 "no scenario found under molecule/"; continue; }
      # Container names carry a suffix of this checkout, so two checkouts (a
      # CI clone and a working copy) can test on one Docker engine at once.
      : "${OLLAMA_LAB_MOLECULE_SUFFIX:=$(printf '%s' "$OLLAMA_LAB_ROOT" | cksum | cut -d' ' -f1)}"
      export OLLAMA_LAB_MOLECULE_SUFFIX
      log "== molecule setup: waiting for the background setup"
      wait_start=$SECONDS
      molecule_prepare_wait
      record "molecule setup" "$prep_rc" "$(cat "$prep_log.seconds" 2>/dev/null || echo "$((SECONDS - prep_start))")" \
        "docker engine, test image $(test_image); in the background, waited $((SECONDS - wait_start)) s"
      if [ "$prep_rc" -eq 0 ]; then
        run_molecule_scenarios "${scenarios[@]}"
      else
        for scenario in "${scenarios[@]}"; do
          record "molecule:$scenario" 1 0 "not run: no Docker engine or image"
        done
      fi
      [ "$failed" -eq 0 ] || [ "$keep_going" -eq 1 ] || { summary; exit 1; } ;;
  esac
done

summary
exit "$failed"
