# Copyright (c) ollama_lab.distributed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action of ollama_lab.distributed.probe_paths (docs in plugins/modules/probe_paths.py)."""

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

from typing import Any, Dict, Optional

from ansible.plugins.action import ActionBase
from ansible_collections.ollama_lab.distributed.plugins.plugin_utils.remote_shell import path_type_script, quote, run_lines

ARGUMENT_SPEC = {
    "paths": {"type": "list", "elements": "str", "default": []},
    "groups": {"type": "list", "elements": "str", "default": []},
}


def path_state(letter: str) -> Dict[str, bool]:
    """What ansible.builtin.stat (follow=false) says of a path, from its type letter."""
    return {"exists": letter != "-", "islnk": letter == "l", "isdir": letter == "d", "isreg": letter == "f"}


class ActionModule(ActionBase):
    """Stat paths and look up groups with one shell command."""

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp: Any = None, task_vars: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        result = super().run(tmp, task_vars)
        del tmp
        args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)[1]
        paths, groups = list(dict.fromkeys(args["paths"])), list(dict.fromkeys(args["groups"]))
        script = "; ".join([path_type_script(paths)] * bool(paths) + [
            "if getent group %s >/dev/null 2>&1; then echo y; else echo n; fi" % quote(group) for group in groups])
        lines = run_lines(self, script, len(paths) + len(groups)) if paths or groups else []
        result.update(
            changed=False,
            paths={path: path_state(letter) for path, letter in zip(paths, lines)},
            groups={group: answer == "y" for group, answer in zip(groups, lines[len(paths):])},
        )
        return result
