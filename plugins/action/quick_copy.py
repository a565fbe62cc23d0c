# Copyright (c) ollama_lab.distributed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action of ollama_lab.distributed.quick_copy (docs in plugins/modules/quick_copy.py)."""

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

import hashlib
from typing import Any, Dict, List, Optional

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_bytes
from ansible.plugins.action import ActionBase
from ansible_collections.ollama_lab.distributed.plugins.plugin_utils.remote_shell import attrs_match, quote, run_lines

ARGUMENT_SPEC = {
    "content": {"type": "str", "required": True, "no_log": True},
    "dest": {"type": "str", "required": True},
    "owner": {"type": "str"},
    "group": {"type": "str"},
    "mode": {"type": "raw"},
    "validate": {"type": "str"},
}

# Two lines: "<octal mode> <owner> <group>" and the SHA-1 of a regular file, "-" when unknown.
STAT_SCRIPT = (
    "p=%s; if [ -f \"$p\" ] && [ ! -L \"$p\" ]; then s=$(stat -c '%%a %%U %%G' -- \"$p\" 2>/dev/null) || s=-; "
    "c=$(sha1sum -- \"$p\" 2>/dev/null) || c=-; echo \"$s\"; echo \"${c%%%% *}\"; else echo -; echo -; fi"
)


def in_place(args: Dict[str, Any], lines: List[str]) -> bool:
    """Whether the file the shell saw (``lines`` of STAT_SCRIPT) already has the content,
    owner, group and mode asked for."""
    seen, checksum = (lines + ["-", "-"])[:2]
    fields = seen.split()
    if len(fields) != 3 or checksum != hashlib.sha1(to_bytes(args["content"])).hexdigest():
        return False
    mode, owner, group = fields
    return attrs_match(args, mode, owner, group)


class ActionModule(ActionBase):
    """Confirm a file in place with one shell command, else write it with one lab_files module run."""

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp: Any = None, task_vars: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        result = super().run(tmp, task_vars)
        del tmp
        args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)[1]
        try:
            lines = run_lines(self, STAT_SCRIPT % quote(args["dest"]), 2)
        except AnsibleActionFail:
            lines = []
        if lines and in_place(args, lines):
            result.update(changed=False, dest=args["dest"], quick=True)
            return result
        spec = {key: value for key, value in args.items() if value is not None}
        result.update(self._execute_module(module_name="ollama_lab.distributed.lab_files",
                                           module_args={"files": [spec]}, task_vars=task_vars))
        result["dest"] = args["dest"]
        result["quick"] = False
        return result
