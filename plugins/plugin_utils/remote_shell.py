# Copyright (c) ollama_lab.distributed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read-only looks at a host through one POSIX shell command, no Python on the target.

A module costs a Python start and the transfer of its code on every host
(0.3-1 s on a loaded machine); a shell command over the same connection costs
a fraction of it. The action plugins ``layout_facts``, ``probe_paths``,
``quick_copy`` and ``lab_files`` use this to confirm, on a warm run, that what they look at is
already in place, and fall back to the real modules when it is not.
"""

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

import hashlib
import shlex
from typing import Any, List, Mapping, Optional, Sequence

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.module_utils.parsing.convert_bool import boolean


def quote(value: Any) -> str:
    """One shell word for ``value``."""
    return shlex.quote(str(value))


def run_lines(action: Any, script: str, expected: Optional[int] = None) -> List[str]:
    """Run ``script`` (one line: Ansible appends to it) on the action's host (with its become settings) and return
    its output lines; fail when it does not succeed or, with ``expected``, prints
    another number of lines (one answer per question asked)."""
    res = action._low_level_execute_command(script, sudoable=True)
    lines = to_text(res.get("stdout", ""), errors="surrogate_or_strict").splitlines()
    if res.get("rc", 1) != 0 or (expected is not None and len(lines) != expected):
        raise AnsibleActionFail(
            "the look at the host failed (rc=%s, %d line(s) for %s question(s)): %s"
            % (res.get("rc"), len(lines), expected, to_text(res.get("stderr", "")).strip()[:500]))
    return lines


def path_type_script(paths: Sequence[Any]) -> str:
    """Print one letter per path, not following a last symlink: l(ink), d(irectory),
    f(ile), o(ther), or - (absent)."""
    return "; ".join(
        "p=%s; if [ -L \"$p\" ]; then echo l; elif [ -d \"$p\" ]; then echo d; elif [ -f \"$p\" ]; then echo f; "
        "elif [ -e \"$p\" ]; then echo o; else echo -; fi" % quote(path)
        for path in paths)


def attrs_script(paths: Sequence[Any]) -> str:
    """Print one line per path, not following a last symlink: ``d <mode> <owner> <group>`` for a
    directory, ``f <mode> <owner> <group> <sha1>`` for a regular file, ``-`` for anything else."""
    return "; ".join(
        "p=%s; if [ -L \"$p\" ]; then echo -; elif [ -d \"$p\" ]; then echo \"d $(stat -c '%%a %%U %%G' -- \"$p\")\"; "
        "elif [ -f \"$p\" ]; then echo \"f $(stat -c '%%a %%U %%G' -- \"$p\") $(sha1sum < \"$p\" | cut -c1-40)\"; "
        "else echo -; fi" % quote(path)
        for path in paths)


def wanted_mode(mode: Any) -> Optional[int]:
    """The permission bits of an octal ``mode`` ("0640", or 416 as YAML reads 0640); None for a
    symbolic or missing mode, which only the modules can judge."""
    if isinstance(mode, int) and not isinstance(mode, bool):
        return mode
    if isinstance(mode, str) and mode.isdigit() and all(c in "01234567" for c in mode):
        return int(mode, 8)
    return None


def attrs_match(want: Mapping[str, Any], mode: str, owner: str, group: str) -> bool:
    """Whether the mode, owner and group seen are the ones asked for (those not asked for match)."""
    if want.get("mode") is not None and (wanted_mode(want["mode"]) != int(mode, 8)):
        return False
    return all(want.get(key) is None or str(want[key]) == found for key, found in (("owner", owner), ("group", group)))


def _seen_in_place(want: Mapping[str, Any], line: str, kind: str) -> bool:
    fields = line.split()
    if kind == "f" and fields[:1] == ["f"] and not boolean(want.get("force", True), strict=False):
        return True  # kept as it is once written
    if len(fields) != (5 if kind == "f" else 4) or fields[0] != kind:
        return False
    if kind == "f" and fields[4] != hashlib.sha1(to_bytes(want.get("content", ""))).hexdigest():
        return False
    return attrs_match(want, fields[1], fields[2], fields[3])


def files_in_place(action: Any, directories: Sequence[Mapping[str, Any]], files: Sequence[Mapping[str, Any]]) -> bool:
    """Whether every directory (``path``) and file (``dest``, ``content``, ``force``) is already as asked,
    with its owner, group and mode, seen with one shell command on the action's host (attrs_script);
    false when the shell cannot tell. The one warm look of ``quick_copy`` and ``lab_files``."""
    wanted = [(d, "d") for d in directories] + [(f, "f") for f in files]
    if not wanted:
        return False
    paths = [d["path"] for d in directories] + [f["dest"] for f in files]
    try:
        lines = run_lines(action, attrs_script(paths), len(paths))
    except AnsibleActionFail:
        return False
    return all(_seen_in_place(want, line, kind) for (want, kind), line in zip(wanted, lines))
