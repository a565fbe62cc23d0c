# Copyright (c) ollama_lab.distributed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read operator input by type, with one wording for what is wrong.

Every message names the variable the operator set, the value found and what
would be right: ``<variable>: found <value>, need <what>``. Booleans follow
Ansible's own reading (``boolean()``): true/false, yes/no, on/off, 1/0 in any
case, as YAML booleans, strings (INI inventories, quoted YAML, -e) or numbers.
"""

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

import json
import math
from typing import Any, Mapping, Optional, Tuple

from ansible.module_utils.parsing.convert_bool import BOOLEANS, boolean

BOOL_NEED = "true or false (also yes/no, on/off, 1/0, as a string or not)"


def show(value: Any) -> str:
    """``value`` as the operator would write it (JSON)."""
    try:
        return json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return repr(value)


def read_bool(value: Any, variable: str) -> Tuple[Optional[bool], Optional[str]]:
    """Return ``(bool, None)``, or ``(None, problem)`` when ``value`` is no boolean.

    ``None`` is not a boolean: a variable set to nothing is a mistake.
    """
    if isinstance(value, bool):
        return value, None
    candidate = value.strip().lower() if isinstance(value, str) else value
    if isinstance(candidate, (str, int, float)) and candidate in BOOLEANS:
        return boolean(candidate, strict=True), None
    return None, f"{variable}: found {show(value)}, need {BOOL_NEED}"


def read_int(value: Any, variable: str, low: Optional[int] = None,
             high: Optional[int] = None) -> Tuple[Optional[int], Optional[str]]:
    """Return ``(int, None)`` or ``(None, problem)``; digit strings are read as numbers."""
    need = "a whole number" + _range(low, high)
    if isinstance(value, bool):
        return None, f"{variable}: found {show(value)}, need {need}"
    number: Optional[int] = None
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
        number = int(value.strip())
    if number is None:
        return None, f"{variable}: found {show(value)}, need {need}"
    if (low is not None and number < low) or (high is not None and number > high):
        return None, f"{variable}: found {number}, need {need}"
    return number, None


def read_number(value: Any, variable: str, low: Optional[float] = None,
                above: Optional[float] = None) -> Tuple[Optional[float], Optional[str]]:
    """Return ``(float, None)`` or ``(None, problem)``: ``low`` inclusive, ``above`` exclusive."""
    need = "a number" + (f" of at least {low:g}" if low is not None else "") + (
        f" greater than {above:g}" if above is not None else "")
    if isinstance(value, bool):
        return None, f"{variable}: found {show(value)}, need {need}"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None, f"{variable}: found {show(value)}, need {need}"
    if math.isnan(number) or (low is not None and number < low) or (above is not None and number <= above):
        return None, f"{variable}: found {show(value)}, need {need}"
    return number, None


def _range(low: Optional[int], high: Optional[int]) -> str:
    if low is not None and high is not None:
        return f" {low}-{high}"
    if low is not None:
        return f" of at least {low}"
    if high is not None:
        return f" of at most {high}"
    return ""


def plain(value: Any) -> Any:
    """A plain-Python copy of templated data (ansible-core 2.19 hands filters lazy containers,
    whose every access and deep copy goes through the templar: copying once makes the checks cheap)."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value
