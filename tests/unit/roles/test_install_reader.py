# Copyright (c) ollama_lab.distributed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The install role's warm look is read once per machine and cluster (roles/install/vars/main.yml):
the reader of a node is the first node of its own cluster on its machine still in the play (not
machine_primary, which may be another cluster's), and a node whose reader has no answer takes the
install steps instead of failing on an undefined variable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[3]
VARS = REPO_ROOT / "roles" / "install" / "vars" / "main.yml"

# The reader's look is stood in for by a file the test writes (install_check itself is tested in
# tests/unit/plugins/module_utils/test_install_state.py); the decision below is present.yml's.
PLAYBOOK = """
- hosts: ir_b:ir_a
  gather_facts: false
  tasks:
    - name: Compute the layout
      ansible.builtin.import_role:
        name: ollama_lab.distributed.layout
    - name: Read the install role's names
      ansible.builtin.include_vars: "{{ install_vars }}"
    - name: Fail a run_once block twice and rescue it (as install's archive.yml under a caller's rescue)
      when: rescued_run_once
      block:
        - name: The run_once block
          run_once: true
          block:
            - name: Fail once
              ansible.builtin.fail:
                msg: first
          rescue:
            - name: Fail again, naming the setting
              ansible.builtin.fail:
                msg: second
      rescue:
        - name: The caller's rescue
          ansible.builtin.debug:
            var: ansible_play_batch
    - name: Stand in for the reader's look (fails on the hosts in fail_readers)
      ansible.builtin.command:
        argv: [cat, "{{ answer_file }}"]
      register: __install_found
      changed_when: false
      failed_when: inventory_hostname in fail_readers
      when: inventory_hostname == _install_reader
    - name: Turn the stand-in's output into the module's answer
      ansible.builtin.set_fact:
        __install_found: "{{ __install_found.stdout | from_json }}"
      when: __install_found.stdout is defined
    - name: Keep what each node decides
      ansible.builtin.copy:
        content: >-
          {{ {'reader': _install_reader, 'readers_nodes': _install_machine_nodes | map(attribute='host') | list,
              'primary': layout_node.machine_primary_host, 'systemd_version': _install_systemd_version | int,
              'dirs': _install_node_dirs | map(attribute='path') | list,
              'apply': not (_install_node_found.in_place | default(false))
                       or _install_node_found.definition != 'wanted'} | to_json }}
        dest: "{{ result_dir }}/{{ inventory_hostname }}.json"
        mode: "0644"
"""


def run(tmp_path: Path, answer: Dict[str, Any], fail_readers: list,
        rescued_run_once: bool = False) -> Dict[str, Dict[str, Any]]:
    (tmp_path / "answer.json").write_text(json.dumps(answer))
    common = {"layout_service_manager": "supervisor", "layout_config_dir": str(tmp_path / "etc"),
              "layout_data_root": str(tmp_path / "data"), "layout_log_dir": str(tmp_path / "log")}
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"all": {
        "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
                 "install_vars": str(VARS), "answer_file": str(tmp_path / "answer.json"),
                 "result_dir": str(tmp_path), "fail_readers": fail_readers, "rescued_run_once": rescued_run_once, "install_user": "u",
                 "install_group": "g", **common},
        "children": {
            # cluster B is listed first: its first node is the machine's primary for the whole play
            "ir_b": {"hosts": {"b1": {}}, "vars": {"layout_cluster_group": "ir_b", "layout_api_port_base": 18190,
                                                   "layout_p2p_port_base": 14190}},
            "ir_a": {"hosts": {"a1": {}, "a2": {}, "a3": {"layout_machine": "other"}},
                     "vars": {"layout_cluster_group": "ir_a", "layout_api_port_base": 18180,
                              "layout_p2p_port_base": 14180}},
        }}}))
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAYBOOK)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO_ROOT / ".collections"), ANSIBLE_NOCOLOR="1")
    result = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory),
                             str(playbook)], capture_output=True, text=True, env=env, timeout=180, check=False)
    assert result.returncode == (2 if fail_readers else 0), result.stdout[-4000:] + result.stderr
    written = [tmp_path / (h + ".json") for h in ("a1", "a2", "a3", "b1")]
    return {p.stem: json.loads(p.read_text()) for p in written if p.exists()}


def test_one_reader_per_machine_and_cluster_and_each_node_decides_on_its_entry(tmp_path: Path) -> None:
    answer = {"nodes": {"a1": {"in_place": True, "definition": "wanted"},
                        "a2": {"in_place": True, "definition": "another"}},
              "systemd_version": 252}
    found = run(tmp_path, answer, [])
    assert found["a1"]["primary"] == "b1"  # machine_primary belongs to the other cluster
    assert {h: (f["reader"], f["readers_nodes"]) for h, f in found.items()} == {
        "a1": ("a1", ["a1", "a2"]), "a2": ("a1", ["a1", "a2"]), "a3": ("a3", ["a3"]), "b1": ("b1", ["b1"])}
    assert {h: f["apply"] for h, f in found.items()} == {"a1": False, "a2": True, "a3": True, "b1": True}
    assert found["a2"]["systemd_version"] == 252
    root = str(tmp_path / "data" / "a2")
    assert found["a2"]["dirs"] == [root, root + "/data", root + "/models", root + "/cache", root + "/consensus"]


@pytest.mark.parametrize("fail_readers", [["a1"], ["a1", "b1"]])
def test_a_failed_reader_sends_its_siblings_to_the_install_steps(tmp_path: Path, fail_readers: list) -> None:
    answer = {"nodes": {h: {"in_place": True, "definition": "wanted"} for h in ("a1", "a2", "a3", "b1")}}
    found = run(tmp_path, answer, fail_readers)
    assert "a1" not in found
    assert found["a2"]["reader"] == "a2" and found["a2"]["apply"] is True
    assert found["a2"]["systemd_version"] == 0
    assert found["a3"]["apply"] is False


def test_a_node_left_out_of_the_batch_after_a_rescue_reads_for_itself(tmp_path: Path) -> None:
    """A run_once failure (on b1) that is rescued leaves a1..a3 out of ansible_play_batch: each then
    reads alone instead of failing on an empty list, and still decides on an answer."""
    answer = {"nodes": {h: {"in_place": True, "definition": "wanted"} for h in ("a1", "a2", "a3", "b1")}}
    found = run(tmp_path, answer, [], rescued_run_once=True)
    assert {h: f["reader"] for h, f in found.items()} == {"a1": "a1", "a2": "a2", "a3": "a3", "b1": "b1"}
    assert not any(f["apply"] for f in found.values())
