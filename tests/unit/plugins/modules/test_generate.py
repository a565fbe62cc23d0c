# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""End-to-end tests of the generate module through main()."""

from __future__ import annotations

from ansible_collections.ollama_lab.distributed.plugins.modules import generate

ANSWER = {"model": "tiny:latest", "created_at": "2025-01-01T00:00:00Z",
          "response": "[reference generator] The sky is blue.", "done": True, "context": [1, 2, 3],
          "total_duration": 5043500, "load_duration": 100, "prompt_eval_count": 6, "eval_count": 7,
          "eval_duration": 4000000}


def test_generate_returns_text_and_timings(fake_node, run_module, token) -> None:
    fake_node.reply("POST", "/api/generate", 200, ANSWER, headers={"X-Ollama-Distributed-Node": "node2"})
    run = run_module(generate, {"url": fake_node.url, "token": token, "model": "tiny",
                                "prompt": "Why is the sky blue?", "options": {"temperature": 0}})
    assert not run.failed and run["changed"] is False
    assert run["response"] == "[reference generator] The sky is blue."
    assert run["model"] == "tiny:latest" and run["done"] is True
    assert run["eval_count"] == 7 and run["total_duration"] == 5043500
    assert run["served_by"] == "node2"
    assert isinstance(run["latency_ms"], float)
    assert "context" not in run["raw"] and run["raw"]["prompt_eval_count"] == 6
    (req,) = fake_node.calls("POST", "/api/generate")
    assert req.json == {"model": "tiny", "prompt": "Why is the sky blue?", "stream": False,
                        "options": {"temperature": 0}}
    assert req.headers["authorization"] == "Bearer " + token
    assert token not in run.stdout


def test_generate_runs_in_check_mode_too(fake_node, run_module) -> None:
    fake_node.reply("POST", "/api/generate", 200, ANSWER)
    run = run_module(generate, {"url": fake_node.url, "model": "tiny", "prompt": "hi"}, check_mode=True)
    assert not run.failed and run["changed"] is False and run["response"].startswith("[reference")
    assert run["served_by"] is None  # no X-Ollama-Distributed-Node header in this answer
    (req,) = fake_node.calls("POST", "/api/generate")
    assert "options" not in req.json


def test_unknown_model_fails_clearly(fake_node, run_module) -> None:
    fake_node.reply("POST", "/api/generate", 404, {"error": "model nosuch not found"})
    run = run_module(generate, {"url": fake_node.url, "model": "nosuch", "prompt": "hi"})
    assert run.failed and run["http_status"] == 404 and run["model"] == "nosuch"
    assert "No online, non-draining member has model 'nosuch'" in run["msg"]
    assert "model nosuch not found" in run["msg"]


def test_answer_without_response_text_fails(fake_node, run_module) -> None:
    fake_node.reply("POST", "/api/generate", 200, {"model": "tiny", "done": False})
    run = run_module(generate, {"url": fake_node.url, "model": "tiny", "prompt": "hi"})
    assert run.failed and "has no 'response' text" in run["msg"] and run["raw"]["done"] is False


def test_generate_5xx_is_retried(fake_node, run_module) -> None:
    fake_node.reply("POST", "/api/generate", 503, {"error": "no worker free"})
    fake_node.reply("POST", "/api/generate", 200, ANSWER)
    run = run_module(generate, {"url": fake_node.url, "model": "tiny", "prompt": "hi", "retry_delay": 0.01})
    assert not run.failed and run["eval_count"] == 7
    assert len(fake_node.calls("POST", "/api/generate")) == 2


def test_generate_timeout_fails_without_resending(fake_node, run_module) -> None:
    fake_node.reply("POST", "/api/generate", 200, ANSWER, delay=3.0)
    run = run_module(generate, {"url": fake_node.url, "model": "tiny", "prompt": "hi", "timeout": 0.3})
    assert run.failed and "Timed out after 0.3s" in run["msg"]
    assert len(fake_node.calls("POST", "/api/generate")) == 1
