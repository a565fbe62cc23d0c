# Copyright (c) ollama_lab.distributed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Classroom filters: the lab's view of a node, a seat's failure record, the seat
summary of a class run and the class progress report (JSON-ready dict, CSV and
one HTML page)."""

from __future__ import annotations

import csv
import html
import io
from typing import Any, Mapping, Sequence

from ansible.errors import AnsibleFilterError

EXERCISES: tuple[tuple[str, str], ...] = (
    ("installation", "Installation"),
    ("configuration", "Configuration"),
    ("cluster_operations", "Cluster operations"),
    ("api_integration", "API integration"),
    ("validation", "Validation"),
    # the models module (roles/lab/files/lab_models.py)
    ("models_pull", "Models: pull"),
    ("models_generate", "Models: generate"),
    ("models_chat", "Models: chat"),
    ("models_served_by", "Models: who served"),
    ("models_delete", "Models: delete"),
)


def _get(mapping: Any, key: str, default: Any = None) -> Any:
    try:
        return mapping[key] if key in mapping else default
    except (TypeError, KeyError):
        return default


def classroom_lab_node(node: Mapping[str, Any], machine: str) -> dict[str, Any]:
    """What the lab helper on ``machine`` needs to know about one node of the student's cluster."""
    if not isinstance(node, Mapping) or "id" not in node:
        raise AnsibleFilterError("classroom_lab_node: expected a layout node dict (found %r)" % (node,))
    local = node.get("machine") == machine
    url = node.get("local_url") if local and node.get("local_url") else node.get("api_url")
    return {
        "id": node["id"],
        "bootstrap": bool(node.get("bootstrap")),
        "local": local,
        # nodes on this machine may listen on 127.0.0.1 only: use the local URL for them
        "api_url": url,
        "url": url,
        "web_url": node.get("web_url"),
        "service_manager": node.get("service_manager"),
        "service_name": node.get("service_name"),
        "config_file": node.get("config_file"),
    }


def _one_line(value: Any, limit: int = 400) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def classroom_failure(result: Any, task: str = "", step: str = "") -> dict[str, Any]:
    """What a node records when a step of its seat fails: ``{ok: false, step, task, msg}``.

    ``result`` is ``ansible_failed_result``; the message is its ``msg``, else its
    ``stderr``, else ``failed``, on one line of at most 400 characters.
    """
    msg = _get(result, "msg") or _get(result, "stderr") or "failed"
    if isinstance(msg, (list, tuple)):
        msg = "; ".join(str(line) for line in msg)
    return {"ok": False, "step": str(step or ""), "task": str(task or ""), "msg": _one_line(msg)}


def _where(failure: Mapping[str, str]) -> str:
    where = ": ".join(part for part in (failure.get("step"), failure.get("task")) if part)
    return "[%s] " % where if where else ""


def classroom_seats(hostvars: Mapping[str, Any], hosts: Sequence[str]) -> list[dict[str, Any]]:
    """One entry per student: ok, or failed with every failing node and why.

    A node is ok when it set ``_classroom_seat`` to ``{"ok": true}``; a node that
    recorded ``{"ok": false, "step": ..., "task": ..., "msg": ...}`` (classroom_failure)
    failed there; a node that recorded nothing dropped out of the run (unreachable or
    an error outside the seat's failure wrapper).
    """
    seats: dict[str, dict[str, Any]] = {}
    for host in hosts:
        hv = hostvars[host]
        student = str(_get(hv, "classroom_student_id", host))
        seat = seats.setdefault(student, {
            "student": student,
            "name": str(_get(hv, "classroom_student_name", student)),
            "topology": str(_get(hv, "classroom_topology", "")),
            "nodes": [],
            "failures": [],
        })
        seat["nodes"].append(host)
        record = _get(hv, "_classroom_seat")
        if isinstance(record, Mapping) and record.get("ok"):
            continue
        if isinstance(record, Mapping):
            seat["failures"].append({"host": host, "step": str(record.get("step") or ""),
                                     "task": str(record.get("task") or ""), "msg": str(record.get("msg") or "failed")})
        else:
            seat["failures"].append({"host": host, "step": "", "task": "",
                                     "msg": "dropped out of the run (unreachable, or failed outside the seat's tasks)"})
    result = []
    for student in sorted(seats):
        seat = seats[student]
        seat["ok"] = not seat["failures"]
        seat["reason"] = "; ".join("%s: %s%s" % (f["host"], _where(f), f["msg"]) for f in seat["failures"])
        result.append(seat)
    return result


def classroom_progress(results: Sequence[Mapping[str, Any]], class_name: str = "", generated_at: str = "") -> dict[str, Any]:
    """Build the class progress report from each student's ``lab check --json`` output.

    Each item of ``results`` is ``{student, name, report}`` where ``report`` is the
    parsed helper output, or ``{student, name, error}`` when it could not be run.
    """
    students = []
    done_per_exercise = {exercise[0]: 0 for exercise in EXERCISES}
    for item in sorted(results, key=lambda r: str(r.get("student"))):
        report = item.get("report")
        entry: dict[str, Any] = {"student": str(item.get("student")), "name": str(item.get("name") or item.get("student")),
                                 "error": "", "exercises": {}, "details": {}, "health": {}}
        if isinstance(report, Mapping):
            for exercise in report.get("exercises", []):
                entry["exercises"][exercise["id"]] = bool(exercise.get("done"))
                entry["details"][exercise["id"]] = str(exercise.get("detail", ""))
            entry["health"] = dict(report.get("health") or {})
            entry["checked_at"] = report.get("checked_at", "")
        else:
            entry["error"] = str(item.get("error") or "no result")
        for key, _title in EXERCISES:
            entry["exercises"].setdefault(key, None)  # None: unknown (the check could not run)
            if entry["exercises"][key]:
                done_per_exercise[key] += 1
        entry["done"] = sum(1 for v in entry["exercises"].values() if v)
        students.append(entry)
    return {
        "class": class_name,
        "generated_at": generated_at,
        "exercises": [{"id": key, "title": title, "done": done_per_exercise[key]} for key, title in EXERCISES],
        "students": students,
    }


def _cluster_text(health: Mapping[str, Any]) -> str:
    cluster = health.get("cluster") or {}
    if not cluster:
        return "unknown"
    return "%s (%s/%s, leader %s)" % (cluster.get("health"), cluster.get("size"), cluster.get("expected_size"),
                                      cluster.get("leader") or "none")


def _cell(value: Any) -> str:
    return "done" if value else ("not done" if value is False else "unknown")


def classroom_progress_csv(report: Mapping[str, Any]) -> str:
    """One row per student: id, name, one column per exercise (done / not done / unknown), cluster health."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    keys = [e["id"] for e in report["exercises"]]
    writer.writerow(["student", "name"] + keys + ["done", "cluster_health", "cluster_size", "leader", "error"])
    for student in report["students"]:
        cluster = (student.get("health") or {}).get("cluster") or {}
        writer.writerow([student["student"], student["name"]] + [_cell(student["exercises"].get(k)) for k in keys]
                        + [student["done"], cluster.get("health", "unknown"), cluster.get("size", ""),
                           cluster.get("leader", "") or "", student.get("error", "")])
    return out.getvalue()


def classroom_progress_html(report: Mapping[str, Any]) -> str:
    """One self-contained HTML page: a student-by-exercise grid and each cluster's health."""
    esc = html.escape
    keys = [e["id"] for e in report["exercises"]]
    head = "".join('<th scope="col">%s</th>' % esc(e["title"]) for e in report["exercises"])
    rows = []
    for student in report["students"]:
        cells = []
        for key in keys:
            value = student["exercises"].get(key)
            cls = "done" if value else ("todo" if value is False else "unknown")
            title = student.get("details", {}).get(key, "") or student.get("error", "")
            cells.append('<td class="%s" data-student="%s" data-exercise="%s" title="%s">%s</td>'
                         % (cls, esc(student["student"]), esc(key), esc(title), esc(_cell(value))))
        health = student.get("health") or {}
        cluster_state = ((health.get("cluster") or {}).get("health") or "unknown")
        nodes = ", ".join("%s %s" % (n.get("id"), n.get("status")) for n in health.get("nodes", []))
        rows.append('<tr><th scope="row">%s<br><small>%s</small></th>%s<td>%d/%d</td>'
                    '<td class="health-%s" data-student="%s">%s<br><small>%s</small>%s</td></tr>'
                    % (esc(student["name"]), esc(student["student"]), "".join(cells), student["done"], len(keys),
                       esc(str(cluster_state)), esc(student["student"]), esc(_cluster_text(health)), esc(nodes),
                       ('<br><small class="error">%s</small>' % esc(student["error"])) if student.get("error") else ""))
    totals = "".join("<td>%d/%d</td>" % (e["done"], len(report["students"])) for e in report["exercises"])
    return """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Class progress - %(cls)s</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse}th,td{border:1px solid #bbb;padding:.35rem .6rem;text-align:left;vertical-align:top}
td.done{background:#c8f0c8}td.todo{background:#f6d5d5}td.unknown{background:#eee;color:#666}
td.health-healthy{background:#e4f6e4}td.health-degraded{background:#fff1c9}
td.health-unhealthy,td.health-unreachable,td.health-unknown{background:#f6d5d5}
small{color:#555}.error{color:#a00}
</style>
</head>
<body>
<h1>Class progress - %(cls)s</h1>
<p>Generated %(at)s from the state of each student's cluster (%(n)d students).</p>
<table id="progress">
<thead><tr><th scope="col">student</th>%(head)s<th scope="col">done</th><th scope="col">cluster health</th></tr></thead>
<tbody>
%(rows)s
</tbody>
<tfoot><tr><th scope="row">done by</th>%(totals)s<td></td><td></td></tr></tfoot>
</table>
</body>
</html>
""" % {"cls": esc(str(report.get("class") or "")), "at": esc(str(report.get("generated_at") or "")),
       "n": len(report["students"]), "head": head, "rows": "\n".join(rows), "totals": totals}


class FilterModule:
    """The classroom filters."""

    def filters(self) -> dict[str, Any]:
        return {
            "classroom_lab_node": classroom_lab_node,
            "classroom_failure": classroom_failure,
            "classroom_seats": classroom_seats,
            "classroom_progress": classroom_progress,
            "classroom_progress_csv": classroom_progress_csv,
            "classroom_progress_html": classroom_progress_html,
        }
