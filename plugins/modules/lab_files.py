#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) ollama_lab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r'''
---
module: lab_files
short_description: Put directories and files (a student's lab, an install's directories) in place in one module run
version_added: 0.2.0
description:
  - Creates the given directories and writes the given files (content rendered on the controller),
    with their owner, group and mode, in one run on the machine, where one M(ansible.builtin.file),
    M(ansible.builtin.copy) or M(ansible.builtin.template) task per path would cost a connection
    round trip each. A warm run that finds everything in place changes nothing.
  - Used for a student's lab (the lab role) and for the directories of an install (the install role).
  - When every directory and file is already as asked (type, owner, group, mode, the content's SHA-1),
    one shell command on the machine tells so and the module does not run; anything else, a symbolic
    O(files[].mode) or O(directories[].mode) included, is left to the module.
  - File content comes as text (O(files[].content)) or from a template on the controller (O(files[].src)),
    rendered once for the task.
  - A file is replaced (atomically) only when its content differs; with O(files[].force=false) an
    existing file is left as it is (a file the student works on).
author:
  - ollama_lab maintainers (@ollama-lab)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Reports what would be created or replaced; writes nothing.
  diff_mode:
    support: full
    details: Shows the content before and after of each file created or replaced. Keep secrets out of
      O(files) (their content would show); write them with a task of their own under C(no_log).
  platform:
    platforms: posix
options:
  directories:
    description: Directories to create (parents first), with their attributes.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Absolute path.
        type: path
        required: true
      owner:
        description: Owner (user name).
        type: str
      group:
        description: Group name.
        type: str
      mode:
        description: Mode, for example C("0755").
        type: raw
  files:
    description: Files to write.
    type: list
    elements: dict
    default: []
    suboptions:
      dest:
        description: Absolute path; its directory must exist or be in O(directories).
        type: path
        required: true
      content:
        description: The whole content of the file. Give O(files[].content) or O(files[].src).
        type: str
      src:
        description:
          - A Jinja2 template on the controller, found as M(ansible.builtin.template) finds its C(src)
            (the role's C(templates/) first), rendered there with the task's variables. Give
            O(files[].content) or O(files[].src).
          - Cheaper than C(content) from a template lookup, which copies every variable of the host
            for each file.
        type: str
      owner:
        description: Owner (user name).
        type: str
      group:
        description: Group name.
        type: str
      mode:
        description: Mode, for example C("0644").
        type: raw
      force:
        description: Replace an existing file whose content differs; false leaves an existing file alone.
        type: bool
        default: true
      validate:
        description:
          - Command that checks the new content before it replaces the file, with C(%s) for the path of
            a temporary file holding it (in the file's directory), as in M(ansible.builtin.copy). Runs
            only when the content changes, not in check mode; the module fails with the command's
            output when it does not exit 0, and the file is left as it was.
        type: str
'''

EXAMPLES = r'''
- name: Put the lab in place
  ollama_lab.distributed.lab_files:
    directories:
      - {path: /opt/ollama-lab/ann, owner: student, mode: "0755"}
    files:
      - {dest: /opt/ollama-lab/ann/lab.env, content: "export TOKEN_FILE=...\n", owner: root, mode: "0644"}
      - {dest: /opt/ollama-lab/ann/EXERCISES.md, src: EXERCISES.md.j2, owner: root, mode: "0644"}
      - {dest: /opt/ollama-lab/ann/work/notes.md, content: "# notes\n", owner: student, mode: "0644", force: false}
'''

RETURN = r'''
changed_paths:
  description: The directories and files created, replaced or whose attributes changed (or would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: [/opt/ollama-lab/ann/lab.env]
quick:
  description: True when one shell command found everything in place and the module did not run.
  returned: always
  type: bool
  sample: true
'''

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes

ATTRS = ("owner", "group", "mode")


def _attrs(module: AnsibleModule, path: str, spec: dict) -> dict:
    args = module.load_file_common_arguments({"path": path})
    for key in ATTRS:
        args[key] = spec.get(key)
    return args


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def _directory(module: AnsibleModule, spec: dict) -> bool:
    path = spec["path"]
    created = not os.path.isdir(path)
    if created and not module.check_mode:
        os.makedirs(path, exist_ok=True)  # several runs may create it at once
    if created and module.check_mode:
        return True
    return module.set_fs_attributes_if_different(_attrs(module, path, spec), created)


def _check(module: AnsibleModule, spec: dict, tmp: str) -> None:
    """Run the file's validate command on ``tmp``; fail (removing it) when it does not exit 0."""
    command = spec.get("validate")
    if not command:
        return
    if "%s" not in command:
        os.unlink(tmp)
        module.fail_json(msg="validate of %s must contain %%s (the path of the new content), found %r"
                         % (spec["dest"], command))
    rc, out, err = module.run_command(command % tmp)
    if rc != 0:
        os.unlink(tmp)
        module.fail_json(msg="failed to validate the new content of %s" % spec["dest"], exit_status=rc,
                         stdout=out, stderr=err)


def _file(module: AnsibleModule, spec: dict, diffs: list) -> bool:
    dest = spec["dest"]
    want = to_bytes(spec["content"], errors="surrogate_or_strict")
    if not os.path.isdir(os.path.dirname(dest)) and not module.check_mode:
        module.fail_json(msg="Destination directory %s does not exist" % os.path.dirname(dest))
    have = _read(dest)
    if have is not None and not spec["force"]:
        return False
    replace = have != want
    if replace:
        diffs.append({"before_header": dest, "after_header": dest,
                      "before": (have or b"").decode("utf-8", "replace"), "after": spec["content"]})
    if module.check_mode:
        if have is None:
            return True
        return module.set_fs_attributes_if_different(_attrs(module, dest, spec), replace)
    if replace:
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(dest), prefix=".lab_files.")
        with os.fdopen(fd, "wb") as handle:
            handle.write(want)
        _check(module, spec, tmp)
        module.atomic_move(tmp, dest)
    return module.set_fs_attributes_if_different(_attrs(module, dest, spec), replace)


def main() -> None:
    attrs = {"owner": {"type": "str"}, "group": {"type": "str"}, "mode": {"type": "raw"}}
    module = AnsibleModule(
        argument_spec={
            "directories": {"type": "list", "elements": "dict", "default": [],
                            "options": dict(attrs, path={"type": "path", "required": True})},
            "files": {"type": "list", "elements": "dict", "default": [],
                      "options": dict(attrs, dest={"type": "path", "required": True},
                                      content={"type": "str"}, src={"type": "str"},
                                      force={"type": "bool", "default": True},
                                      validate={"type": "str"}),
                      "required_one_of": [["content", "src"]], "mutually_exclusive": [["content", "src"]]},
        },
        supports_check_mode=True,
    )
    changed_paths = []
    diffs: list = []
    for spec in module.params["directories"]:
        if _directory(module, spec):
            changed_paths.append(spec["path"])
    for spec in module.params["files"]:
        if spec["content"] is None:  # src: the action renders it; the module alone cannot
            module.fail_json(msg="%s: src is a template on the controller; run lab_files as a task" % spec["dest"])
        if _file(module, spec, diffs):
            changed_paths.append(spec["dest"])
    result = {"changed": bool(changed_paths), "changed_paths": changed_paths}
    if module._diff:
        result["diff"] = diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
