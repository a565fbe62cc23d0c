# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the integration tests (helpers in lab_nodes.py).

* ``node_binary`` (session): builds ``reference-node`` once with
  ``reference-node/scripts/go-offline.sh build``. A missing Go toolchain or
  YAML package makes every test that needs it FAIL, never skip.
* ``lab_cluster`` (module): three nodes (node1..node3) on free loopback ports
  of 19200-19299, state in a temp dir, node2 and node3 bootstrapping from
  node1, models seeded as ``lab_nodes.SEEDED`` says. The nodes are always
  stopped (SIGTERM, then SIGKILL), also when a test fails, and die with the
  test process (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Iterator

import pytest

from lab_nodes import NODE_SRC, SEEDED, LabCluster, LabNode, die_with_parent, free_ports


@pytest.fixture(scope="session")
def node_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bin") / "ollama-distributed"
    cmd = [str(NODE_SRC / "scripts" / "go-offline.sh"), "build", "-trimpath",
           "-ldflags", "-X main.version=0.0.0-integration", "-o", str(out), "./cmd/ollama-distributed"]
    try:
        proc = subprocess.run(cmd, cwd=NODE_SRC, capture_output=True, text=True, timeout=900, check=False)
    except OSError as exc:
        pytest.fail(f"cannot run {cmd[0]}: {exc}")
    if proc.returncode != 0 or not out.is_file():
        pytest.fail(f"building the reference node failed (exit {proc.returncode}); install golang-go and "
                    f"golang-gopkg-yaml.v3-dev:\n{proc.stdout}{proc.stderr}")
    return out


@pytest.fixture(scope="module")
def lab_cluster(node_binary: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabCluster]:
    root = tmp_path_factory.mktemp("cluster")
    ports = free_ports(6)
    cluster = LabCluster()
    for i, node_id in enumerate(("node1", "node2", "node3")):
        node = LabNode(node_id, ports[i], ports[3 + i], root / node_id)
        node.root.mkdir()
        for name, fields in SEEDED[node_id].items():
            node.seed(name, fields)
        cluster.nodes[node_id] = node
    first = f"127.0.0.1:{cluster.nodes['node1'].p2p_port}"
    try:
        for node in cluster.nodes.values():
            cfg = node.root / "node.yaml"
            cfg.write_text(node.config([] if node.node_id == "node1" else [first]))
            with open(node.root / "stdout.log", "wb") as log:
                node.proc = subprocess.Popen(  # pylint: disable=consider-using-with
                    [str(node_binary), "start", "--config", str(cfg)],
                    stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                    preexec_fn=die_with_parent)
        cluster.wait_ready()
        yield cluster
    finally:
        cluster.stop()
