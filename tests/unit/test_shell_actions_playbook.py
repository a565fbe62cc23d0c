# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""quick_copy, probe_paths and layout_facts in a real ansible-playbook run on this machine.

A first run writes the files through ansible.builtin.copy (changed); a second
finds them in place with one shell command each (ok, quick); a mode changed
behind Ansible's back is put back; --check --diff shows the change of the
plain file and nothing of the secret one; validate refuses bad content.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
SECRET = "jwt-7f3c0e9a5b1d42c8a6e0f4b2d8c1a3e5"

PLAYBOOK = """
- hosts: target
  gather_facts: false
  tasks:
    - name: Find the service manager
      ollama_lab.distributed.layout_facts:
    - name: Look at the directory
      ollama_lab.distributed.probe_paths:
        paths: ["{{ dir }}", "{{ dir }}/plain.yaml"]
      register: probe
    - name: Write the plain file
      ollama_lab.distributed.quick_copy:
        content: "level: {{ level }}\\n"
        dest: "{{ dir }}/plain.yaml"
        mode: "0600"
        validate: "grep -q 'level. [a-z]' %s"
      register: plain
    - name: Write the secret file
      ollama_lab.distributed.quick_copy:
        content: "secret: {{ secret }}\\nlevel: {{ level }}\\n"
        dest: "{{ dir }}/secret.yaml"
        mode: "0640"
      no_log: true
      diff: false
      register: secret_file
"""


def run(tmp_path: Path, level: str, *extra: str) -> subprocess.CompletedProcess:
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"all": {"hosts": {"target": {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable,
        "dir": str(tmp_path / "etc"), "secret": SECRET}}}}))
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAYBOOK)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO_ROOT / ".collections"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json")
    return subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory), str(playbook),
                           "-e", "level=" + level, *extra], capture_output=True, text=True, env=env, timeout=180,
                          check=False)


def report(result: subprocess.CompletedProcess) -> dict:
    """Each task's result on the target, by task name, and the changed count."""
    assert result.returncode == 0, result.stdout + result.stderr
    out = json.loads(result.stdout)
    tasks = {t["task"]["name"]: t["hosts"]["target"] for t in out["plays"][0]["tasks"]}
    return dict(tasks, changed=out["stats"]["target"]["changed"])


def test_write_then_find_in_place_then_repair_then_diff(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    first = report(run(tmp_path, "info"))
    assert first["Find the service manager"]["ansible_facts"]["service_mgr"]
    assert first["Look at the directory"]["paths"][str(tmp_path / "etc")]["isdir"] is True
    assert first["Look at the directory"]["paths"][str(tmp_path / "etc" / "plain.yaml")]["exists"] is False
    assert first["Write the plain file"]["quick"] is False and first["changed"] == 2
    plain, secret = tmp_path / "etc" / "plain.yaml", tmp_path / "etc" / "secret.yaml"
    assert plain.read_text() == "level: info\n" and oct(plain.stat().st_mode & 0o777) == "0o600"
    assert secret.read_text() == "secret: %s\nlevel: info\n" % SECRET and oct(secret.stat().st_mode & 0o777) == "0o640"

    again = report(run(tmp_path, "info"))
    assert {k: v for k, v in again["Write the plain file"].items() if k[0] != "_" and k != "action"} == {
        "changed": False, "dest": str(plain), "quick": True}
    assert again["changed"] == 0 and again["Look at the directory"]["paths"][str(plain)]["isreg"] is True

    plain.chmod(0o644)
    repaired = report(run(tmp_path, "info"))
    assert repaired["Write the plain file"]["quick"] is False and repaired["changed"] == 1
    assert oct(plain.stat().st_mode & 0o777) == "0o600"

    check_run = run(tmp_path, "debug", "--check", "--diff")
    check = report(check_run)
    assert check["changed"] == 2 and plain.read_text() == "level: info\n"
    diff = check["Write the plain file"]["diff"]
    diff = diff[0] if isinstance(diff, list) else diff
    assert diff["before"] == "level: info\n" and diff["after"] == "level: debug\n"
    assert "diff" not in check["Write the secret file"]
    assert SECRET not in check_run.stdout + check_run.stderr


def test_validate_refuses_bad_content_and_leaves_the_file(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    report(run(tmp_path, "info"))
    plain = tmp_path / "etc" / "plain.yaml"
    plain.write_text("something else\n")
    refused = run(tmp_path, "")
    assert refused.returncode != 0 and "failed to validate" in refused.stdout
    assert plain.read_text() == "something else\n"
