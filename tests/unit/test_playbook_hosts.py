# Copyright (c) ollama_lab.distributed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every playbook fails, naming the group, when its host pattern matches no host.

Without the shared check (playbooks/check_hosts.yml) ansible-playbook skips a
play with no hosts and exits 0 having done nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
PLAYBOOKS = sorted(p for p in (REPO_ROOT / "playbooks").glob("*.yml") if p.name != "check_hosts.yml")
# Playbooks that first check -e student=<id> against the inventory's groups.
STUDENT_PLAYBOOKS = ("classroom_reset.yml", "classroom_remove.yml")


@pytest.mark.parametrize("playbook", [p.name for p in PLAYBOOKS])
def test_every_playbook_checks_its_hosts_first(playbook: str) -> None:
    plays = yaml.safe_load((REPO_ROOT / "playbooks" / playbook).read_text())
    first = plays[0]
    if playbook in STUDENT_PLAYBOOKS:
        assert "student_" in str(first["tasks"][0]["ansible.builtin.assert"]["that"])
        return
    assert first.get("ansible.builtin.import_playbook") == "check_hosts.yml", playbook
    assert first["vars"]["check_hosts_variable"] in first["vars"]["check_hosts_pattern"]


@pytest.mark.parametrize("playbook, variable, group", [
    ("status.yml", "ollama_hosts", "olama_nodes"),
    ("site.yml", "ollama_hosts", "empty_group"),
    ("classroom.yml", "classroom_hosts", "clasroom"),
])
def test_a_misspelled_or_empty_group_fails_and_is_named(
        tmp_path: Path, playbook: str, variable: str, group: str) -> None:
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump({
        "ollama_nodes": {"hosts": {"n1": {"ansible_connection": "local"}}},
        "empty_group": {"hosts": {}},
    }))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO_ROOT / ".collections"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0")
    result = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory),
         str(REPO_ROOT / "playbooks" / playbook), "-e", f"{variable}={group}"],
        capture_output=True, text=True, env=env, timeout=120, check=False)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f'{variable}: found "{group}", which matches no host of the inventory' in result.stdout + result.stderr
    assert "ollama_nodes" in result.stdout + result.stderr
