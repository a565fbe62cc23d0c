# Copyright (c) ollama_lab.distributed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The preflight probe tells this node's own service from another cluster's node of the same name."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest

PROBE = Path(__file__).resolve().parents[3] / "roles" / "preflight" / "files" / "probe.py"
LISTENER = ("import socket,sys,time\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen()\n"
            "print(s.getsockname()[1],flush=True)\ntime.sleep(60)\n")


@pytest.fixture(name="probe")
def fixture_probe() -> Dict[str, Any]:
    source = PROBE.read_text()
    assert source.rstrip().endswith("main()")
    namespace: Dict[str, Any] = {"__name__": "probe"}
    exec(compile(source.rstrip()[:-len("main()")], str(PROBE), "exec"), namespace)  # pylint: disable=exec-used
    return namespace


@pytest.fixture(name="node_port")
def fixture_node_port() -> Iterator[int]:
    """A process whose argv[0] is ollama-distributed, started with --config /etc/x/other.yaml, listening."""
    proc = subprocess.Popen(["ollama-distributed", "-c", LISTENER, "start", "--config", "/etc/x/other.yaml"],
                            executable=sys.executable, stdout=subprocess.PIPE, text=True)
    try:
        yield int(proc.stdout.readline())
    finally:
        proc.kill()
        proc.wait()


def test_another_clusters_node_is_not_ours(probe: Dict[str, Any], node_port: int) -> None:
    [found] = probe["ports"]([node_port], ["ollama-distributed"], ["/etc/x/mine.yaml"])
    assert found["listening"]
    [holder] = found["holders"]
    assert holder["own"] is False
    assert "another node's service (config /etc/x/other.yaml), not this node's" in holder["label"]


def test_our_own_node_is_ours(probe: Dict[str, Any], node_port: int) -> None:
    [found] = probe["ports"]([node_port], ["ollama-distributed"], ["/etc/x/other.yaml"])
    assert found["holders"][0]["own"] is True
    [old_style] = probe["ports"]([node_port], ["ollama-distributed"])
    assert old_style["holders"][0]["own"] is True
