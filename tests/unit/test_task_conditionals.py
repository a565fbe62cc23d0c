# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every conditional in the collection's YAML is a string (or a boolean).

An unquoted list item such as ``- result is search('ben: ok')`` is a YAML
mapping, not an expression: ansible-core 2.19 fails the task with
"Conditional expressions must be strings" only when the task runs, which
for a molecule verify step is many minutes into a test. This finds them in
milliseconds, in every tracked YAML file of roles, playbooks and scenarios.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any, Iterator, List, Tuple

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
CONDITIONAL_KEYS = frozenset(("that", "when", "failed_when", "changed_when", "until"))
FOLDERS = ("roles", "playbooks", "molecule")


class _Loader(yaml.SafeLoader):
    """Safe loading that leaves Ansible's tags (!vault, !unsafe) alone."""


_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)


def _yaml_files() -> List[Path]:
    out = subprocess.run(["git", "ls-files", "--", *FOLDERS], cwd=REPO_ROOT, check=True,
                         capture_output=True, text=True).stdout.split()
    return [REPO_ROOT / name for name in out if name.endswith((".yml", ".yaml"))]


def _bad_conditionals(node: Any, where: str) -> Iterator[Tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in CONDITIONAL_KEYS:
                for item in value if isinstance(value, list) else [value]:
                    if not isinstance(item, (str, bool)):
                        yield f"{where}/{key}", item
            yield from _bad_conditionals(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _bad_conditionals(item, f"{where}[{index}]")


def test_the_scan_sees_the_collection():
    files = _yaml_files()
    assert any(f.match("roles/*/tasks/main.yml") for f in files)
    assert any(f.match("molecule/*/molecule.yml") for f in files)


def test_a_colon_in_an_unquoted_conditional_is_found():
    doc = yaml.load("- assert:\n    that:\n      - out is search('ben: ok')\n", Loader=_Loader)
    assert list(_bad_conditionals(doc, "x")) == [("x[0]/assert/that", {"out is search('ben": "ok')"})]


@pytest.mark.parametrize("path", _yaml_files(), ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_conditionals_are_strings(path: Path):
    problems = [
        (where, item)
        for document in yaml.load_all(path.read_text(encoding="utf-8"), Loader=_Loader)
        for where, item in _bad_conditionals(document, "")
    ]
    assert not problems, f"conditionals that YAML did not read as strings (quote them): {problems}"
