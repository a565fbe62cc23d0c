# Copyright (c) ollama_lab.distributed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action of ollama_lab.distributed.lab_files (docs in plugins/modules/lab_files.py)."""

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

from typing import Any, Dict, Mapping, Optional

from ansible.plugins.action import ActionBase
from ansible_collections.ollama_lab.distributed.plugins.plugin_utils.remote_shell import files_in_place


class ActionModule(ActionBase):
    """Confirm every path in place with one shell command, else run the lab_files module."""

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp: Any = None, task_vars: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        result = super().run(tmp, task_vars)
        del tmp
        args = self._task.args
        directories, files = args.get("directories") or [], args.get("files") or []
        looked = (isinstance(directories, list) and isinstance(files, list)
                  and all(isinstance(d, Mapping) and d.get("path") for d in directories)
                  and all(isinstance(f, Mapping) and f.get("dest") for f in files))
        if looked and files_in_place(self, directories, files):
            result.update(changed=False, changed_paths=[], quick=True)
            return result
        result.update(self._execute_module(module_name="ollama_lab.distributed.lab_files",
                                           module_args=args, task_vars=task_vars))
        result["quick"] = False
        return result
