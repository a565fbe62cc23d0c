# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The callback warm_workers and the loader warm-up behind it.

The warm-up runs in a fresh interpreter (the test process has loaded plugins
already): after it, a forked child, as Ansible's workers are, resolves a filter
of the collection, a lookup and a connection plugin without loading any
plugin file. A real ansible-playbook run with the callback enabled runs as
without it and says, at -vvv, what it loaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import List

import yaml

REPO_ROOT = Path(__file__).resolve().parents[4]
COLLECTIONS = REPO_ROOT / ".collections"

# Warm the loaders, then fork a child in which loading a plugin file from
# source is an error, and resolve plugins there.
CHILD_LOADS_NOTHING = """
import json, os, sys
from ansible.plugins.loader import PluginLoader, connection_loader, filter_loader, init_plugin_loader, lookup_loader
init_plugin_loader([sys.argv[1]])
from ansible_collections.ollama_lab.distributed.plugins.plugin_utils import warm_loaders as w
before = "ansible_collections.ollama_lab.distributed.plugins.filter.layout" in sys.modules
files = w.warm_jinja_plugins(["ollama_lab.distributed"])
lookups = w.warm_lookups()
connections = w.warm_connections(["community.docker.docker", "local", "no_such_connection"])
read, write = os.pipe()
pid = os.fork()
if pid == 0:
    def refuse(self, *, python_module_name, path):
        raise AssertionError("loaded from source in the worker: " + path)
    PluginLoader._load_module_source = refuse
    got = [filter_loader.get("ollama_lab.distributed.machine_nodes").ansible_name,
           filter_loader.get("ollama_lab.distributed.config_yaml").ansible_name,
           lookup_loader.get("ansible.builtin.file").ansible_name,
           connection_loader.get("community.docker.docker", class_only=True).__module__]
    os.write(write, json.dumps(got).encode())
    os._exit(0)
os.close(write)
child = os.read(read, 65536).decode()
_, status = os.waitpid(pid, 0)
print(json.dumps({"before": before, "files": files, "lookups": lookups, "connections": connections,
                  "child": json.loads(child) if child else None, "status": status}))
"""


def _collection_plugin_files() -> List[str]:
    return sorted(f"ollama_lab.distributed.{kind}.{path.stem}" for kind in ("filter", "test")
                  for path in (REPO_ROOT / "plugins" / kind).glob("*.py"))


def test_forked_child_resolves_plugins_without_loading_files() -> None:
    out = subprocess.run([sys.executable, "-c", CHILD_LOADS_NOTHING, str(COLLECTIONS)], capture_output=True,
                         text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["before"] is False
    assert sorted(got["files"]) == _collection_plugin_files()
    assert got["lookups"] >= 20
    assert got["connections"] == ["community.docker.docker", "local"]
    assert got["status"] == 0, "the child failed: it loaded a plugin file"
    assert got["child"] == ["ollama_lab.distributed.machine_nodes", "ollama_lab.distributed.config_yaml",
                            "ansible.builtin.file",
                            "ansible_collections.community.docker.plugins.connection.docker"]


def test_collection_of_module_name() -> None:
    from ansible_collections.ollama_lab.distributed.plugins.plugin_utils.warm_loaders import collection_of
    assert collection_of("ansible_collections.ollama_lab.distributed.plugins.callback.warm_workers") == \
        "ollama_lab.distributed"
    assert collection_of("ansible.plugins.callback.default") == ""


def test_inventory_connections_from_hosts_and_groups(tmp_path: Path) -> None:
    from ansible.inventory.manager import InventoryManager
    from ansible.parsing.dataloader import DataLoader
    from ansible_collections.ollama_lab.distributed.plugins.plugin_utils.warm_loaders import inventory_connections
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"all": {"children": {
        "lab": {"vars": {"ansible_connection": "community.docker.docker"},
                "hosts": {"a": {}, "b": {"ansible_connection": "local"},
                          "c": {"ansible_connection": "{{ lab_connection }}"}}},
        "other": {"hosts": {"d": {"ansible_connection": "ssh"}}}}}}))
    hosts = InventoryManager(DataLoader(), sources=[str(inventory)]).get_hosts("lab")
    assert inventory_connections(hosts) == {"community.docker.docker", "local"}


PLAYBOOK = """
- name: Two hosts, with the callback enabled
  hosts: nodes
  gather_facts: false
  tasks:
    - name: Use a filter of the collection
      ansible.builtin.set_fact:
        model_file: "{{ 'tinyllama:latest' | ollama_lab.distributed.models_file_name }}"
    - name: Run only where the filter's answer and the host say so
      ansible.builtin.command: "true"
      changed_when: false
      when: model_file | length > 0 and inventory_hostname == 'two'
"""


def run(tmp_path: Path, callbacks: str) -> subprocess.CompletedProcess:
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"nodes": {"hosts": {
        name: {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
        for name in ("one", "two")}}}))
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAYBOOK)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_NOCOLOR="1")
    env.pop("ANSIBLE_CALLBACKS_ENABLED", None)
    if callbacks:
        env["ANSIBLE_CALLBACKS_ENABLED"] = callbacks
    return subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory),
                           str(playbook), "-vvv"], capture_output=True, text=True, env=env, timeout=180,
                          check=False, cwd=tmp_path)


def recap(out: str) -> List[List[str]]:
    return [line.split() for line in out.splitlines() if line.startswith(("one ", "two "))]


def test_playbook_runs_as_without_it_and_says_what_it_loaded(tmp_path: Path) -> None:
    warm = run(tmp_path, "ollama_lab.distributed.warm_workers")
    plain = run(tmp_path, "")
    assert warm.returncode == 0 and plain.returncode == 0, warm.stdout + warm.stderr + plain.stdout
    files = len(_collection_plugin_files())
    assert (f"ollama_lab.distributed.warm_workers: loaded {files} filter/test file(s) of the collection"
            in warm.stdout), warm.stdout
    assert "connection(s) local, ssh" in warm.stdout
    assert "warm_workers" not in plain.stdout
    assert recap(warm.stdout) == recap(plain.stdout) == [
        ["one", ":", "ok=1", "changed=0", "unreachable=0", "failed=0", "skipped=1", "rescued=0", "ignored=0"],
        ["two", ":", "ok=2", "changed=0", "unreachable=0", "failed=0", "skipped=0", "rescued=0", "ignored=0"]]
    assert "[WARNING]" not in warm.stderr + warm.stdout
