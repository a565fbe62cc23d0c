#!/usr/bin/env python3
"""Benchmark a local three-node reference cluster (a measurement, not a test).

Starts three ``ollama-distributed`` processes from a built binary on loopback
ports (18200-18299 by default), then prints:

* time from start to a formed cluster (all nodes report cluster_size 3 and
  the same leader) and to the next agreement after one node stops;
* requests per second and p50/p95/p99 latency of ``GET /health`` and of a
  non-streaming ``POST /api/generate`` (built-in generator), both on the node
  that has the model and through a node that forwards to it;
* throughput of a concurrent burst of generate requests;
* resident memory (VmRSS) of each node before and after the load;
* time from SIGTERM to exit.

It prints figures and asserts nothing. Only the Python standard library is
used. Usage::

    scripts/go-offline.sh build -o bin/ollama-distributed ./cmd/ollama-distributed
    python3 bench/bench.py --binary bin/ollama-distributed --requests 2000
"""

import argparse
import http.client
import json
import os
import platform
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from typing import Dict, List, Optional, Tuple

CONFIG = """\
name: "bench-{id}"
environment: testing
node: {{id: "{id}"}}
api: {{listen: "127.0.0.1:{api}"}}
p2p: {{listen: "127.0.0.1:{p2p}", bootstrap: {bootstrap}}}
storage: {{data_dir: "{dir}/data", models_dir: "{dir}/models", cache_dir: "{dir}/cache"}}
logging: {{level: warn, output: file, file: "{dir}/node.log"}}
consensus: {{bootstrap: {first}, data_dir: "{dir}/consensus", heartbeat_time: {heartbeat}, election_timeout: {election}}}
cluster: {{expected_size: 3, secret: "{secret}"}}
scheduler: {{algorithm: round_robin, worker_count: 8, queue_size: 1000}}
"""

# One secret for the three bench nodes (p2p requests carry it).
CLUSTER_SECRET = secrets.token_hex(24)


class Node:
    """One node process and a persistent HTTP connection to its API."""

    def __init__(self, binary: str, root: str, idx: int, base_port: int, args: argparse.Namespace) -> None:
        self.id = "bench-%d" % idx
        self.api = base_port + idx
        self.p2p = base_port + 10 + idx
        self.dir = os.path.join(root, self.id)
        bootstrap = "[]" if idx == 1 else '["127.0.0.1:%d"]' % (base_port + 11)
        self.config = os.path.join(root, self.id + ".yaml")
        with open(self.config, "w", encoding="utf-8") as f:
            f.write(CONFIG.format(id=self.id, api=self.api, p2p=self.p2p, bootstrap=bootstrap, dir=self.dir,
                                  first=str(idx == 1).lower(), heartbeat=args.heartbeat, election=args.election,
                                  secret=CLUSTER_SECRET))
        self.binary = binary
        self.proc: Optional[subprocess.Popen] = None

    def start(self) -> None:
        self.proc = subprocess.Popen([self.binary, "start", "--config", self.config],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=os.path.dirname(self.dir))

    def stop(self) -> float:
        """SIGTERM; returns seconds until the process exited."""
        assert self.proc is not None
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)
        return time.monotonic() - t0

    def rss_kib(self) -> int:
        assert self.proc is not None
        with open("/proc/%d/status" % self.proc.pid, encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0


def request(conn: http.client.HTTPConnection, method: str, path: str,
            body: Optional[bytes] = None) -> Tuple[int, bytes, Dict[str, str]]:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    return resp.status, data, dict(resp.getheaders())


def get_json(port: int, path: str) -> Optional[dict]:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        status, data = request(conn, "GET", path)[:2]
        conn.close()
        return json.loads(data) if status in (200, 503) else None
    except (OSError, ValueError):
        return None


def wait_agreement(nodes: List[Node], size: int, limit: float = 60.0) -> Tuple[float, str]:
    """Seconds until every node reports size members and one leader."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        views = [get_json(n.api, "/api/distributed/status") for n in nodes]
        if all(v is not None for v in views):
            leaders = {(v["leader"], v["term"]) for v in views}  # type: ignore[index]
            if len(leaders) == 1 and all(v["cluster_size"] == size for v in views):  # type: ignore[index]
                return time.monotonic() - t0, views[0]["leader"]  # type: ignore[index]
        time.sleep(0.01)
    raise SystemExit("cluster did not agree on size %d within %.0f s" % (size, limit))


def percentile(sorted_vals: List[float], p: float) -> float:
    if not sorted_vals:
        return float("nan")
    k = (len(sorted_vals) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(sorted_vals) - 1)
    return sorted_vals[lo] + (sorted_vals[hi] - sorted_vals[lo]) * (k - lo)


def sequential(port: int, method: str, path: str, body: Optional[bytes], n: int) -> Dict[str, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    lat: List[float] = []
    errors = 0
    t0 = time.monotonic()
    for dummy in range(n):
        s = time.perf_counter()
        status = request(conn, method, path, body)[0]
        lat.append(time.perf_counter() - s)
        errors += status != 200
    wall = time.monotonic() - t0
    conn.close()
    lat.sort()
    return {"n": n, "errors": errors, "rps": n / wall, "p50": percentile(lat, 50) * 1e3,
            "p95": percentile(lat, 95) * 1e3, "p99": percentile(lat, 99) * 1e3,
            "mean": statistics.mean(lat) * 1e3}


def burst(ports: List[int], method: str, path: str, body: Optional[bytes], total: int,
          concurrency: int) -> Dict[str, float]:
    """total requests from concurrency threads spread over ports."""
    per = total // concurrency
    lat: List[float] = []
    errors = [0]
    lock = threading.Lock()

    def worker(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", ports[i % len(ports)], timeout=60)
        mine: List[float] = []
        bad = 0
        for dummy in range(per):
            s = time.perf_counter()
            status = request(conn, method, path, body)[0]
            mine.append(time.perf_counter() - s)
            bad += status != 200
        conn.close()
        with lock:
            lat.extend(mine)
            errors[0] += bad

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - t0
    lat.sort()
    return {"n": per * concurrency, "errors": errors[0], "rps": per * concurrency / wall,
            "p50": percentile(lat, 50) * 1e3, "p95": percentile(lat, 95) * 1e3, "p99": percentile(lat, 99) * 1e3}


def line(name: str, r: Dict[str, float]) -> str:
    return "  %-50s %6d req  %8.0f req/s  p50 %6.2f ms  p95 %6.2f ms  p99 %6.2f ms  errors %d" % (
        name, r["n"], r["rps"], r["p50"], r["p95"], r["p99"], r["errors"])


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for ln in f:
                if ln.startswith("model name"):
                    cpu = ln.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            mem = "%.1f GiB RAM" % (int(f.readline().split()[1]) / 1024 / 1024)
    except (OSError, ValueError, IndexError):
        pass
    load = "load average %.2f %.2f %.2f" % os.getloadavg() if hasattr(os, "getloadavg") else ""
    fields = (cpu, os.cpu_count() or 0, mem, platform.system(), platform.release(), platform.python_version(), load)
    return "%s, %d CPUs, %s, %s %s, Python %s, %s" % fields


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--binary", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bin", "ollama-distributed"))
    ap.add_argument("--base-port", type=int, default=18200, help="API ports base+1..3, p2p base+11..13")
    ap.add_argument("--requests", type=int, default=2000, help="requests per sequential measurement")
    ap.add_argument("--concurrency", type=int, default=16, help="threads in the burst")
    ap.add_argument("--heartbeat", default="500ms", help="consensus.heartbeat_time")
    ap.add_argument("--election", default="3s", help="consensus.election_timeout")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()

    binary = os.path.abspath(args.binary)
    if not os.access(binary, os.X_OK):
        print("no executable at %s; build it first (see the README)" % binary, file=sys.stderr)
        return 2
    version = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    root = tempfile.mkdtemp(prefix="od-bench-")
    nodes = [Node(binary, root, i, args.base_port, args) for i in (1, 2, 3)]
    print("binary:  %s (%s)" % (binary, version))
    print("machine: %s" % machine())
    print("cluster: 3 nodes on 127.0.0.1, heartbeat %s, election timeout %s, state in %s" % (
        args.heartbeat, args.election, root))
    try:
        t0 = time.monotonic()
        for n in nodes:
            n.start()
        leader = wait_agreement(nodes, 3)[1]
        print("\nformation")
        print("  start of 3 processes -> all report cluster_size 3, one leader: %.3f s (leader %s)" % (
            time.monotonic() - t0, leader))
        rss_idle = [n.rss_kib() for n in nodes]

        # The model lives on node 1 and, after a pull, node 2; node 3 forwards.
        mdir = os.path.join(nodes[0].dir, "models", "manifests")
        os.makedirs(mdir, exist_ok=True)
        with open(os.path.join(mdir, "bench.json"), "w", encoding="utf-8") as f:
            json.dump({"name": "bench-model", "size": 1000}, f)
        pull = json.dumps({"name": "bench-model", "stream": False}).encode()
        t_pull = time.monotonic()
        while True:
            conn = http.client.HTTPConnection("127.0.0.1", nodes[1].api, timeout=10)
            status = request(conn, "POST", "/api/pull", pull)[0]
            conn.close()
            if status == 200:
                break
            if time.monotonic() - t_pull > 30:
                raise SystemExit("pull onto node 2 failed")
            time.sleep(0.05)
        print("  seed on node 1 -> pulled onto node 2 from its peer: %.3f s" % (time.monotonic() - t_pull))

        gen = json.dumps({"model": "bench-model", "prompt": "why is the sky blue?", "stream": False}).encode()
        n = args.requests
        print("\nlatency, one client, keep-alive (%d requests each)" % n)
        print(line("GET /health (node 1)", sequential(nodes[0].api, "GET", "/health", None, n)))
        print(line("GET /api/distributed/status (node 1)", sequential(nodes[0].api, "GET", "/api/distributed/status", None, n // 4)))
        print(line("POST /api/generate on node 1 (round robin)", sequential(nodes[0].api, "POST", "/api/generate", gen, n)))
        print(line("POST /api/generate via node 3 (always forwarded)", sequential(nodes[2].api, "POST", "/api/generate", gen, n)))

        print("\nconcurrent burst: %d threads over the 3 nodes" % args.concurrency)
        ports = [x.api for x in nodes]
        print(line("GET /health", burst(ports, "GET", "/health", None, n * 2, args.concurrency)))
        print(line("POST /api/generate", burst(ports, "POST", "/api/generate", gen, n * 2, args.concurrency)))
        rss_load = [x.rss_kib() for x in nodes]
        print("\nresident memory (VmRSS)")
        for x, a, b in zip(nodes, rss_idle, rss_load):
            print("  %-8s idle %6.1f MiB   after load %6.1f MiB" % (x.id, a / 1024, b / 1024))

        print("\nfailure and shutdown")
        took = nodes[2].stop()
        print("  SIGTERM -> exit of %s: %.3f s" % (nodes[2].id, took))
        t_deg = time.monotonic()
        wait_agreement(nodes[:2], 2)
        print("  stop of %s -> both others report cluster_size 2: %.3f s (election timeout %s)" % (
            nodes[2].id, time.monotonic() - t_deg, args.election))
    finally:
        for x in nodes:
            if x.proc is not None and x.proc.poll() is None:
                x.proc.send_signal(signal.SIGTERM)
                try:
                    x.proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    x.proc.kill()
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
