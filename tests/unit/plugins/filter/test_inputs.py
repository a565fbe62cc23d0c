# Copyright (c) ollama_lab.distributed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the run input check (input_problems, input_names) and the typed helpers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from ansible.errors import AnsibleFilterError
from ansible_collections.ollama_lab.distributed.plugins.filter.inputs import input_names, input_problems
from ansible_collections.ollama_lab.distributed.plugins.module_utils.typed import read_bool, read_int

ROOT = Path(__file__).resolve().parents[4]
ROLES = str(ROOT / "roles")
RULES = yaml.safe_load((ROOT / "roles" / "layout" / "vars" / "main.yml").read_text())["__layout_input_rules"]


def check(**values: Any) -> list[str]:
    return input_problems(values, ROLES, RULES)


@pytest.mark.parametrize("value, wanted", [
    ("false", False), ("False", False), ("no", False), ("0", False), ("off", False), (0, False), (False, False),
    ("true", True), ("True", True), ("yes", True), ("1", True), ("on", True), (1, True), (True, True),
    (" yes ", True),
])
def test_read_bool_reads_every_spelling(value: Any, wanted: bool) -> None:
    assert read_bool(value, "x") == (wanted, None)


@pytest.mark.parametrize("value", ["maybe", "", None, 2, [], "tru"])
def test_read_bool_refuses_the_rest_naming_the_variable(value: Any) -> None:
    found, problem = read_bool(value, "layout_bootstrap")
    assert found is None and problem.startswith("layout_bootstrap: found ")
    assert problem.endswith("need true or false (also yes/no, on/off, 1/0, as a string or not)")


def test_read_int() -> None:
    assert read_int("8080", "p", 1, 65535) == (8080, None)
    assert read_int(True, "p")[1] == "p: found true, need a whole number"
    assert read_int(0, "p", 1, 65535)[1] == "p: found 0, need a whole number 1-65535"


def test_good_values_and_defaults_pass() -> None:
    defaults = {}
    for path in (ROOT / "roles").glob("*/defaults/main.yml"):
        defaults.update({k: v for k, v in (yaml.safe_load(path.read_text()) or {}).items()
                         if not (isinstance(v, str) and "{{" in v)})
    assert input_problems(defaults, ROLES, RULES) == []
    assert check(cluster_summary="false", configure_redacted_copy="no", preflight_fail_on_error="True") == []


@pytest.mark.parametrize("values, message", [
    ({"cluster_summary": "maybe"},
     'cluster_summary: found "maybe", need true or false (also yes/no, on/off, 1/0, as a string or not)'),
    ({"cluster_api_timeout": -1}, "cluster_api_timeout: found -1, need a number greater than 0"),
    ({"cluster_api_timeout": "soon"}, 'cluster_api_timeout: found "soon", need a number'),
    ({"cluster_api_retries": -2}, "cluster_api_retries: found -2, need a number of at least 0"),
    ({"cluster_poll_interval": 0}, "cluster_poll_interval: found 0, need a number greater than 0"),
    ({"cluster_form_timeout": "-5"}, 'cluster_form_timeout: found "-5", need a number greater than 0'),
    ({"monitor_api_timeout": 0}, "monitor_api_timeout: found 0, need a number greater than 0"),
    ({"classroom_credentials_state_dir": "creds"},
     'classroom_credentials_state_dir: found "creds", need an absolute path (a relative one depends on where '
     'ansible runs)'),
    ({"configure_cluster_secret_dir": "./secrets"},
     'configure_cluster_secret_dir: found "./secrets", need an absolute path (a relative one depends on where '
     'ansible runs)'),
    ({"install_archive_url": "releases/node.tar.gz"},
     'install_archive_url: found "releases/node.tar.gz", need an http://, https:// or file:// URL, or an empty '
     'string'),
    ({"layout_api_port_base": 80}, "layout_api_port_base: found 80, need a number of at least 1024"),
    ({"configure_profile": "staging"}, 'configure_profile: found "staging", need one of development, testing, '
     'production'),
    ({"cluster_wait_for_health": "healthy"}, 'cluster_wait_for_health: found "healthy", need a list'),
])
def test_bad_values_are_refused_naming_the_variable(values: dict, message: str) -> None:
    assert check(**values) == [message]


def test_secrets_are_never_read() -> None:
    assert "configure_jwt_secret" not in input_names(ROLES)
    assert "cluster_api_token" not in input_names(ROLES)
    assert check(configure_jwt_secret=12345, cluster_api_token=["x"]) == []


def test_unknown_roles_dir_and_bad_values_type() -> None:
    with pytest.raises(AnsibleFilterError):
        input_names("/nonexistent")
    with pytest.raises(AnsibleFilterError):
        input_problems(["cluster_summary"], ROLES, RULES)


def test_every_secret_option_of_every_role_is_no_log() -> None:
    secret = ("token", "secret", "api_key", "password")
    for path in (ROOT / "roles").glob("*/meta/argument_specs.yml"):
        for entry in yaml.safe_load(path.read_text())["argument_specs"].values():
            for name, option in (entry.get("options") or {}).items():
                if any(word in name for word in secret) and not name.endswith(("_dir", "_file", "_files", "_length")):
                    assert option.get("no_log") is True, f"{path}: {name} is not no_log"
