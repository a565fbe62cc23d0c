# Copyright (c) ollama_lab.distributed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action of ollama_lab.distributed.layout_facts (docs in plugins/modules/layout_facts.py)."""

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

import posixpath
from typing import Any, Dict, Optional

from ansible.plugins.action import ActionBase
from ansible_collections.ollama_lab.distributed.plugins.plugin_utils.remote_shell import run_lines

# ansible.module_utils.facts.system.service_mgr: names of PID 1 that are mapped.
PROC_1_MAP = {
    "procd": "openwrt_init",
    "runit-init": "runit",
    "svscan": "svc",
    "openrc-init": "openrc",
}

# What Ansible's setup module would gather for service_mgr, and nothing else.
SETUP_ARGS = {"gather_subset": ["!all", "!min", "service_mgr"]}


def service_mgr_from_comm(comm: str) -> Optional[str]:
    """The service manager Ansible's fact collector names from the content of
    /proc/1/comm, or None when it would look further (no readable name, ``init``,
    or a shell as PID 1, as in many containers)."""
    name = posixpath.basename(comm.strip()).strip()
    if not name or name == "init" or name.endswith("sh"):
        return None
    return PROC_1_MAP.get(name, name)


class ActionModule(ActionBase):
    """Set ansible_facts.service_mgr from /proc/1/comm through one shell command;
    ask the setup module (service_mgr subset only) when PID 1 does not say."""

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp: Any = None, task_vars: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        result = super().run(tmp, task_vars)
        del tmp
        self.validate_argument_spec(argument_spec={})
        comm = run_lines(self, "cat /proc/1/comm 2>/dev/null || true; echo .")
        found = service_mgr_from_comm("\n".join(comm[:-1])) if comm and comm[-1] == "." else None
        facts: Dict[str, Any] = {}
        if found is None:
            setup = self._execute_module(module_name="ansible.legacy.setup", module_args=dict(SETUP_ARGS),
                                         task_vars=task_vars)
            if setup.get("failed"):
                return setup
            gathered = setup.get("ansible_facts") or {}
            found = gathered.get("ansible_service_mgr") or gathered.get("service_mgr") or "service"
            facts.update((k, v) for k, v in gathered.items() if k.startswith("discovered_interpreter_"))
            result["source"] = "setup"
        else:
            result["source"] = "/proc/1/comm"
        facts["service_mgr"] = found
        result.update(changed=False, ansible_facts=facts)
        return result
