# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The official ``ollama`` Python client against three reference nodes (issue 12
point 3) and generate/chat without a ``stream`` field (issue 14 point 3).

Seeded models (conftest.SEEDED): node1 has tinyllama and smollm:135m, node2
qwen2.5:0.5b, node3 phi3:mini. smollm:135m is never copied, so a request
for it through node2 or node3 must be routed to node1.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.request
from typing import Any, Dict, List, Tuple

import ollama  # the official client; missing, the module fails to import (no skip)
import pytest

from lab_nodes import SEEDED, LabCluster

NODES = ("node1", "node2", "node3")
ROUTED = "smollm:135m"  # only node1 has it
SERVED_BY = "X-Ollama-Distributed-Node"


def client(cluster: LabCluster, node_id: str) -> ollama.Client:
    return ollama.Client(host=cluster.url(node_id), timeout=30)


def names(cluster: LabCluster, node_id: str) -> List[str]:
    return [m.model for m in client(cluster, node_id).list().models]


def post(url: str, body: Dict[str, Any]) -> Tuple[int, Dict[str, str], bytes]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return resp.status, dict(resp.headers), resp.read()


@pytest.mark.parametrize("node_id", NODES)
def test_list_on_every_node(lab_cluster: LabCluster, node_id: str) -> None:
    listed = client(lab_cluster, node_id).list()
    assert isinstance(listed, ollama.ListResponse)
    by_name = {m.model: m for m in listed.models}
    seeded = {n if ":" in n else n + ":latest" for n in SEEDED[node_id]} - {"phi3:mini"}  # test_delete removes it
    assert seeded <= set(by_name), f"{node_id} lists {sorted(by_name)}, seeded {sorted(seeded)}"
    for model in listed.models:
        assert model.digest and model.digest.startswith("sha256:")
        assert model.size and model.size > 0
        assert isinstance(model.modified_at, dt.datetime)
        assert model.details is not None and model.details.format == "gguf"
    assert ROUTED not in by_name or node_id == "node1"


@pytest.mark.parametrize("node_id", NODES)
def test_show_on_every_node(lab_cluster: LabCluster, node_id: str) -> None:
    shown = client(lab_cluster, node_id).show("tinyllama")  # node2 and node3 answer from node1's manifest
    assert isinstance(shown, ollama.ShowResponse)
    assert shown.details is not None
    assert (shown.details.family, shown.details.parameter_size, shown.details.quantization_level) == ("llama", "1.1B", "Q4_0")
    assert shown.details.format == "gguf"
    assert shown.modelinfo is not None and shown.modelinfo["general.architecture"] == "llama"
    assert shown.modelfile and "FROM tinyllama:latest" in shown.modelfile
    with pytest.raises(ollama.ResponseError) as err:
        client(lab_cluster, node_id).show("no-such-model")
    assert err.value.status_code == 404


def test_pull_through_node3_a_model_only_node1_has(lab_cluster: LabCluster) -> None:
    assert "tinyllama:latest" not in names(lab_cluster, "node3")
    done = client(lab_cluster, "node3").pull("tinyllama")
    assert isinstance(done, ollama.ProgressResponse) and done.status == "success"
    node1 = {m.model: m.digest for m in client(lab_cluster, "node1").list().models}
    node3 = {m.model: m.digest for m in client(lab_cluster, "node3").list().models}
    assert node3["tinyllama:latest"] == node1["tinyllama:latest"]


def test_pull_streamed_through_node3_a_model_only_node2_has(lab_cluster: LabCluster) -> None:
    progress = list(client(lab_cluster, "node3").pull("qwen2.5:0.5b", stream=True))
    assert progress and all(isinstance(p, ollama.ProgressResponse) for p in progress)
    assert progress[-1].status == "success"
    assert any(p.total == 397800000 and p.completed == 397800000 for p in progress), progress
    assert "qwen2.5:0.5b" in names(lab_cluster, "node3")
    with pytest.raises(ollama.ResponseError) as err:
        client(lab_cluster, "node3").pull("no-such-model")
    assert err.value.status_code == 404


@pytest.mark.parametrize("node_id", NODES)
def test_generate_plain_and_streamed(lab_cluster: LabCluster, node_id: str) -> None:
    c = client(lab_cluster, node_id)
    plain = c.generate(model=ROUTED, prompt="Why is the sky blue?")
    assert isinstance(plain, ollama.GenerateResponse)
    assert plain.done is True and plain.model == ROUTED and plain.eval_count
    assert "lab generator" in plain.response and "without running any model" in plain.response
    assert "Node node1 answered" in plain.response  # routed to the only holder
    chunks = list(c.generate(model=ROUTED, prompt="Why is the sky blue?", stream=True))
    assert len(chunks) > 2
    assert [ch.done for ch in chunks] == [False] * (len(chunks) - 1) + [True]
    assert "".join(ch.response for ch in chunks) == plain.response


@pytest.mark.parametrize("node_id", NODES)
def test_chat_plain_and_streamed(lab_cluster: LabCluster, node_id: str) -> None:
    c = client(lab_cluster, node_id)
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello, who are you?"}]
    plain = c.chat(model=ROUTED, messages=messages, options={"temperature": 0.1}, keep_alive="1m")
    assert isinstance(plain, ollama.ChatResponse)
    assert plain.done is True and plain.message.role == "assistant"
    assert plain.message.content and "lab generator" in plain.message.content
    assert "Node node1 answered" in plain.message.content
    chunks = list(c.chat(model=ROUTED, messages=messages, stream=True))
    assert len(chunks) > 2 and chunks[-1].done is True
    assert all(ch.message.role == "assistant" for ch in chunks)
    assert "".join(ch.message.content or "" for ch in chunks) == plain.message.content


def test_ps_lists_what_ran_until_keep_alive_ends(lab_cluster: LabCluster) -> None:
    for node_id in NODES:
        assert isinstance(client(lab_cluster, node_id).ps(), ollama.ProcessResponse)
    c1 = client(lab_cluster, "node1")
    c1.generate(model=ROUTED, prompt="load me", keep_alive="10m")
    running = {m.model: m for m in c1.ps().models}
    assert ROUTED in running, running
    entry = running[ROUTED]
    assert entry.name == ROUTED and entry.size == 91700000 and entry.digest
    assert entry.expires_at is not None
    left = entry.expires_at - dt.datetime.now(dt.timezone.utc)
    assert dt.timedelta(minutes=9) < left <= dt.timedelta(minutes=10)
    unloaded = c1.generate(model=ROUTED, keep_alive=0)  # Ollama's unload idiom
    assert unloaded.done_reason == "unload"
    assert ROUTED not in [m.model for m in c1.ps().models]


def test_served_by_header_names_the_member(lab_cluster: LabCluster) -> None:
    code, headers = post(lab_cluster.url("node3") + "/api/generate", {"model": ROUTED, "prompt": "hi", "stream": False})[:2]
    assert code == 200 and headers.get(SERVED_BY) == "node1"


@pytest.mark.parametrize("node_id", ("node1", "node3"))
@pytest.mark.parametrize("path,body", [
    ("/api/generate", {"model": ROUTED, "prompt": "no stream field"}),
    ("/api/chat", {"model": ROUTED, "messages": [{"role": "user", "content": "no stream field"}]}),
])
def test_no_stream_field_answers_one_json_object(lab_cluster: LabCluster, node_id: str, path: str, body: Dict[str, Any]) -> None:
    code, headers, raw = post(lab_cluster.url(node_id) + path, body)
    assert code == 200 and headers["Content-Type"] == "application/json"
    answer = json.loads(raw)  # one object: NDJSON would raise "Extra data"
    assert answer["done"] is True
    text = answer["response"] if path == "/api/generate" else answer["message"]["content"]
    assert "lab generator" in text
    code, headers, raw = post(lab_cluster.url(node_id) + path, {**body, "stream": True})
    lines = raw.decode().splitlines()
    assert headers["Content-Type"] == "application/x-ndjson" and len(lines) > 2
    assert json.loads(lines[-1])["done"] is True


def test_delete(lab_cluster: LabCluster) -> None:
    c3 = client(lab_cluster, "node3")
    assert "phi3:mini" in names(lab_cluster, "node3")
    assert c3.delete("phi3:mini").status == "success"
    assert "phi3:mini" not in names(lab_cluster, "node3")
    with pytest.raises(ollama.ResponseError) as err:
        c3.delete("phi3:mini")
    assert err.value.status_code == 404
    with pytest.raises(ollama.ResponseError) as err:  # nobody has it any more
        client(lab_cluster, "node1").show("phi3:mini")
    assert err.value.status_code == 404
