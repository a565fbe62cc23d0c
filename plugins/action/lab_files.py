# Copyright (c) ollama_lab.distributed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action of ollama_lab.distributed.lab_files (docs in plugins/modules/lab_files.py)."""

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

import os
from typing import Any, Dict, List, Mapping, Optional

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible.template import generate_ansible_template_vars
from ansible_collections.ollama_lab.distributed.plugins.plugin_utils.remote_shell import files_in_place

try:
    from ansible.template import trust_as_template
except ImportError:  # ansible-core before 2.19 renders any string
    def trust_as_template(value: str) -> str:
        return value


class ActionModule(ActionBase):
    """Render the files given by template (``src``) on the controller, confirm every path in
    place with one shell command, else run the lab_files module."""

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp: Any = None, task_vars: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        result = super().run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        directories, files = args.get("directories") or [], args.get("files") or []
        if isinstance(files, list) and any(isinstance(f, Mapping) and f.get("src") is not None for f in files):
            files = args["files"] = self._rendered(files, task_vars or {})
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

    def _rendered(self, files: List[Any], task_vars: Mapping[str, Any]) -> List[Any]:
        """``files`` with each ``src`` template rendered into ``content``, as
        ansible.builtin.template renders (the task's variables, shallow-copied,
        plus the template_* variables and ansible_managed)."""
        out: List[Any] = []
        for index, item in enumerate(files):
            if not isinstance(item, Mapping) or item.get("src") is None:
                out.append(item)
                continue
            if item.get("content") is not None:
                raise AnsibleActionFail("files[%d] (%s): give content or src, not both" % (index, item.get("dest")))
            source = self._find_needle("templates", str(item["src"]))
            variables = dict(task_vars)
            variables.update(generate_ansible_template_vars(str(item["src"]), source, item.get("dest")))
            templar = self._templar.copy_with_new_env(searchpath=[os.path.dirname(source)],
                                                      available_variables=variables)
            with open(source, encoding="utf-8") as handle:
                text = trust_as_template(handle.read())
            rendered = dict((key, value) for key, value in item.items() if key != "src")
            rendered["content"] = templar.template(text, escape_backslashes=False)
            out.append(rendered)
        return out
