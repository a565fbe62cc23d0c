# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared pytest setup for the collection's unit tests.

* Makes the checkout importable as ``ansible_collections.ollama_lab.distributed``
  through ``<repo>/.collections`` (created here if scripts/bootstrap.sh has not run).
* ``fake_node``: a real HTTP server on 127.0.0.1 (OS-chosen port) scripted per
  test with statuses, bodies and delays; it records every request.
* ``closed_url``: a loopback URL on which nothing listens.
* ``run_module``: runs a module's ``main()`` with arguments and returns its JSON.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
COLLECTIONS = REPO_ROOT / ".collections"


def _ensure_collection_path() -> None:
    namespace_dir = COLLECTIONS / "ansible_collections" / "ollama_lab"
    link = namespace_dir / "distributed"
    if not link.exists():
        namespace_dir.mkdir(parents=True, exist_ok=True)
        if link.is_symlink():  # dangling link: replace it
            link.unlink()
        link.symlink_to(Path("..") / ".." / "..", target_is_directory=True)
    if str(COLLECTIONS) not in sys.path:
        sys.path.insert(0, str(COLLECTIONS))


_ensure_collection_path()


# --------------------------------------------------------------------------
# A scriptable node
# --------------------------------------------------------------------------

Body = Union[Dict[str, Any], List[Any], str, bytes, None]
Handler = Callable[["Recorded"], Tuple[int, Body]]


class Reply:
    """One scripted answer: status, body (dict/list -> JSON, str/bytes sent as is), delay."""

    def __init__(self, status: int = 200, body: Body = None, delay: float = 0.0,
                 handler: Optional[Handler] = None, content_type: str = "application/json",
                 headers: Optional[Dict[str, str]] = None) -> None:
        self.headers = headers or {}
        self.status = status
        self.body = body
        self.delay = delay
        self.handler = handler
        self.content_type = content_type


class Recorded:
    """A request the fake node received."""

    def __init__(self, method: str, path: str, headers: Dict[str, str], raw: bytes) -> None:
        self.method = method
        self.path = path
        self.headers = headers
        self.raw = raw

    @property
    def json(self) -> Any:
        return json.loads(self.raw.decode("utf-8")) if self.raw else None


class FakeNode:
    """An HTTP server on 127.0.0.1:<random port> that answers what a test scripts.

    ``reply(method, path, ...)`` queues answers for a route: while more than one
    is queued each request takes the first; the last one keeps answering.
    ``handle(method, path, fn)`` installs a function ``fn(request) -> (status, body)``.
    Unknown routes answer 404 ``{"error": "no route ..."}``.
    """

    def __init__(self) -> None:
        self.routes: Dict[Tuple[str, str], List[Reply]] = {}
        self.requests: List[Recorded] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        node = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                path = self.path.split("?", 1)[0]
                rec = Recorded(self.command, path, {k.lower(): v for k, v in self.headers.items()}, raw)
                reply = node._take(self.command, path, rec)
                if reply.delay:
                    node._stop.wait(reply.delay)
                status, body = reply.status, reply.body
                if reply.handler is not None:
                    status, body = reply.handler(rec)
                if isinstance(body, (dict, list)):
                    payload = json.dumps(body).encode("utf-8")
                elif isinstance(body, str):
                    payload = body.encode("utf-8")
                else:
                    payload = body or b""
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", reply.content_type)
                    self.send_header("Content-Length", str(len(payload)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):  # client gave up (timeout tests)
                    pass

            do_GET = do_POST = do_DELETE = do_PUT = _serve

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    # scripting ---------------------------------------------------------
    def reply(self, method: str, path: str, status: int = 200, body: Body = None, delay: float = 0.0,
              content_type: str = "application/json", headers: Optional[Dict[str, str]] = None) -> "FakeNode":
        self.routes.setdefault((method.upper(), path), []).append(
            Reply(status, body, delay, content_type=content_type, headers=headers))
        return self

    def handle(self, method: str, path: str, fn: Handler) -> "FakeNode":
        self.routes[(method.upper(), path)] = [Reply(handler=fn)]
        return self

    def _take(self, method: str, path: str, rec: Recorded) -> Reply:
        with self._lock:
            self.requests.append(rec)
            queue = self.routes.get((method, path))
            if not queue:
                return Reply(404, {"error": "no route %s %s" % (method, path), "timestamp": "now"})
            return queue.pop(0) if len(queue) > 1 else queue[0]

    def calls(self, method: Optional[str] = None, path: Optional[str] = None) -> List[Recorded]:
        return [r for r in self.requests
                if (method is None or r.method == method) and (path is None or r.path == path)]

    # lifecycle ---------------------------------------------------------
    def start(self) -> "FakeNode":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def fake_node(monkeypatch: pytest.MonkeyPatch):
    # never let an environment proxy intercept loopback traffic
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.delenv("OLLAMA_DISTRIBUTED_TOKEN", raising=False)
    node = FakeNode().start()
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture
def closed_url() -> str:
    """A loopback URL where nothing listens (a port the OS just gave out, then closed)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return "http://127.0.0.1:%d" % port


# --------------------------------------------------------------------------
# Running a module's main()
# --------------------------------------------------------------------------

class ModuleRun:
    """The outcome of one module run: exit code, decoded JSON result, raw stdout, seconds."""

    def __init__(self, rc: int, result: Dict[str, Any], stdout: str, seconds: float) -> None:
        self.rc = rc
        self.result = result
        self.stdout = stdout
        self.seconds = seconds

    @property
    def failed(self) -> bool:
        return bool(self.result.get("failed")) or self.rc != 0

    @property
    def warnings(self) -> List[str]:
        """Warning texts (plain strings before ansible-core 2.19, WarningSummary dicts since)."""
        texts = []
        for item in self.result.get("warnings") or []:
            if isinstance(item, dict):
                item = (item.get("event") or {}).get("msg", json.dumps(item))
            texts.append(str(item))
        return texts

    def __getitem__(self, key: str) -> Any:
        return self.result[key]


@pytest.fixture
def run_module(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    from ansible.module_utils import _internal as module_internal
    from ansible.module_utils.common import warnings as module_warnings
    from ansible.module_utils.testing import patch_module_args

    # Tests of controller plugins (inventory, filters) in the same process switch
    # module_utils to controller mode, which sends module warnings to Display
    # instead of the result; modules run on targets, so undo that here.
    monkeypatch.setattr(module_internal, "is_controller", False)

    def _run(module: Any, args: Dict[str, Any], check_mode: bool = False, diff: bool = False) -> ModuleRun:
        args = dict(args)
        if check_mode:
            args["_ansible_check_mode"] = True
        if diff:
            args["_ansible_diff"] = True
        capsys.readouterr()  # drop anything printed before
        module_warnings._global_warnings.clear()  # each run starts without earlier warnings
        module_warnings._global_deprecations.clear()
        started = time.monotonic()
        with patch_module_args(args):
            with pytest.raises(SystemExit) as exc_info:
                module.main()
        seconds = time.monotonic() - started
        out = capsys.readouterr().out
        result = json.loads(out)
        code = exc_info.value.code
        return ModuleRun(int(code or 0), result, out, seconds)

    return _run


TOKEN = "test-token-9f8e7d6c5b4a39281706f5e4d3c2b1a0"


@pytest.fixture
def token() -> str:
    """A bearer token whose value must never appear in any output."""
    return TOKEN
