# Copyright (c) ollama_lab.distributed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A seat whose machine cannot be reached: every node of it is named in the summary.

Runs playbooks/classroom.yml on a class of one single_host seat whose machine
does not resolve. The first node fails in the reach step; the two others stop
at the next step through tasks/stop.yml (one include per step and node), and
the summary names each node, its step, its task and why. No container needed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_a_broken_seat_names_every_node_its_step_and_why(tmp_path: Path) -> None:
    out = tmp_path / "out"
    inventory = tmp_path / "t.classroom.yml"
    inventory.write_text(yaml.safe_dump({
        "plugin": "ollama_lab.distributed.classroom",
        "class_name": "t",
        "defaults": {
            "topology": "single_host", "ansible_connection": "ssh", "port_base": 18600, "p2p_port_base": 18700,
            "profile": "testing",
            "vars": {"classroom_output_dir": str(out), "classroom_credentials_state_dir": str(out / "creds"),
                     "configure_cluster_secret_dir": str(out / "secrets"), "classroom_preflight": False,
                     "ansible_ssh_common_args": "-o ConnectTimeout=2"},
        },
        "students": [{"id": "s01", "hosts": ["broken-seat.invalid"]}],
    }))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO_ROOT / ".collections"), ANSIBLE_NOCOLOR="1")
    result = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory),
                             "playbooks/classroom.yml"], capture_output=True, text=True, env=env, cwd=REPO_ROOT,
                            timeout=300, check=False)
    assert result.returncode != 0, result.stdout + result.stderr
    assert "1 of 1 seat(s) failed" in result.stdout, result.stdout
    seats = json.loads((out / "summary.json").read_text())
    assert [seat["student"] for seat in seats] == ["s01"] and not seats[0]["ok"]
    failures = {failure["host"]: failure for failure in seats[0]["failures"]}
    assert sorted(failures) == ["s01-node1", "s01-node2", "s01-node3"]
    assert failures["s01-node1"]["step"] == "reach"
    assert failures["s01-node1"]["task"] == "Stop this node when its machine cannot be reached or it is not a classroom node"
    assert "unreachable" in failures["s01-node1"]["msg"]
    for sibling in ("s01-node2", "s01-node3"):
        assert failures[sibling]["step"] == "prepare"
        assert failures[sibling]["task"] == "Stop when another node of this seat is out of the run"
        assert failures[sibling]["msg"] == "not provisioned because another node of the seat of s01 failed: s01-node1"
