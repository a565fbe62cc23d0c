# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action plugins that look at a host with one shell command (layout_facts,
probe_paths, quick_copy, lab_files), with their shell scripts run for real by /bin/sh."""

from __future__ import annotations

import grp
import hashlib
import os
import pwd
import subprocess
from pathlib import Path
from typing import Any, Dict, List
from unittest import mock

import pytest

from ansible.errors import AnsibleActionFail
from ansible.module_utils.facts.system import service_mgr as ansible_service_mgr
from ansible_collections.ollama_lab.distributed.plugins.action import lab_files, layout_facts, probe_paths, quick_copy
from ansible_collections.ollama_lab.distributed.plugins.plugin_utils import remote_shell


def shell(cmd: str, sudoable: bool = True) -> Dict[str, Any]:
    """What ActionBase._low_level_execute_command returns, for a local /bin/sh (Ansible
    appends its own command to the script, as here)."""
    done = subprocess.run(["/bin/sh", "-c", cmd + " && sleep 0"], capture_output=True, text=True, check=False)
    return {"rc": done.returncode, "stdout": done.stdout, "stderr": done.stderr}


def make(module: Any, args: Dict[str, Any], answer: Any = shell) -> Any:
    task = mock.MagicMock(args=args, check_mode=False, async_val=0, action="test")
    connection = mock.MagicMock()
    connection._shell.tmpdir = None
    action = module.ActionModule(task, connection, mock.MagicMock(), mock.MagicMock(), mock.MagicMock(),
                                 mock.MagicMock())
    action._low_level_execute_command = mock.MagicMock(side_effect=answer)
    action._execute_module = mock.MagicMock(return_value={
        "ansible_facts": {"ansible_service_mgr": "sysvinit", "discovered_interpreter_python": "/usr/bin/python3"}})
    return action


# --- layout_facts ---------------------------------------------------------------------------

@pytest.mark.parametrize("comm, found", [
    ("systemd\n", "systemd"), ("supervisord", "supervisord"), ("process_api\n", "process_api"),
    ("procd", "openwrt_init"), ("runit-init", "runit"), ("/usr/lib/systemd/systemd", "systemd"),
    ("init", None), ("bash\n", None), ("sh", None), ("", None), ("  \n", None),
])
def test_pid_1_names_the_service_manager_as_ansible_names_it(comm: str, found: Any) -> None:
    assert layout_facts.service_mgr_from_comm(comm) == found


@pytest.mark.parametrize("comm", ["systemd", "supervisord", "procd", "runit-init", "svscan", "openrc-init", "tini"])
def test_the_same_answer_as_the_setup_modules_collector(comm: str) -> None:
    module = mock.MagicMock()
    module.get_bin_path.return_value = None
    with mock.patch.object(ansible_service_mgr, "get_file_content", return_value=comm):
        expected = ansible_service_mgr.ServiceMgrFactCollector().collect(module, {"ansible_system": "Linux"})
    assert layout_facts.service_mgr_from_comm(comm + "\n") == expected["service_mgr"]


def test_a_named_pid_1_costs_one_shell_command() -> None:
    action = make(layout_facts, {}, lambda cmd, sudoable=True: {"rc": 0, "stdout": "systemd\n.\n", "stderr": ""})
    result = action.run(task_vars={})
    assert result["ansible_facts"] == {"service_mgr": "systemd"} and result["source"] == "/proc/1/comm"
    assert result["changed"] is False
    action._execute_module.assert_not_called()
    assert "/proc/1/comm" in action._low_level_execute_command.call_args.args[0]


@pytest.mark.parametrize("stdout", [".\n", "bash\n.\n", "init\n.\n"])
def test_a_shell_or_init_as_pid_1_asks_the_setup_module(stdout: str) -> None:
    action = make(layout_facts, {}, lambda cmd, sudoable=True: {"rc": 0, "stdout": stdout, "stderr": ""})
    result = action.run(task_vars={})
    assert result["ansible_facts"] == {"service_mgr": "sysvinit", "discovered_interpreter_python": "/usr/bin/python3"}
    assert result["source"] == "setup"
    assert action._execute_module.call_args.kwargs["module_args"] == {"gather_subset": ["!all", "!min", "service_mgr"]}


def test_this_machine_through_the_real_shell() -> None:
    result = make(layout_facts, {}).run(task_vars={})
    assert isinstance(result["ansible_facts"]["service_mgr"], str) and result["ansible_facts"]["service_mgr"]


# --- probe_paths ----------------------------------------------------------------------------

def test_paths_and_groups_are_seen_as_stat_and_getent_see_them(tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    (tmp_path / "file").write_text("x")
    (tmp_path / "link").symlink_to(tmp_path / "dir")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    names = ["dir", "file", "link", "dangling", "missing", "it's here"]
    paths = [str(tmp_path / n) for n in names]
    group = grp.getgrgid(os.getgid()).gr_name
    result = make(probe_paths, {"paths": paths + [paths[0]], "groups": [group, "no-such-group-x9"]}).run(task_vars={})
    seen = {Path(p).name: v for p, v in result["paths"].items()}
    assert seen["dir"] == {"exists": True, "isdir": True, "isreg": False, "islnk": False}
    assert seen["file"] == {"exists": True, "isdir": False, "isreg": True, "islnk": False}
    # a last symlink is not followed (stat follow=false): a link to a directory is no directory
    assert seen["link"] == {"exists": True, "isdir": False, "isreg": False, "islnk": True}
    assert seen["dangling"]["exists"] and seen["dangling"]["islnk"]
    assert seen["missing"] == seen["it's here"] == {"exists": False, "isdir": False, "isreg": False, "islnk": False}
    assert result["groups"] == {group: True, "no-such-group-x9": False}
    assert result["changed"] is False


def test_nothing_asked_runs_nothing() -> None:
    action = make(probe_paths, {})
    assert action.run(task_vars={})["paths"] == {}
    action._low_level_execute_command.assert_not_called()


def test_a_failing_shell_fails_the_task_with_what_it_said() -> None:
    action = make(probe_paths, {"paths": ["/x"]}, lambda cmd, sudoable=True: {"rc": 127, "stdout": "", "stderr": "sh: no"})
    with pytest.raises(Exception, match="rc=127.*sh: no"):
        action.run(task_vars={})


# --- quick_copy -----------------------------------------------------------------------------

def me() -> Dict[str, str]:
    return {"owner": pwd.getpwuid(os.getuid()).pw_name, "group": grp.getgrgid(os.getgid()).gr_name}


def with_write(action: Any, answer: Dict[str, Any]) -> List[Any]:
    """Make the action's module run (lab_files) a recorder; returns the module arguments it was given."""
    calls: List[Any] = []

    def run(module_name: str, module_args: Dict[str, Any], task_vars: Any) -> Dict[str, Any]:
        assert module_name == "ollama_lab.distributed.lab_files"
        calls.append(module_args)
        return dict(answer)
    action._execute_module = mock.MagicMock(side_effect=run)
    return calls


def test_a_file_in_place_costs_one_shell_command(tmp_path: Path) -> None:
    dest = tmp_path / "node1.yaml"
    dest.write_text("secret: s3cr3t\n")
    dest.chmod(0o640)
    action = make(quick_copy, dict(content="secret: s3cr3t\n", dest=str(dest), mode="0640", **me()))
    writes = with_write(action, {"changed": True})
    result = action.run(task_vars={})
    assert result == {"changed": False, "dest": str(dest), "quick": True} and writes == []
    # neither the content nor its checksum comes back
    assert "s3cr3t" not in repr(result) and hashlib.sha1(b"secret: s3cr3t\n").hexdigest() not in repr(result)


@pytest.mark.parametrize("change", ["content", "mode", "owner", "missing", "symbolic mode", "link"])
def test_anything_not_in_place_is_written_by_one_lab_files_run(tmp_path: Path, change: str) -> None:
    dest = tmp_path / "node1.yaml"
    dest.write_text("a: 1\n")
    dest.chmod(0o600)
    args: Dict[str, Any] = dict(content="a: 1\n", dest=str(dest), mode="0600", validate="check %s", **me())
    if change == "content":
        args["content"] = "a: 2\n"
    elif change == "mode":
        dest.chmod(0o644)
    elif change == "owner":
        args["owner"] = "no-such-owner-x9"
    elif change == "missing":
        dest.unlink()
    elif change == "symbolic mode":
        args["mode"] = "u=rw"
    else:
        (tmp_path / "real").write_text("a: 1\n")
        dest.unlink()
        dest.symlink_to(tmp_path / "real")
    action = make(quick_copy, dict(args))
    writes = with_write(action, {"changed": True, "changed_paths": [str(dest)]})
    result = action.run(task_vars={})
    assert result["changed"] is True and result["quick"] is False and result["dest"] == str(dest)
    assert writes == [{"files": [args]}]


def test_mode_as_yaml_reads_an_unquoted_octal_and_other_options_are_optional(tmp_path: Path) -> None:
    dest = tmp_path / "f"
    dest.write_text("x")
    dest.chmod(0o640)
    assert make(quick_copy, {"content": "x", "dest": str(dest), "mode": 0o640}).run(task_vars={})["quick"] is True
    assert make(quick_copy, {"content": "x", "dest": str(dest)}).run(task_vars={})["quick"] is True
    assert remote_shell.wanted_mode("0640") == 0o640 and remote_shell.wanted_mode("u+rw") is None
    assert remote_shell.wanted_mode(True) is None and remote_shell.wanted_mode(None) is None


def test_a_shell_that_cannot_tell_is_left_to_the_module(tmp_path: Path) -> None:
    action = make(quick_copy, {"content": "x", "dest": str(tmp_path / "f")},
                  lambda cmd, sudoable=True: {"rc": 1, "stdout": "", "stderr": "boom"})
    writes = with_write(action, {"changed": False})
    assert action.run(task_vars={})["quick"] is False and len(writes) == 1


# --- lab_files ------------------------------------------------------------------------------

def lab_tree(tmp_path: Path) -> Dict[str, Any]:
    """A lab in place: two directories, a file and a kept file, and the arguments that ask for them."""
    (tmp_path / "lab" / "work").mkdir(parents=True)
    (tmp_path / "lab").chmod(0o755)
    (tmp_path / "lab" / "work").chmod(0o755)
    (tmp_path / "lab" / "lab.env").write_text("TOKEN_FILE=x\n")
    (tmp_path / "lab" / "lab.env").chmod(0o644)
    (tmp_path / "lab" / "work" / "mine.yaml").write_text("the student's own edits\n")
    return {"directories": [dict(path=str(tmp_path / "lab"), mode="0755", **me()),
                            dict(path=str(tmp_path / "lab" / "work"), mode="0755")],
            "files": [dict(dest=str(tmp_path / "lab" / "lab.env"), content="TOKEN_FILE=x\n", mode="0644", **me()),
                      dict(dest=str(tmp_path / "lab" / "work" / "mine.yaml"), content="starter\n", mode="0600",
                           force="no")]}


def test_a_lab_in_place_costs_one_shell_command(tmp_path: Path) -> None:
    action = make(lab_files, lab_tree(tmp_path))
    result = action.run(task_vars={})
    assert result["changed"] is False and result["quick"] is True and result["changed_paths"] == []
    assert action._low_level_execute_command.call_count == 1 and not action._execute_module.called


@pytest.mark.parametrize("change", ["content", "file mode", "directory mode", "owner", "missing directory",
                                    "directory is a link", "kept file missing", "symbolic mode"])
def test_anything_not_in_place_is_left_to_the_lab_files_module(tmp_path: Path, change: str) -> None:
    args = lab_tree(tmp_path)
    if change == "content":
        args["files"][0]["content"] = "TOKEN_FILE=y\n"
    elif change == "file mode":
        (tmp_path / "lab" / "lab.env").chmod(0o600)
    elif change == "directory mode":
        (tmp_path / "lab" / "work").chmod(0o700)
    elif change == "owner":
        args["directories"][1]["owner"] = "no-such-owner-x9"
    elif change == "missing directory":
        args["directories"].append({"path": str(tmp_path / "lab" / "bin")})
    elif change == "directory is a link":
        (tmp_path / "elsewhere").mkdir()
        (tmp_path / "lab" / "bin").symlink_to(tmp_path / "elsewhere")
        args["directories"].append({"path": str(tmp_path / "lab" / "bin")})
    elif change == "kept file missing":
        (tmp_path / "lab" / "work" / "mine.yaml").unlink()
    else:
        args["files"][0]["mode"] = "u=rw,go=r"
    action = make(lab_files, args)
    action._execute_module.return_value = {"changed": True, "changed_paths": ["x"]}
    result = action.run(task_vars={"v": 1})
    assert result["changed"] is True and result["quick"] is False
    action._execute_module.assert_called_once_with(module_name="ollama_lab.distributed.lab_files",
                                                   module_args=args, task_vars={"v": 1})


def test_a_shell_that_cannot_tell_is_left_to_the_lab_files_module(tmp_path: Path) -> None:
    action = make(lab_files, lab_tree(tmp_path), lambda cmd, sudoable=True: {"rc": 1, "stdout": "", "stderr": "boom"})
    action._execute_module.return_value = {"changed": False, "changed_paths": []}
    assert action.run(task_vars={})["quick"] is False and action._execute_module.call_count == 1


def with_templates(action: Any, tmp_path: Path) -> Any:
    """Give the action a real templar and a templates/ directory (ansible.builtin.template's lookup)."""
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar

    (tmp_path / "templates").mkdir(exist_ok=True)
    (tmp_path / "templates" / "lab.env.j2").write_text("# {{ ansible_managed }}\nSTUDENT={{ student }}\n{% if x %}\nX\n{% endif %}\n")
    action._templar = Templar(loader=DataLoader())
    action._find_needle = mock.MagicMock(side_effect=lambda kind, name: str(tmp_path / kind / name))
    return action


def test_a_template_is_rendered_on_the_controller_with_the_task_variables(tmp_path: Path) -> None:
    args = lab_tree(tmp_path)
    args["files"][0] = dict(dest=str(tmp_path / "lab" / "lab.env"), src="lab.env.j2", mode="0644", **me())
    action = with_templates(make(lab_files, args), tmp_path)
    action._execute_module.return_value = {"changed": True, "changed_paths": ["x"]}
    result = action.run(task_vars={"student": "ann", "x": False})
    assert result["quick"] is False
    sent = action._execute_module.call_args.kwargs["module_args"]["files"][0]
    assert "src" not in sent and sent["content"] == "# Ansible managed\nSTUDENT=ann\n"
    assert args["files"][0]["src"] == "lab.env.j2"  # the task's own arguments are left as they were
    # once the file holds what the template renders, one shell command finds it in place
    (tmp_path / "lab" / "lab.env").write_text(sent["content"])
    again = with_templates(make(lab_files, args), tmp_path)
    assert again.run(task_vars={"student": "ann", "x": False})["quick"] is True


def test_content_and_src_together_fail_naming_the_file(tmp_path: Path) -> None:
    args = lab_tree(tmp_path)
    args["files"][0]["src"] = "lab.env.j2"
    action = with_templates(make(lab_files, args), tmp_path)
    with pytest.raises(AnsibleActionFail, match=r"files\[0\] \(.*lab.env\): give content or src, not both"):
        action.run(task_vars={})
