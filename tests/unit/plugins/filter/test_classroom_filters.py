# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the classroom filters and the lab helper's exercise checks."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import os
import shutil
import subprocess
import stat
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.ollama_lab.distributed.plugins.filter.classroom import (
    FilterModule, classroom_failure, classroom_lab_node, classroom_progress,
    classroom_progress_csv, classroom_progress_html, classroom_seats)

ROOT = Path(__file__).resolve().parents[4]
MODEL_IDS = ["models_pull", "models_generate", "models_chat", "models_served_by", "models_delete"]
EXERCISE_IDS = ["installation", "configuration", "cluster_operations", "api_integration", "validation"] + MODEL_IDS


def load_lab() -> Any:
    spec = importlib.util.spec_from_file_location("lab_helper", ROOT / "roles" / "lab" / "files" / "lab.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


LAB = load_lab()


def node(i: int, machine: str = "m1") -> dict[str, Any]:
    return {"id": f"s-node{i}", "host": f"s-node{i}", "machine": machine, "bootstrap": i == 1,
            "api_url": f"http://10.0.0.{i}:8080", "local_url": f"http://127.0.0.1:{8078 + 2 * i}",
            "web_url": f"http://10.0.0.{i}:8081", "service_manager": "systemd",
            "service_name": f"ollama-distributed@s-node{i}.service", "config_file": f"/etc/o/s-node{i}.yaml"}


def test_filters_are_registered() -> None:
    assert set(FilterModule().filters()) == {"classroom_lab_node", "classroom_failure", "classroom_seats", "classroom_progress", "classroom_progress_csv",
                                             "classroom_progress_html"}


def test_lab_node_uses_the_local_url_on_its_own_machine_only() -> None:
    here = classroom_lab_node(node(1, "m1"), "m1")
    there = classroom_lab_node(node(2, "m2"), "m1")
    assert here["local"] and here["api_url"] == here["url"] == "http://127.0.0.1:8080"
    assert not there["local"] and there["api_url"] == "http://10.0.0.2:8080"
    assert here["bootstrap"] and not there["bootstrap"]


def test_lab_node_rejects_what_is_not_a_node() -> None:
    with pytest.raises(AnsibleFilterError, match="layout node"):
        classroom_lab_node({"port": 1}, "m1")


def hv(student: str, i: int, seat: Any = None) -> dict[str, Any]:
    data: dict[str, Any] = {"classroom_student_id": student, "classroom_student_name": student.title(),
                            "classroom_topology": "single_host"}
    if seat is not None:
        data["_classroom_seat"] = seat
    return data


def test_seats_name_every_failed_node_and_why() -> None:
    hostvars = {
        "ann-node1": hv("ann", 1, {"ok": True}), "ann-node2": hv("ann", 2, {"ok": True}),
        "bob-node1": hv("bob", 1, {"ok": False, "step": "install", "task": "Copy the binary", "msg": "disk full"}),
        "bob-node2": hv("bob", 2),  # dropped out: no record
        "bob-node3": hv("bob", 3, {"ok": False, "task": "Install", "msg": "no step recorded"}),
    }
    seats = classroom_seats(hostvars, list(hostvars))
    assert [s["student"] for s in seats] == ["ann", "bob"]
    assert seats[0]["ok"] and seats[0]["failures"] == [] and seats[0]["nodes"] == ["ann-node1", "ann-node2"]
    assert not seats[1]["ok"]
    assert seats[1]["failures"][0] == {"host": "bob-node1", "step": "install", "task": "Copy the binary",
                                       "msg": "disk full"}
    assert "dropped out" in seats[1]["failures"][1]["msg"]
    assert seats[1]["reason"] == ("bob-node1: [install: Copy the binary] disk full; bob-node2: dropped out of the run "
                                  "(unreachable, or failed outside the seat's tasks); bob-node3: [Install] no step recorded")


def test_failure_record_names_the_step_and_the_task_on_one_line() -> None:
    result = {"failed": True, "msg": "unreachable:\n  ssh:   timeout", "stderr": "ignored"}
    assert classroom_failure(result, "Reach the machine", "reach") == {
        "ok": False, "step": "reach", "task": "Reach the machine", "msg": "unreachable: ssh: timeout"}
    assert classroom_failure({"stderr": "boom\n"}, "t")["msg"] == "boom"
    assert classroom_failure({"rc": 1})["msg"] == "failed"
    assert classroom_failure({"msg": ["The cluster did not form;", "node1 sees size 1"]}, "t", "start")["msg"] == (
        "The cluster did not form;; node1 sees size 1")
    long = classroom_failure({"msg": "x" * 1000})["msg"]
    assert len(long) == 400 and long.endswith("...")


def report_of(done: dict[str, bool], health: str = "healthy") -> dict[str, Any]:
    return {
        "checked_at": "2025-01-01T00:00:00Z",
        "exercises": [{"id": key, "title": key, "done": done.get(key, False), "detail": "why " + key} for key in EXERCISE_IDS],
        "health": {"cluster": {"health": health, "size": 3, "expected_size": 3, "leader": "x-node1"},
                   "nodes": [{"id": "x-node1", "status": health}]},
    }


def sample_report() -> dict[str, Any]:
    results = [
        {"student": "zoe", "name": "Zoe <Z>", "error": "unreachable: ssh timeout"},
        {"student": "ann", "name": "Ann", "report": report_of({"cluster_operations": True})},
        {"student": "bob", "name": "Bob", "report": report_of({"cluster_operations": True, "validation": True,
                                                               "models_chat": True}, "degraded")},
    ]
    return classroom_progress(results, "llm-ops", "2025-01-01T00:00:00Z")


def test_progress_grid_is_sorted_and_counts_done_exercises() -> None:
    report = sample_report()
    assert [s["student"] for s in report["students"]] == ["ann", "bob", "zoe"]
    ann, bob, zoe = report["students"]
    assert ann["exercises"]["cluster_operations"] is True and ann["exercises"]["installation"] is False
    assert ann["done"] == 1 and bob["done"] == 3
    assert zoe["exercises"] == {key: None for key in EXERCISE_IDS} and zoe["error"].startswith("unreachable")
    totals = {e["id"]: e["done"] for e in report["exercises"]}
    assert totals == dict({key: 0 for key in EXERCISE_IDS}, cluster_operations=2, validation=1, models_chat=1)
    assert [e["title"] for e in report["exercises"]][5:7] == ["Models: pull", "Models: generate"]
    json.dumps(report)  # the report is written as JSON


def test_progress_csv_has_one_row_per_student() -> None:
    rows = list(csv.reader(io.StringIO(classroom_progress_csv(sample_report()))))
    assert rows[0][:12] == ["student", "name"] + EXERCISE_IDS
    assert rows[1][:12] == ["ann", "Ann", "not done", "not done", "done", "not done", "not done"] + ["not done"] * 5
    assert rows[2][9] == "done" and rows[2][12:14] == ["3", "degraded"]
    assert rows[3][2] == "unknown" and rows[3][-1].startswith("unreachable")


class Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.cells: dict[tuple[str, str], str] = {}
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "td" and a.get("data-exercise"):
            self.cells[(str(a["data-student"]), str(a["data-exercise"]))] = str(a.get("class"))
        if tag in ("script", "link", "img") or (a.get("src") or "").startswith("http"):
            self.external.append(tag)


def test_progress_html_grid_reflects_each_cell_and_escapes() -> None:
    page = classroom_progress_html(sample_report())
    parser = Cells()
    parser.feed(page)
    assert parser.cells[("ann", "cluster_operations")] == "done"
    assert parser.cells[("ann", "validation")] == "todo"
    assert parser.cells[("bob", "validation")] == "done"
    assert parser.cells[("zoe", "installation")] == "unknown"
    assert parser.cells[("bob", "models_chat")] == "done" and parser.cells[("ann", "models_pull")] == "todo"
    assert len(parser.cells) == 30
    assert parser.external == []  # self-contained
    assert "Zoe &lt;Z&gt;" in page and "<Z>" not in page
    assert "degraded (3/3, leader x-node1)" in page


METRICS = """# TYPE ollama_distributed_requests_total counter
ollama_distributed_requests_total{route="/api/version",code="200"} 2
ollama_distributed_requests_total{route="/api/v1/auth/token",code="401"} 1
ollama_distributed_requests_total{route="/api/v1/auth/token",code="200"} 3
ollama_distributed_up 1
"""


def lab_config(tmp_path: Path, binary: str = "/bin/true") -> dict[str, Any]:
    work = tmp_path / "work"
    work.mkdir()
    return {"class": "c", "student": "ann", "name": "Ann", "expected_size": 3, "binary": binary,
            "token_file": str(tmp_path / "token"), "work_dir": str(work),
            "nodes": [{"id": f"ann-node{i}", "api_url": f"http://127.0.0.1:{1 + i}"} for i in range(1, 4)]}


def test_lab_counter_reads_route_and_code() -> None:
    assert LAB.counter(METRICS, "/api/v1/auth/token", "200") == 3
    assert LAB.counter(METRICS, "/api/v1/auth/token") == 4
    assert LAB.counter(METRICS, "/api/generate") == 0


def test_lab_checks_decide_from_the_cluster_state(tmp_path: Path) -> None:
    lab = lab_config(tmp_path)
    idle = {"nodes": [{"id": "ann-node1", "status": "online", "tags": {}}],
            "metrics": {"ann-node1": "", "ann-node2": "", "ann-node3": ""}}
    busy = {"nodes": [{"id": "ann-node1", "status": "online", "tags": {"owner": "ann"}},
                      {"id": "ann-node3", "status": "draining", "tags": {}}],
            "metrics": {"ann-node1": METRICS, "ann-node2": METRICS, "ann-node3": METRICS}}
    for func in (LAB.check_installation, LAB.check_configuration, LAB.check_operations, LAB.check_api):
        assert func(lab, idle)[0] is False
        assert func(lab, busy)[0] is True
    half = dict(busy, metrics={"ann-node1": METRICS, "ann-node2": "", "ann-node3": ""})
    done, detail = LAB.check_installation(lab, half)
    assert not done and "ann-node2, ann-node3" in detail
    # another student's tag does not count
    assert LAB.check_configuration(lab, {"nodes": [{"id": "x", "tags": {"owner": "bob"}}]})[0] is False


def test_lab_validation_check_runs_the_binary(tmp_path: Path) -> None:
    script = tmp_path / "fake-node"
    script.write_text("#!/bin/sh\ngrep -q 'level: info' \"$3\" && { echo configuration OK; exit 0; }\n"
                      "echo 'logging.level: must be one of debug, info'; exit 2\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    lab = lab_config(tmp_path, str(script))
    assert LAB.check_validation(lab, {})[0] is False  # no file yet
    target = Path(lab["work_dir"]) / "validation.yaml"
    target.write_text("logging:\n  level: verbose\n")
    assert LAB.check_validation(lab, {}) == (False, "1 problem(s) left in %s" % target)
    target.write_text("logging:\n  level: info\n")
    assert LAB.check_validation(lab, {})[0] is True
    assert os.path.exists(target)


def test_progress_page_renders_in_headless_chromium(tmp_path: Path) -> None:
    """The page as a browser builds it: every cell of the grid is there with its state."""
    page = tmp_path / "progress.html"
    page.write_text(classroom_progress_html(sample_report()), encoding="utf-8")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "headless chromium is needed for this test (apt-get install chromium)"
    done = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", page.as_uri()],
                          capture_output=True, text=True, timeout=120, check=True)
    parser = Cells()
    parser.feed(done.stdout)
    assert parser.cells[("bob", "models_chat")] == "done" and parser.cells[("ann", "models_pull")] == "todo"
    assert len(parser.cells) == 30
    assert parser.cells[("ann", "cluster_operations")] == "done"
    assert parser.cells[("bob", "validation")] == "done"
    assert sorted(v for v in parser.cells.values()).count("todo") == 16
    assert "<title>Class progress - llm-ops</title>" in done.stdout


MODEL_METRICS = """ollama_distributed_requests_total{route="/api/generate",code="200"} 1
ollama_distributed_requests_total{route="/api/chat",code="200"} 1
ollama_distributed_requests_total{route="/api/delete",code="200"} 1
"""


def test_lab_has_the_models_exercises_in_the_grid_order() -> None:
    assert [e[0] for e in LAB.EXERCISES] == EXERCISE_IDS


def test_lab_models_checks_decide_from_the_cluster_state(tmp_path: Path) -> None:
    lab = dict(lab_config(tmp_path), exercise_model="lab-exercise", exercise_node="ann-node3")
    checks = {e[0]: e[2] for e in LAB.EXERCISES}
    idle = {"nodes": [], "metrics": {"ann-node1": "", "ann-node2": "", "ann-node3": ""},
            "models": [{"name": "lab-exercise:latest", "locations": ["ann-node3"]}],
            "forwarded": {"ann-node1": 0, "ann-node2": 0, "ann-node3": 0}}
    busy = {"nodes": [], "metrics": {"ann-node1": MODEL_METRICS, "ann-node2": MODEL_METRICS, "ann-node3": ""},
            "models": [{"name": "lab-exercise:latest", "locations": ["ann-node1", "ann-node3"]}],
            "forwarded": {"ann-node1": 2, "ann-node2": 0, "ann-node3": 0}}
    for key in MODEL_IDS:
        assert checks[key](lab, idle)[0] is False, key
        assert checks[key](lab, busy)[0] is True, key
    assert checks["models_pull"](lab, busy)[1] == "lab-exercise:latest pulled onto ann-node1"
    assert "only on ann-node3" in checks["models_pull"](lab, idle)[1]
    # one generate request is not both a plain and a streamed one
    one = dict(idle, metrics={"ann-node1": MODEL_METRICS, "ann-node2": "", "ann-node3": ""})
    assert checks["models_generate"](lab, one) == (False, "1 generate request(s) answered; send one plain "
                                                          "(\"stream\": false) and one streamed")
    assert checks["models_served_by"](lab, busy)[1].endswith("ann-node1")


def test_lab_check_gathers_the_models_of_the_cluster(fake_node, tmp_path: Path) -> None:
    fake_node.reply("GET", "/api/v1/nodes", 200, {"nodes": []})
    fake_node.reply("GET", "/metrics", 200, MODEL_METRICS, content_type="text/plain")
    fake_node.reply("GET", "/health", 200, {"status": "healthy"})
    fake_node.reply("GET", "/api/v1/cluster/status", 200, {"cluster_size": 1, "leader": "n1", "health": "healthy"})
    fake_node.reply("GET", "/api/distributed/models", 200,
                    {"models": [{"name": "lab-exercise:latest", "locations": ["n1", "n2"]}], "total": 1})
    fake_node.reply("GET", "/api/distributed/metrics", 200, {"integration": {"distributed_requests": 1}})
    lab = dict(lab_config(tmp_path), exercise_model="lab-exercise", exercise_node="n2",
               nodes=[{"id": "n1", "api_url": fake_node.url}])
    report = LAB.check(lab, None)
    done = {e["id"]: e["done"] for e in report["exercises"]}
    assert all(done[key] for key in ["models_pull", "models_chat", "models_served_by", "models_delete"]), done
    assert done["models_generate"] is False  # one answered generate request only
