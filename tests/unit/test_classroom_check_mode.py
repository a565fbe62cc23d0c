# Copyright (c) ollama_lab.distributed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``--check`` on a new seat: the stand-in credentials pass the configure checks, nothing is written.

Runs the classroom role's prepare step (credentials, then the configuration
check with the student's key and auth on) against a local host in check
mode. Before the fix the check-mode placeholders were refused as weak secrets.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]

PLAYBOOK = """
- hosts: student_ada
  gather_facts: false
  tasks:
    - name: The classroom role's prepare step (credentials, auth on, the configuration check)
      ansible.builtin.include_role:
        name: ollama_lab.distributed.classroom
        tasks_from: steps/prepare
    - name: Show the preview
      ansible.builtin.debug:
        msg: "would write {{ layout_node.config_file }} ({{ __configure_checked.configs[inventory_hostname].cluster.secret }})"
    - name: Show that auth is on with the student's key
      ansible.builtin.debug:
        msg: "auth {{ __configure_checked.configs[inventory_hostname].security.enable_auth }}"
"""


def run(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"student_ada": {
        "hosts": {"ada-1": {}, "ada-2": {}},
        "vars": {
            "ansible_connection": "local", "ansible_python_interpreter": sys.executable,
            "classroom_student_id": "ada", "classroom_class_name": "t", "layout_cluster_group": "student_ada",
            "classroom_credentials_state_dir": str(tmp_path / "creds"),
            "configure_cluster_secret_dir": str(tmp_path / "secrets"),
            "layout_api_port_base": 18280, "layout_p2p_port_base": 14201,
            "layout_config_dir": str(tmp_path / "etc"), "layout_data_root": str(tmp_path / "data"),
            "layout_log_dir": str(tmp_path / "log"), "classroom_preflight": False,
        }}}))
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAYBOOK)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO_ROOT / ".collections"), ANSIBLE_NOCOLOR="1")
    return subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory),
                           str(playbook), *extra], capture_output=True, text=True, env=env, timeout=180,
                          check=False)


def test_check_mode_previews_a_new_seat_and_writes_nothing(tmp_path: Path) -> None:
    result = run(tmp_path, "--check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "would write " + str(tmp_path / "etc" / "ada-1.yaml") in result.stdout
    assert "auth True" in result.stdout
    assert not list((tmp_path / "creds").glob("*.yml"))
    assert not (tmp_path / "secrets").exists()


def test_real_run_generates_the_credentials_and_one_cluster_secret_once(tmp_path: Path) -> None:
    assert run(tmp_path).returncode == 0
    secret_file = tmp_path / "secrets" / "student_ada.secret"
    creds = tmp_path / "creds" / "ada.yml"
    assert oct(secret_file.stat().st_mode & 0o777) == "0o600" and oct(creds.stat().st_mode & 0o777) == "0o600"
    assert oct((tmp_path / "secrets").stat().st_mode & 0o777) == "0o700"
    first = secret_file.read_text()
    assert len(first.strip()) >= 32
    again = run(tmp_path)
    assert again.returncode == 0 and secret_file.read_text() == first
    assert first.strip() not in again.stdout + again.stderr
