#!/usr/bin/env bash
# Prepare a checkout for use: a virtual environment with the pinned tooling
# (.venv/) and the collection path that makes the checkout importable as
# ollama_lab.distributed (.collections/). Safe to run again: reuses both.
#
#   scripts/bootstrap.sh          what the main job runs (requirements.txt)
#   scripts/bootstrap.sh --test   plus the test tooling (requirements-test.txt)
set -euo pipefail
reqs=requirements.txt
case ${1:-} in
  --test) reqs=requirements-test.txt ;;
  "") ;;
  *) echo "bootstrap: unknown argument $1 (use --test or nothing)" >&2; exit 64 ;;
esac
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

python=${PYTHON:-python3}
if ! "$python" -c 'import venv, ensurepip' 2>/dev/null; then
  echo "bootstrap: $python lacks venv/ensurepip; installing python3-venv" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
fi
# One stamp per requirements file: the test tooling adds to the main job's
# venv, and switching between the two never reinstalls anything.
stamp=.venv/.${reqs%.txt}.sha256
want=$(cat requirements.txt "$reqs" | sha256sum | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "bootstrap: installing $reqs into .venv/"
  [ -x .venv/bin/python ] || "$python" -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r "$reqs"
  echo "$want" > "$stamp"
else
  echo "bootstrap: reusing .venv/ ($reqs unchanged)"
fi

mkdir -p .collections/ansible_collections/ollama_lab
link=.collections/ansible_collections/ollama_lab/distributed
[ -L "$link" ] || ln -sfn ../../.. "$link"
