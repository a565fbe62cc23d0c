#!/bin/sh
# A stand-in for Ollama's `ollama` executable, for the backend scenario only
# (Ollama cannot be downloaded on the lab machines). `serve` runs the
# reference node, which answers Ollama's API (/api/version, /api/tags,
# /api/generate, ...), on OLLAMA_HOST; the models under OLLAMA_MODELS, in
# Ollama's layout, are mirrored into the node's manifests as they appear, as
# Ollama lists what its models directory holds. Nothing here is shipped.
set -eu
VERSION="@VERSION@"
here=$(dirname "$(readlink -f "$0")")
case "${1:-}" in
  -v | --version | version)
    echo "ollama version is $VERSION"
    exit 0
    ;;
  serve) ;;
  *)
    echo "fake ollama $VERSION: only serve and --version" >&2
    exit 2
    ;;
esac

listen=${OLLAMA_HOST:-127.0.0.1:11434}
listen=${listen#http://}
models=${OLLAMA_MODELS:-$HOME/.ollama/models}
state=$HOME/.fake-ollama
port=${listen##*:}
mkdir -p "$state/models/manifests" "$state/data" "$state/cache" "$state/consensus"
cat >"$state/node.yaml" <<YAML
node: {id: fake-ollama}
api: {listen: "$listen"}
p2p: {listen: "127.0.0.1:$((port + 1))"}
storage: {data_dir: $state/data, models_dir: $state/models, cache_dir: $state/cache}
consensus: {bootstrap: true, data_dir: $state/consensus}
cluster: {expected_size: 1}
logging: {level: info, output: console}
YAML

mirror() {
  for manifest in "$models"/manifests/*/*/*/*; do
    [ -f "$manifest" ] || continue
    tag=${manifest##*/}
    rest=${manifest%/*}
    model=${rest##*/}
    rest=${rest%/*}
    namespace=${rest##*/}
    name=$model:$tag
    [ "$namespace" = library ] || name=$namespace/$name
    out=$state/models/manifests/$namespace-$model-$tag.json
    [ -f "$out" ] || printf '{"name": "%s"}\n' "$name" >"$out"
  done
}

mirror
"$here/../lib/ollama/ollama-node" start --config "$state/node.yaml" &
node=$!
trap 'kill -TERM "$node" 2>/dev/null; wait "$node"; exit 0' TERM INT
while kill -0 "$node" 2>/dev/null; do
  sleep 1
  mirror
done
wait "$node"
