# Copyright (c) ollama_lab.distributed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The preflight role on three nodes of one machine (local connection): one module call reads the machine,
every node records its own result, and a failure is named on the node and by the variable it belongs to."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[3]
API_BASE = 18140  # node1 18140, node2 18142, node3 18144 (layout_port_step 2)

PLAYBOOK = """
- hosts: pf_test
  gather_facts: false
  tasks:
    - name: Check the machine
      ansible.builtin.import_role:
        name: ollama_lab.distributed.preflight
    - name: Keep each node's result
      ansible.builtin.copy:
        content: "{{ preflight_results | to_json }}"
        dest: "{{ result_dir }}/{{ inventory_hostname }}.json"
        mode: "0644"
      check_mode: false
"""


@pytest.fixture(name="foreign")
def fixture_foreign() -> Iterator[int]:
    """A foreign process holding node2's API port."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", API_BASE + 2))
    sock.listen()
    try:
        yield API_BASE + 2
    finally:
        sock.close()


def run(tmp_path: Path, *extra: str) -> Dict[str, Any]:
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"pf_test": {
        "hosts": {"pf-a": {}, "pf-b": {}, "pf-c": {"preflight_min_memory_mb": 10 ** 9}},
        "vars": {
            "ansible_connection": "local", "ansible_python_interpreter": sys.executable,
            "layout_cluster_group": "pf_test", "layout_api_port_base": API_BASE, "layout_p2p_port_base": 14140,
            "layout_config_dir": str(tmp_path / "etc"), "layout_data_root": str(tmp_path / "data"),
            "layout_log_dir": str(tmp_path / "log"), "result_dir": str(tmp_path),
            "preflight_min_cpus": 1, "preflight_min_memory_mb": 1, "preflight_min_disk_mb": 1,
            "preflight_supported_os_families": ["Debian", "RedHat", "Suse", "Archlinux", "Alpine"],
            "preflight_os_version_strict": "false", "preflight_required_commands": ["sh"],
            "preflight_extra_disk_paths": [str(tmp_path)], "preflight_fail_on_error": False,
        }}}))
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAYBOOK)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO_ROOT / ".collections"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json", ANSIBLE_CALLBACK_RESULT_FORMAT="json")
    result = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory),
                             str(playbook), *extra], capture_output=True, text=True, env=env, timeout=180,
                            check=False)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr
    return json.loads(result.stdout)


def task_hosts(out: Dict[str, Any], name: str) -> Dict[str, Any]:
    tasks: List[Dict[str, Any]] = [t for play in out["plays"] for t in play["tasks"] if t["task"]["name"].endswith(" : " + name)]
    assert len(tasks) == 1, [t["task"]["name"] for play in out["plays"] for t in play["tasks"]]
    return tasks[0]["hosts"]


@pytest.mark.parametrize("check_mode", [False, True])
def test_one_read_per_machine_and_each_node_judged_on_its_own(tmp_path: Path, foreign: int,
                                                              check_mode: bool) -> None:
    out = run(tmp_path, *(["--check"] if check_mode else []))
    called = task_hosts(out, "Check the machine once, for every node of it in this play (read-only)")
    assert [h for h, r in called.items() if not r.get("skipped")] == ["pf-a"]
    assert called["pf-a"]["changed"] is False and sorted(called["pf-a"]["nodes"]) == ["pf-a", "pf-b", "pf-c"]
    assert all(not r.get("changed") for t in out["plays"][0]["tasks"] for r in t["hosts"].values()
               if t["task"]["name"].startswith("ollama_lab.distributed.preflight : "))
    results = dict((h, json.loads((tmp_path / (h + ".json")).read_text())) for h in ("pf-a", "pf-b", "pf-c"))
    assert results["pf-a"]["passed"] and results["pf-a"]["failures"] == []
    [port_failure] = results["pf-b"]["failures"]
    assert port_failure.startswith("layout_api_port_base: found port %d held by " % foreign)
    assert "(ollama-distributed --config %s)" % (tmp_path / "etc" / "pf-b.yaml") in port_failure
    [memory_failure] = results["pf-c"]["failures"]
    assert memory_failure.startswith("preflight_min_memory_mb: found ")
    assert memory_failure.endswith(", need at least %d MB" % 10 ** 9)
    assert [c["name"] for c in results["pf-c"]["checks"] if c["name"].startswith("port ")] == [
        "port %d" % p for p in (API_BASE + 4, API_BASE + 5, 14142)]
