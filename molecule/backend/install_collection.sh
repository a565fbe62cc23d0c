#!/bin/sh
# Build the collection from this checkout and install the tarball into the
# scenario's own collections path, as a user would install a release.
set -eu
# Usage: install_collection.sh <project dir> <ephemeral dir> (molecule.yml's dependency).
MOLECULE_PROJECT_DIRECTORY=${1:?project directory}
MOLECULE_EPHEMERAL_DIRECTORY=${2:?ephemeral directory}
bin=$MOLECULE_PROJECT_DIRECTORY/.venv/bin
out=$MOLECULE_EPHEMERAL_DIRECTORY/collection-build
rm -rf "$out" "$MOLECULE_EPHEMERAL_DIRECTORY/collections/ansible_collections/ollama_lab"
mkdir -p "$out" "$MOLECULE_EPHEMERAL_DIRECTORY/collections" "$MOLECULE_EPHEMERAL_DIRECTORY/no-roles"
"$bin/ansible-galaxy" collection build --force --output-path "$out" "$MOLECULE_PROJECT_DIRECTORY"
# --no-deps: community.general comes with the venv's ansible package.
"$bin/ansible-galaxy" collection install --no-deps --force -p "$MOLECULE_EPHEMERAL_DIRECTORY/collections" "$out"/ollama_lab-distributed-*.tar.gz
test -f "$MOLECULE_EPHEMERAL_DIRECTORY/collections/ansible_collections/ollama_lab/distributed/reference-node/go.mod"
