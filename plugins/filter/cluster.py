# Copyright (c) ollama_lab.distributed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How the nodes of a cluster see it, judged once in Python (the cluster role).

Each node of the play registers what it read: ``_cluster_seen`` (the
``cluster_info`` result, failed or not) and, where the role read or drove the
service, ``_cluster_service`` (a skipped reading is no reading). The first
reading of a run is taken once per machine (``machine_nodes``): one
node reads the others of its machine too, and their readings are under
``readings`` of its ``_cluster_seen``. ``cluster_report`` turns those into one
view per node, the summary lines the role prints, the lines a failure names,
and the verdicts the role asserts on (agreed, whole, the restart order with
the leader last).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from ansible.errors import AnsibleFilterError

ANSWERS = ("healthy", "degraded", "unhealthy")
MISSING = "host failed or unreachable earlier in the play"
NOT_IN_PLAY = "not in this play (--limit or the hosts pattern left it out); the cluster role needs every node of a cluster"


def _text(value: Any, fallback: str) -> str:
    """``value | default(fallback, true)`` as a string."""
    return fallback if value in (None, "", 0, False) else str(value)


def _service(hvars: Mapping[str, Any]) -> Mapping[str, Any] | None:
    reading = hvars.get("_cluster_service")
    if isinstance(reading, Mapping) and not reading.get("skipped") and "running" in reading:
        return reading
    return None


def _reading(host: str, hvars: Mapping[str, Any], readers: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The node's own ``_cluster_seen``, or what the reader of its machine read for it."""
    seen = hvars.get("_cluster_seen")
    if isinstance(seen, Mapping) and not seen.get("skipped"):
        return seen
    for reader in readers:
        other = reader.get("_cluster_seen")
        if isinstance(other, Mapping) and isinstance(other.get("readings"), Mapping) and host in other["readings"]:
            return other["readings"][host]
    return None


def node_view(node: Mapping[str, Any], hvars: Mapping[str, Any],
              readers: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any] | None:
    """One node's view from its registered readings (or its machine reader's, ``readers``: the hostvars
    of the cluster's nodes); None when it has none (its host failed)."""
    seen = _reading(node["host"], hvars, readers)
    if seen is None:
        return None
    service = _service(hvars)
    stopped = service is not None and not service.get("running")
    if service is None:
        fallback = "down"
    elif not service.get("defined"):
        fallback = "not-installed"
    else:
        fallback = "stopped" if stopped else "down"
    return dict(
        host=node["host"], id=node["id"], bootstrap=bool(node.get("bootstrap")),
        url=node.get("api_url", ""), local_url=node.get("local_url", ""), web_url=node.get("web_url", ""),
        service="%s %s" % (node.get("service_manager"), node.get("service_name")),
        status=_text(seen.get("status"), fallback),
        version=_text(seen.get("version"), ""),
        size=_text(seen.get("cluster_size"), "?"),
        expected=_text(seen.get("expected_size"), str(node.get("expected_size", "?"))),
        leader=_text(seen.get("leader"), ""),
        term=_text(seen.get("term"), "?"),
        answered=seen.get("status") is not None,
        # why the node did not answer (or did not get there), unless its service is simply not running
        error="" if stopped else str(seen.get("msg") or "").strip(),
    )


def _missing(node: Mapping[str, Any], why: str) -> dict[str, Any]:
    return dict(host=node["host"], id=node["id"], bootstrap=bool(node.get("bootstrap")),
                url=node.get("api_url", ""), local_url=node.get("local_url", ""), web_url=node.get("web_url", ""),
                service="%s %s" % (node.get("service_manager"), node.get("service_name")),
                status="unknown", version="", size="?", expected=str(node.get("expected_size", "?")),
                leader="", term="?", error=why, missing=True)


def _summary(group: str, views: Sequence[Mapping[str, Any]], leaders: Sequence[str]) -> list[str]:
    answering = [v for v in views if v["status"] in ANSWERS]
    healthy = [v for v in views if v["status"] == "healthy"]
    if len(healthy) == len(views):
        verdict = "healthy"
    else:
        verdict = "degraded" if len(answering) * 2 > len(views) else "unhealthy"
    lines = ["cluster %s: %s, %d/%d nodes answer, leader %s%s"
             % (group, verdict, len(answering), len(views), " / ".join(leaders) if leaders else "none",
                " (DISAGREEMENT)" if len(leaders) > 1 else "")]
    for v in views:
        lines.append("%-12s %-13s %ssize %s/%s  api %s  web %s  (%s)%s%s" % (
            v["id"], v["status"], "leader " if v["id"] in leaders else "       ", v["size"], v["expected"],
            v["url"], v["web_url"], v["service"],
            " sees leader " + v["leader"] if v["leader"] and len(leaders) > 1 else "",
            " error: " + v["error"] if v["error"] else ""))
    return lines


def _failure(views: Sequence[Mapping[str, Any]]) -> list[str]:
    return ["%s (%s): health %s, size %s/%s, leader %s%s%s" % (
        v["id"], v["local_url"], v["status"], v["size"], v["expected"], v["leader"] or "none",
        "; " + v["error"] if v["error"] and not v.get("missing") else "",
        "; " + ("host failed earlier in the play" if v["error"] == MISSING else v["error"])
        if v.get("missing") else "") for v in views]


def cluster_report(cluster: Sequence[Mapping[str, Any]], hostvars: Mapping[str, Any],
                   wanted_health: Sequence[str] = ("healthy",), group: str = "ollama_nodes",
                   play_hosts: Sequence[str] | None = None) -> dict[str, Any]:
    """Views, summary and verdicts of one cluster (``layout_cluster``) from its hosts' readings.

    ``play_hosts`` (``ansible_play_hosts_all``): a node outside them was left out of the play
    (``--limit``), which its view says, rather than that its host failed.
    """
    if not isinstance(cluster, Sequence) or not all(isinstance(n, Mapping) and "host" in n for n in cluster):
        raise AnsibleFilterError("cluster_report: expected layout_cluster, a list of layout nodes")
    every = [_hostvars(hostvars, node["host"]) for node in cluster]
    views: list[dict[str, Any]] = []
    for node, hvars in zip(cluster, every):
        left_out = play_hosts is not None and node["host"] not in play_hosts
        views.append(node_view(node, hvars, every) or _missing(node, NOT_IN_PLAY if left_out else MISSING))
    leaders = list(dict.fromkeys(v["leader"] for v in views if v["leader"]))
    all_leaders = {v["leader"] for v in views}
    healthy_enough = all(v["status"] in wanted_health for v in views)
    whole = bool(views) and healthy_enough and len(all_leaders) == 1 and bool(leaders)
    sizes = {v["size"] for v in views}
    expected = {str(n.get("expected_size")) for n in cluster}
    leader = leaders[0] if leaders else ""
    order = [n for n in cluster if n["id"] not in leaders] + [n for n in cluster if n["id"] in leaders]
    return dict(
        views=views, leader=leader, leaders=leaders,
        whole=whole, agreed=whole and sizes == expected and len(sizes) == 1,
        lines=_summary(group, views, leaders), failure_lines=_failure(views),
        order=order,
        # the nodes without an answer of their API (status.yml reads their service)
        unanswered=[v["host"] for v in views if not v.get("answered")],
    )


def _hostvars(hostvars: Mapping[str, Any], host: str) -> Mapping[str, Any]:
    try:
        return hostvars[host]
    except KeyError:
        return {}


def cluster_all_running(cluster: Sequence[Mapping[str, Any]], hostvars: Mapping[str, Any]) -> bool:
    """Whether every node's service ran before this run touched it (check mode can only wait for those)."""
    for node in cluster:
        try:
            reading = _service(hostvars[node["host"]])
        except KeyError:
            reading = None
        if reading is not None and reading.get("was_running") is False:
            return False
    return True


class FilterModule:
    """The cluster role's filters."""

    def filters(self) -> dict[str, Any]:
        return {"cluster_report": cluster_report, "cluster_all_running": cluster_all_running}
