# Copyright (c) ollama_lab.distributed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check every role variable of a run at once, before the first change.

The roles' own argument specs (``roles/*/meta/argument_specs.yml``) give each
variable's type and choices; ``rules`` adds what a spec cannot say (a timeout
above 0, retries of 0 or more, an absolute path, a URL). The layout role runs
this first in every playbook, so a bad ``cluster_*`` value fails before
install and configure change anything, naming the variable, the value and
what would be right. Variables marked ``no_log`` are never read here (the
configure role checks the secrets without showing them).
"""

from __future__ import annotations

import functools
import os
import re
from typing import Any, Mapping

import yaml

from ansible.errors import AnsibleFilterError
from ansible_collections.ollama_lab.distributed.plugins.module_utils.typed import (
    plain,
    read_bool,
    read_int,
    read_number,
    show,
)

URL_RE = re.compile(r"^(?:https?|file)://[^\s/]*(?:/\S*)?$")
# libyaml's loader where PyYAML has it: the specs are read on every host of a
# play (a fresh worker process each), and the pure Python one takes 0.1-0.6 s.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.lru_cache(maxsize=8)
def _specs(roles_dir: str) -> dict[str, dict[str, Any]]:
    """Every option of every entry point of every role under ``roles_dir``."""
    options: dict[str, dict[str, Any]] = {}
    for role in sorted(os.listdir(roles_dir)):
        path = os.path.join(roles_dir, role, "meta", "argument_specs.yml")
        if not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8") as stream:
            data = yaml.load(stream, Loader=_LOADER) or {}  # a safe loader (_LOADER)
        for entry in (data.get("argument_specs") or {}).values():
            for name, option in ((entry or {}).get("options") or {}).items():
                options.setdefault(name, option or {})
    return options


def input_names(roles_dir: str) -> list[str]:
    """The variables ``input_problems`` checks: every option of the roles, ``no_log`` ones left out."""
    if not os.path.isdir(str(roles_dir)):
        raise AnsibleFilterError(f"input_names: {roles_dir!r} is not the collection's roles directory")
    return sorted(n for n, o in _specs(str(roles_dir)).items() if not o.get("no_log"))


def _type_problem(name: str, value: Any, option: Mapping[str, Any]) -> str | None:
    kind = option.get("type", "str")
    if kind == "bool":
        return read_bool(value, name)[1]
    if kind == "int":
        return read_int(value, name)[1]
    if kind == "float":
        return read_number(value, name)[1]
    if kind in ("str", "path") and (isinstance(value, bool) or not isinstance(value, (str, int, float))):
        return f"{name}: found {show(value)}, need a string"
    if kind == "list" and not isinstance(value, list):
        return f"{name}: found {show(value)}, need a list"
    if kind == "dict" and not isinstance(value, Mapping):
        return f"{name}: found {show(value)}, need a mapping"
    choices = option.get("choices")
    if choices and kind != "list" and value not in choices:
        return f"{name}: found {show(value)}, need one of {', '.join(str(c) for c in choices)}"
    if choices and kind == "list":
        bad = [v for v in value if v not in choices]
        if bad:
            return f"{name}: found {show(bad)}, need items among {', '.join(str(c) for c in choices)}"
    return None


def _rule_problem(name: str, value: Any, rule: Mapping[str, Any]) -> str | None:
    if "min" in rule or "above" in rule:
        return read_number(value, name, low=rule.get("min"), above=rule.get("above"))[1]
    if rule.get("absolute") and not (isinstance(value, str) and (value.startswith("/") or value.startswith("~"))):
        return f"{name}: found {show(value)}, need an absolute path (a relative one depends on where ansible runs)"
    if rule.get("url") and value not in ("", None) and not (isinstance(value, str) and URL_RE.match(value)):
        return f"{name}: found {show(value)}, need an http://, https:// or file:// URL, or an empty string"
    return None


def input_problems(values: Mapping[str, Any], roles_dir: str, rules: Mapping[str, Any] | None = None) -> list[str]:
    """Return ``<variable>: found <value>, need <what>`` for every bad value in ``values``."""
    if not isinstance(values, Mapping):
        raise AnsibleFilterError("input_problems: expected a mapping of variable names to values")
    specs = _specs(str(roles_dir))
    values, rules = plain(values), plain(rules or {})
    problems = []
    for name in sorted(values):
        option = specs.get(name)
        if option is None or option.get("no_log"):
            continue
        problem = _type_problem(name, values[name], option)
        if problem is None and name in rules:
            problem = _rule_problem(name, values[name], rules[name])
        if problem:
            problems.append(problem)
    return problems


class FilterModule:
    """The run input filters."""

    def filters(self) -> dict[str, Any]:
        return {"input_problems": input_problems, "input_names": input_names}
