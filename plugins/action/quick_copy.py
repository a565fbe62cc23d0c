# Copyright (c) ollama_lab.distributed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action of ollama_lab.distributed.quick_copy (docs in plugins/modules/quick_copy.py)."""

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

from typing import Any, Dict, Optional

from ansible.plugins.action import ActionBase
from ansible_collections.ollama_lab.distributed.plugins.plugin_utils.remote_shell import files_in_place

ARGUMENT_SPEC = {
    "content": {"type": "str", "required": True, "no_log": True},
    "dest": {"type": "str", "required": True},
    "owner": {"type": "str"},
    "group": {"type": "str"},
    "mode": {"type": "raw"},
    "validate": {"type": "str"},
}


class ActionModule(ActionBase):
    """Confirm a file in place with one shell command, else write it with one lab_files module run."""

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp: Any = None, task_vars: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        result = super().run(tmp, task_vars)
        del tmp
        args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)[1]
        if files_in_place(self, [], [args]):
            result.update(changed=False, dest=args["dest"], quick=True)
            return result
        spec = {key: value for key, value in args.items() if value is not None}
        result.update(self._execute_module(module_name="ollama_lab.distributed.lab_files",
                                           module_args={"files": [spec]}, task_vars=task_vars))
        result["dest"] = args["dest"]
        result["quick"] = False
        return result
