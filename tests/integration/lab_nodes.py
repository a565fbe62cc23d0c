# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Three reference nodes as real processes, for the integration tests
(fixtures in conftest.py). Models are seeded before start by writing
manifests into ``<models_dir>/manifests/`` (see
``reference-node/internal/models/store.go``)."""

from __future__ import annotations

import ctypes
import json
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
NODE_SRC = REPO_ROOT / "reference-node"
PORT_RANGE = range(19200, 19300)

# What each node holds when the cluster starts: name -> manifest fields.
SEEDED: Dict[str, Dict[str, Dict[str, Any]]] = {
    "node1": {
        "tinyllama": {"size": 637700000, "details": {"family": "llama", "parameter_size": "1.1B", "quantization_level": "Q4_0"}},
        "smollm:135m": {"size": 91700000, "details": {"family": "llama", "parameter_size": "135M", "quantization_level": "Q4_0"}},
    },
    "node2": {
        "qwen2.5:0.5b": {"size": 397800000, "details": {"family": "qwen2", "parameter_size": "494M", "quantization_level": "Q4_K_M"}},
    },
    "node3": {
        "phi3:mini": {"size": 2200000000, "details": {"family": "phi3", "parameter_size": "3.8B", "quantization_level": "Q4_0"}},
    },
}


def free_ports(count: int) -> List[int]:
    """Ports of PORT_RANGE that nothing listens on right now."""
    found: List[int] = []
    for port in PORT_RANGE:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        found.append(port)
        if len(found) == count:
            return found
    pytest.fail(f"fewer than {count} free ports in {PORT_RANGE.start}-{PORT_RANGE.stop - 1}")


def http_json(url: str, timeout: float = 5) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return json.loads(resp.read().decode())


def die_with_parent() -> None:
    """Child side of Popen: get SIGTERM when the test process dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class LabNode:
    node_id: str
    api_port: int
    p2p_port: int
    root: Path
    proc: Optional["subprocess.Popen[bytes]"] = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def models_dir(self) -> Path:
        return self.root / "models"

    def log_tail(self, lines: int = 30) -> str:
        path = self.root / "stdout.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return f"--- {self.node_id} (last {lines} lines) ---\n" + "\n".join(text.splitlines()[-lines:])

    def config(self, bootstrap: List[str]) -> str:
        r = self.root
        return json.dumps({  # JSON is YAML
            "name": f"integration-{self.node_id}",
            "environment": "testing",
            "node": {"id": self.node_id},
            "api": {"listen": f"127.0.0.1:{self.api_port}"},
            "p2p": {"listen": f"127.0.0.1:{self.p2p_port}", "bootstrap": bootstrap},
            "storage": {"data_dir": str(r / "data"), "models_dir": str(self.models_dir), "cache_dir": str(r / "cache")},
            "logging": {"level": "info", "output": "console"},
            "consensus": {"data_dir": str(r / "consensus"), "heartbeat_time": "200ms", "election_timeout": "2s"},
            "cluster": {"expected_size": 3},
        }, indent=2)

    def seed(self, name: str, fields: Dict[str, Any]) -> None:
        manifests = self.models_dir / "manifests"
        manifests.mkdir(parents=True, exist_ok=True)
        safe = "".join(c if c.isalnum() or c in ".-_" else "_" for c in name)
        (manifests / f"{safe}.json").write_text(json.dumps({"name": name, **fields}))


@dataclass
class LabCluster:
    nodes: Dict[str, LabNode] = field(default_factory=dict)

    def url(self, node_id: str) -> str:
        return self.nodes[node_id].url

    def logs(self) -> str:
        return "\n".join(n.log_tail() for n in self.nodes.values())

    def stop(self) -> None:
        for node in self.nodes.values():
            if node.proc is not None and node.proc.poll() is None:
                node.proc.terminate()
        for node in self.nodes.values():
            if node.proc is None:
                continue
            try:
                node.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                node.proc.kill()
                node.proc.wait(timeout=10)

    def wait_ready(self, timeout: float = 60) -> None:
        """Until every node sees 3 members and every seeded model."""
        want = {name if ":" in name else name + ":latest" for held in SEEDED.values() for name in held}
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        while time.monotonic() < deadline:
            for node in self.nodes.values():
                if node.proc is not None and node.proc.poll() is not None:
                    pytest.fail(f"{node.node_id} exited with {node.proc.returncode}\n{self.logs()}")
            try:
                ready = True
                for node in self.nodes.values():
                    status = http_json(node.url + "/api/distributed/status")
                    seen = {m["name"] for m in http_json(node.url + "/api/distributed/models")["models"]
                            if m["status"] == "available"}
                    last = f"{node.node_id}: cluster_size {status['cluster_size']}, models {sorted(seen)}"
                    if status["cluster_size"] != 3 or not want <= seen:
                        ready = False
                        break
                if ready:
                    return
            except (OSError, ValueError, KeyError) as exc:
                last = repr(exc)
            time.sleep(0.1)
        pytest.fail(f"the three nodes did not form a cluster with every model in {timeout}s ({last})\n{self.logs()}")
