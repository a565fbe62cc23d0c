#!/usr/bin/env bash
# Run a go command on the reference node without network access, using the
# Debian package golang-gopkg-yaml.v3-dev instead of the module proxy.
#
#   scripts/go-offline.sh build -o bin/ollama-distributed ./cmd/ollama-distributed
#   scripts/go-offline.sh test ./...
#
# The committed go.mod/go.sum are never modified: the replace directive goes
# into a temporary copy that is passed to go with -modfile.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
yaml_src="${YAML_V3_SRC:-/usr/share/gocode/src/gopkg.in/yaml.v3}"

if ! command -v go >/dev/null 2>&1; then
    echo "go-offline.sh: 'go' not found; install golang-go (Debian) first" >&2
    exit 127
fi
if [ ! -f "$yaml_src/yaml.go" ]; then
    echo "go-offline.sh: $yaml_src missing; install golang-gopkg-yaml.v3-dev" >&2
    exit 127
fi
if [ $# -lt 1 ]; then
    echo "usage: $0 <go subcommand> [args...]" >&2
    exit 64
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cp "$here/go.mod" "$tmp/go.mod"
cp "$here/go.sum" "$tmp/go.sum"
go mod edit -replace "gopkg.in/yaml.v3=$yaml_src" "$tmp/go.mod"

sub="$1"
shift
cd "$here"
GOPROXY=off GOFLAGS=-mod=mod GOTOOLCHAIN=local go "$sub" -modfile="$tmp/go.mod" "$@"
