#!/usr/bin/env bash
# Prepare a checkout for use: a virtual environment with the pinned tooling
# (.venv/) and the collection path that makes the checkout importable as
# ollama_lab.distributed (.collections/). Safe to run again: reuses both.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

python=${PYTHON:-python3}
if ! "$python" -c 'import venv, ensurepip' 2>/dev/null; then
  echo "bootstrap: $python lacks venv/ensurepip; installing python3-venv" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
fi
stamp=.venv/.requirements.sha256
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "bootstrap: installing tooling from requirements.txt into .venv/"
  "$python" -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
  echo "$want" > "$stamp"
else
  echo "bootstrap: reusing .venv/ (requirements unchanged)"
fi

mkdir -p .collections/ansible_collections/ollama_lab
link=.collections/ansible_collections/ollama_lab/distributed
[ -L "$link" ] || ln -sfn ../../.. "$link"
