# Copyright (c) ollama_lab.distributed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action of ollama_lab.distributed.lab_files (docs in plugins/modules/lab_files.py)."""

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

import hashlib
from typing import Any, Dict, List, Mapping, Optional

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_bytes
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible_collections.ollama_lab.distributed.plugins.plugin_utils.remote_shell import (
    attrs_match, attrs_script, run_lines)


def _seen_in_place(want: Mapping[str, Any], line: str, kind: str) -> bool:
    fields = line.split()
    if kind == "f" and fields[:1] == ["f"] and not boolean(want.get("force", True), strict=False):
        return True  # kept as it is once written
    if len(fields) != (5 if kind == "f" else 4) or fields[0] != kind:
        return False
    if kind == "f" and fields[4] != hashlib.sha1(to_bytes(want.get("content", ""))).hexdigest():
        return False
    return attrs_match(want, fields[1], fields[2], fields[3])


def in_place(directories: List[Mapping[str, Any]], files: List[Mapping[str, Any]], lines: List[str]) -> bool:
    """Whether every directory and file the shell saw (``lines`` of attrs_script, directories first)
    is as asked."""
    wanted = [(d, "d") for d in directories] + [(f, "f") for f in files]
    return len(lines) == len(wanted) and all(_seen_in_place(want, line, kind)
                                             for (want, kind), line in zip(wanted, lines))


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
        if looked and (directories or files):
            paths = [d["path"] for d in directories] + [f["dest"] for f in files]
            try:
                lines = run_lines(self, attrs_script(paths), len(paths))
            except AnsibleActionFail:
                lines = []
            if in_place(directories, files, lines):
                result.update(changed=False, changed_paths=[], quick=True)
                return result
        result.update(self._execute_module(module_name="ollama_lab.distributed.lab_files",
                                           module_args=args, task_vars=task_vars))
        result["quick"] = False
        return result
