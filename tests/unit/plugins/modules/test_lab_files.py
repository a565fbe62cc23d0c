# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab_files module: a student's lab directories and files in one run; a warm run changes nothing."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any, Dict

from ansible_collections.ollama_lab.distributed.plugins.modules import lab_files


def _args(root: Path, env: str = "export A=1\n") -> Dict[str, Any]:
    return {
        "directories": [{"path": str(root / "lab"), "mode": "0755"}, {"path": str(root / "lab" / "work"), "mode": "0750"}],
        "files": [
            {"dest": str(root / "lab" / "lab.env"), "content": env, "mode": "0644"},
            {"dest": str(root / "lab" / "work" / "validation.yaml"), "content": "checks: []\n", "mode": "0644",
             "force": False},
        ],
    }


def _mode(path: Path) -> str:
    return oct(stat.S_IMODE(path.stat().st_mode))


def test_creates_everything_then_a_second_run_changes_nothing(tmp_path: Path, run_module) -> None:
    first = run_module(lab_files, _args(tmp_path))
    assert not first.failed and first["changed"] is True
    assert first["changed_paths"] == [str(tmp_path / "lab"), str(tmp_path / "lab" / "work"),
                                      str(tmp_path / "lab" / "lab.env"), str(tmp_path / "lab" / "work" / "validation.yaml")]
    assert (tmp_path / "lab" / "lab.env").read_text() == "export A=1\n"
    assert _mode(tmp_path / "lab" / "work") == "0o750" and _mode(tmp_path / "lab" / "lab.env") == "0o644"
    again = run_module(lab_files, _args(tmp_path))
    assert not again.failed and again["changed"] is False and again["changed_paths"] == []


def test_replaces_a_changed_file_keeps_the_student_s_work_and_fixes_modes(tmp_path: Path, run_module) -> None:
    run_module(lab_files, _args(tmp_path))
    work = tmp_path / "lab" / "work" / "validation.yaml"
    work.write_text("checks: [mine]\n")
    os.chmod(tmp_path / "lab", 0o700)
    run = run_module(lab_files, _args(tmp_path, env="export A=2\n"), diff=True)
    assert not run.failed and run["changed"] is True
    assert run["changed_paths"] == [str(tmp_path / "lab"), str(tmp_path / "lab" / "lab.env")]
    assert (tmp_path / "lab" / "lab.env").read_text() == "export A=2\n"
    assert work.read_text() == "checks: [mine]\n"
    assert _mode(tmp_path / "lab") == "0o755"
    assert run["diff"] == [{"before_header": str(tmp_path / "lab" / "lab.env"), "after_header": str(tmp_path / "lab" / "lab.env"),
                            "before": "export A=1\n", "after": "export A=2\n"}]
    assert not [p for p in (tmp_path / "lab").iterdir() if p.name.startswith(".lab_files.")]


def test_check_mode_reports_and_writes_nothing(tmp_path: Path, run_module) -> None:
    run = run_module(lab_files, _args(tmp_path), check_mode=True)
    assert not run.failed and run["changed"] is True and len(run["changed_paths"]) == 4
    assert not (tmp_path / "lab").exists()
    run_module(lab_files, _args(tmp_path))
    preview = run_module(lab_files, _args(tmp_path, env="export A=3\n"), check_mode=True)
    assert preview["changed_paths"] == [str(tmp_path / "lab" / "lab.env")]
    assert (tmp_path / "lab" / "lab.env").read_text() == "export A=1\n"


def test_validate_checks_the_new_content_before_it_replaces_the_file(tmp_path: Path, run_module) -> None:
    dest = tmp_path / "node1.yaml"
    dest.write_text("good: 1\n")
    check = "grep -q good %s"
    bad = run_module(lab_files, {"files": [{"dest": str(dest), "content": "bad: 1\n", "mode": "0640", "validate": check}]})
    assert bad.failed and bad["msg"] == "failed to validate the new content of %s" % dest and bad["exit_status"] == 1
    assert dest.read_text() == "good: 1\n" and sorted(p.name for p in tmp_path.iterdir()) == ["node1.yaml"]
    good = run_module(lab_files, {"files": [{"dest": str(dest), "content": "good: 2\n", "mode": "0640", "validate": check}]})
    assert not good.failed and good["changed"] is True and dest.read_text() == "good: 2\n" and _mode(dest) == "0o640"
    # unchanged content: the command does not run (it would fail here)
    same = run_module(lab_files, {"files": [{"dest": str(dest), "content": "good: 2\n", "validate": "false %s"}]})
    assert not same.failed and same["changed"] is False


def test_validate_needs_the_placeholder_and_the_directory_must_exist(tmp_path: Path, run_module) -> None:
    run = run_module(lab_files, {"files": [{"dest": str(tmp_path / "f"), "content": "x", "validate": "true"}]})
    assert run.failed and "must contain %s" in run["msg"] and not (tmp_path / "f").exists()
    assert list(tmp_path.iterdir()) == []
    run = run_module(lab_files, {"files": [{"dest": str(tmp_path / "no" / "f"), "content": "x"}]})
    assert run.failed and run["msg"] == "Destination directory %s does not exist" % (tmp_path / "no")


def test_src_is_for_the_action_and_excludes_content(tmp_path: Path, run_module) -> None:
    dest = tmp_path / "lab.env"
    alone = run_module(lab_files, {"files": [{"dest": str(dest), "src": "lab.env.j2"}]})
    assert alone.failed and alone["msg"] == "%s: src is a template on the controller; run lab_files as a task" % dest
    both = run_module(lab_files, {"files": [{"dest": str(dest), "src": "lab.env.j2", "content": "x"}]})
    assert both.failed and "mutually exclusive" in both["msg"] and not dest.exists()
    neither = run_module(lab_files, {"files": [{"dest": str(dest)}]})
    assert neither.failed and "one of the following is required" in neither["msg"]
