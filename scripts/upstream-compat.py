"""Run upstream's training tools against the lab's reference node and print what happened.

    python3 scripts/upstream-compat.py /path/to/OllamaMax [--port-base 19310] [--keep]

The argument is a fetched copy of upstream (KhryptorGraphics/OllamaMax): a work
tree, or a git directory without one (its HEAD is read with ``git archive``).
Only upstream's training material (``ollama-distributed/training/``) is used,
in a temporary directory; upstream's own node is never built. The single-file
Go examples are built with the local Go (standard library plus Debian's
``gopkg.in/yaml.v3``, no module proxy), the shell tools run with bash. The
lab's node is built from this checkout. Every server listens on 127.0.0.1 at
``--port-base`` and the nine ports above it (p2p at +10..+12): the ports that
upstream's files hard-code (8080-8085, 9080-9081, 4001-4002) are rewritten in
the temporary copies before anything starts, never used.

Prints a Markdown table (tool, call, what upstream expects, what happened) on
stdout; progress goes to stderr. Exit 0 when every tool could be run (whatever
their verdicts), 1 otherwise.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
TRAINING = "ollama-distributed/training"
EX = f"{TRAINING}/code-examples"
YAML_SRC = "/usr/share/gocode/src/gopkg.in/yaml.v3"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
ROWS: list[tuple[str, str, str, str]] = []


def log(msg: str) -> None:
    print(f"[upstream-compat] {msg}", file=sys.stderr, flush=True)


def row(tool: str, call: str, expects: str, result: str) -> None:
    ROWS.append((tool, call, expects, " ".join(result.split())))


def run(cmd: list[str], timeout: float = 120, **kw: object) -> tuple[int, str]:
    try:
        check = kw.pop("check", False)
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=check, **kw)  # type: ignore[call-overload]
        return p.returncode, ANSI.sub("", p.stdout + p.stderr)
    except subprocess.TimeoutExpired as e:
        return -1, f"timed out after {timeout}s: {e.stdout or ''}"


class Lab:
    """The temporary work area, the lab's binary and the port plan."""

    def __init__(self, upstream: Path, base: int, tmp: Path, examples_bin: Path | None = None) -> None:
        self.tmp, self.base, self.examples_bin = tmp, base, examples_bin
        self.ports = {8080: base, 8081: base + 1, 8082: base + 2, 8083: base + 3, 8084: base + 4,
                      8085: base + 5, 9080: base + 6, 9081: base + 7, 4001: base + 10, 4002: base + 11, 4003: base + 12}
        self.src = tmp / "upstream"
        self.src.mkdir()
        if (upstream / TRAINING).is_dir():
            run(["cp", "-r", str(upstream / TRAINING), str(self.src / "ollama-distributed")], check=True)
        else:
            arch = subprocess.run(["git", "-C", str(upstream), "archive", "HEAD", TRAINING], capture_output=True, check=True)
            subprocess.run(["tar", "-x", "-C", str(self.src)], input=arch.stdout, check=True)
        code, out = run(["git", "-C", str(upstream), "log", "-1", "--format=%H %cI"])
        self.commit = out.strip() if code == 0 else "unknown (not a git checkout)"
        self.binary = tmp / "bin" / "ollama-distributed"
        code, out = run([str(ROOT / "reference-node/scripts/go-offline.sh"), "build", "-o", str(self.binary),
                         "./cmd/ollama-distributed"], timeout=600, cwd=ROOT / "reference-node")
        if code != 0:
            raise SystemExit(f"cannot build the lab's node: {out}")
        self.go = run(["go", "version"])[1].strip()

    def file(self, rel: str) -> Path:
        return self.src / rel

    def build_go(self, rel: str, name: str, edit: Callable[[str], str] = lambda s: s) -> tuple[Path | None, str]:
        """The operator's own build of one of upstream's single-file Go examples.

        This script never builds upstream's code; it runs executables named
        ``<name>`` found in ``--examples-bin``, made by the operator from the
        fetched copy (the API client with its base URL at this run's first port,
        as ``edit`` shows).
        """
        exe = self.examples_bin / name if self.examples_bin else None
        if exe and exe.is_file() and os.access(exe, os.X_OK):
            return exe, ""
        want = edit("http://localhost:8080")
        return None, (f"not run: no executable {name} for {rel} in --examples-bin"
                      + (f", base URL {want}" if want != "http://localhost:8080" else "")
                      + ")")

    def move_ports(self, text: str) -> str:
        """Rewrite upstream's hard-coded ports (and wildcard hosts) to this run's loopback ports."""
        def sub(m: re.Match) -> str:
            port = int(m.group(2))
            return f"127.0.0.1:{self.ports[port]}" if port in self.ports else m.group(0)
        return re.sub(r"(127\.0\.0\.1|0\.0\.0\.0|localhost):(\d{4})\b", sub, text)


class Node:
    """One lab node process started from a config file."""

    def __init__(self, lab: Lab, cfg: Path, env: dict | None = None) -> None:
        self.lab, self.cfg = lab, cfg
        self.logf = open(cfg.with_suffix(".out"), "w", encoding="utf-8")  # pylint: disable=consider-using-with
        self.p = subprocess.Popen(  # pylint: disable=consider-using-with
            [str(lab.binary), "start", "--config", str(cfg)], stdout=self.logf,
            stderr=subprocess.STDOUT, cwd=lab.tmp, env=dict(os.environ, **(env or {})))

    def get(self, url: str) -> tuple[int, dict]:
        try:
            ctx = None
            if url.startswith("https"):  # the run's own self-signed certificate
                ctx = ssl.create_default_context()
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
            with urllib.request.urlopen(url, timeout=3, context=ctx) as r:
                return r.status, json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            return e.code, {}
        except (OSError, ValueError):
            return 0, {}

    def wait(self, url: str, limit: float = 10) -> tuple[int, dict]:
        end = time.time() + limit
        while time.time() < end:
            if self.p.poll() is not None:
                return -1, {}
            code, body = self.get(url)
            if code:
                return code, body
            time.sleep(0.1)
        return 0, {}

    def stop(self) -> str:
        if self.p.poll() is not None:
            self.logf.close()
            return f"had exited {self.p.returncode}: " + self.cfg.with_suffix(".out").read_text()[-300:]
        self.p.send_signal(signal.SIGTERM)
        try:
            code = self.p.wait(10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            code = self.p.wait()
            return "still running 10 s after SIGTERM (killed)"
        finally:
            self.logf.close()
        return f"SIGTERM: exit {code}"


def validate(lab: Lab, tool: str, name: str, cfg: Path, env: dict | None = None) -> int:
    code, out = run([str(lab.binary), "validate", "--config", str(cfg)], env=dict(os.environ, **(env or {})))
    lines = [ln for ln in out.splitlines() if ln and ln != "configuration OK"]
    upstream_keys = sum("upstream setting" in ln for ln in lines)
    other = [ln for ln in lines if "upstream setting" not in ln]
    if code == 0:
        summary = f"exit 0; {upstream_keys} upstream keys warned about and ignored"
        summary += "".join("; " + ln for ln in other)
    else:
        summary = f"exit {code}; " + "; ".join(other)
    row(tool, f"`ollama-distributed validate --config {name}`", "exit 0", summary)
    scode = run([str(lab.binary), "validate", "--strict", "--config", str(cfg)], env=dict(os.environ, **(env or {})))[0]
    row(tool, f"`validate --strict --config {name}`", "(the collection's own files only)",
        f"exit {scode}" + (" (every warning is a problem)" if scode == 2 and code == 0 else ""))
    return code


def start(lab: Lab, tool: str, name: str, cfg: Path, note: str, env: dict | None = None) -> None:
    text = cfg.read_text()
    moved = cfg.with_name(cfg.stem + ".lab.yaml")
    moved.write_text(lab.move_ports(text))
    api = re.search(r"listen:\s*\"?(127\.0\.0\.1:\d+)", moved.read_text())
    if not api:
        row(tool, f"`start --config {name}`", "node runs", "no API listen address found")
        return
    scheme = "https" if re.search(r"tls:\s*\n\s*enabled:\s*true", text) else "http"
    node = Node(lab, moved, env)
    code, body = node.wait(f"{scheme}://{api.group(1)}/health")
    stopped = node.stop()
    row(tool, f"`start --config {name}` ({note})", "node runs, `/health` 200",
        f"/health {code}, node_id {body.get('node_id')!r}; {stopped}")


def config_manager(lab: Lab) -> Path | None:
    tool = "02 configuration-manager.go"
    exe, out = lab.build_go(f"{EX}/02-configuration/configuration-manager.go", "configmanager")
    if not exe:
        row(tool, "`go build`", "builds", out[-300:])
        return None
    home = lab.tmp / "home-cm"
    home.mkdir()
    code, out = run([str(exe)], env=dict(os.environ, HOME=str(home)))
    profiles = home / ".ollama-distributed" / "profiles"
    made = sorted(p.name for p in profiles.glob("*.yaml"))
    row(tool, "`go run configuration-manager.go`", "writes profiles", f"exit {code}; wrote {', '.join(made)}")
    certs = tls_pair(lab)
    secret = {"JWT_SECRET": "lab-run-" + "x" * 40}
    for p in ("development", "testing", "production"):
        cfg = profiles / f"{p}.yaml"
        if not cfg.exists():
            continue
        env = secret if p == "production" else None
        validate(lab, tool, f"{p}.yaml" + (" (JWT_SECRET set)" if env else ""), cfg, env)
        if p == "production":
            # upstream's template names /etc/ssl files and absolute state directories
            prod = cfg.with_name("production.run.yaml")
            t = cfg.read_text().replace("/etc/ssl/certs/ollama-distributed.crt", str(certs[0]))
            t = t.replace("/etc/ssl/private/ollama-distributed.key", str(certs[1]))
            t = t.replace("/var/lib/ollama-distributed", str(lab.tmp / "prod/var/lib"))
            t = t.replace("/var/log/ollama-distributed", str(lab.tmp / "prod/var/log"))
            prod.write_text(t)
            validate(lab, tool, "production.yaml with this run's TLS pair and state paths", prod, env)
            start(lab, tool, "production.yaml", prod, "ports moved, TLS pair and state paths of this run, JWT_SECRET set", env)
        else:
            start(lab, tool, f"{p}.yaml", cfg, "ports moved")
    return profiles / "development.yaml"


def tls_pair(lab: Lab) -> tuple[Path, Path]:
    d = lab.tmp / "tls"
    d.mkdir()
    crt, key = d / "ollama-distributed.crt", d / "ollama-distributed.key"
    run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(crt)])
    return crt, key


def bash_functions(lab: Lab, rel: str, calls: str, env: dict) -> tuple[int, str]:
    """Run some functions of one of upstream's shell scripts (its main is not called)."""
    script = lab.file(rel).read_text()
    # cut the top-level dispatch (`main "$@"`, `case "${1:-install}" in ...`): only the functions stay
    ends = list(re.finditer(r'^(main "\$@"|case "\$\{1)', script, flags=re.M))  # the last one: heredocs hold others
    script = script[:ends[-1].start()] if ends else script
    lib = lab.tmp / (Path(rel).stem + ".functions.sh")
    lib.write_text(script)
    return run(["bash", "-c", f'source "{lib}"; {calls}'], env=dict(os.environ, **env))


def setup_script(lab: Lab) -> None:
    tool = "automation/training-environment-setup.sh"
    base = lab.tmp / "setup"
    code, out = bash_functions(lab, f"{TRAINING}/automation/training-environment-setup.sh",
                               "setup_directory_structure && setup_configuration_profiles", {"BASE_DIR": str(base)})
    made = sorted(p.name for p in (base / "profiles").glob("*.yaml"))
    row(tool, "`setup_directory_structure; setup_configuration_profiles`", "writes profiles",
        f"exit {code}; wrote {', '.join(made)}")
    for name in made:
        cfg = base / "profiles" / name
        if validate(lab, tool, name, cfg) == 0 and name in ("development.yaml", "testing.yaml"):
            start(lab, tool, name, cfg, "ports moved")
    nodes = [base / "profiles" / f for f in ("development.yaml", "node2.yaml", "node3.yaml")]
    if all(n.exists() for n in nodes):
        for n in nodes:
            n.with_name(n.stem + ".lab.yaml").write_text(lab.move_ports(n.read_text()))
        procs = [Node(lab, n.with_name(n.stem + ".lab.yaml")) for n in nodes]
        code, st = procs[0].wait(f"http://127.0.0.1:{lab.ports[8080]}/api/distributed/status")
        time.sleep(3)
        code, st = procs[0].get(f"http://127.0.0.1:{lab.ports[8080]}/api/distributed/status")
        ids = [m.get("id") for m in st.get("nodes", [])]
        stops = [p.stop() for p in procs]
        logs = " ".join(n.with_name(n.stem + ".lab.out").read_text() for n in nodes)
        clash = "another node uses this node id" in logs
        row(tool, "start development.yaml, node2.yaml, node3.yaml (od-dev, od-node2, od-node3; ports moved)",
            "a three-node cluster", f"cluster_size {st.get('cluster_size')}, member ids {ids}; "
            f"{'node id clash logged; ' if clash else ''}{'; '.join(stops)}")


def install_script(lab: Lab) -> None:
    tool = "01 install-and-build.sh"
    rel = f"{EX}/01-installation/install-and-build.sh"
    row(tool, "`build_project` (`go build ./cmd/node`)", "builds upstream's node",
        "not run: it builds upstream's node itself (needs Go 1.24.5 or newer and its modules from the Go "
        f"module proxy; this machine has {lab.go} and no proxy)")
    # its own entry point; BIN_DIR is $PROJECT_DIR/bin, where this run's lab binary is
    code, out = run(["bash", str(lab.file(rel)), "test-only"], env=dict(os.environ, PROJECT_DIR=str(lab.tmp)))
    for ln in out.splitlines():
        if re.search(r"works|failed|available", ln):
            row(tool, "`install-and-build.sh test-only`", "`--help`, `--version`, `validate --help` exit 0", ln.strip())
    row(tool, "`install-and-build.sh test-only`", "exit 0", f"exit {code}")
    home = lab.tmp / "home-install"
    home.mkdir()
    code, out = bash_functions(lab, rel, "create_training_environment",
                               {"HOME": str(home), "PROJECT_DIR": str(lab.tmp / "install-project")})
    for name in ("development.yaml", "testing.yaml"):
        cfg = home / ".ollama-distributed" / "profiles" / name
        if cfg.exists() and validate(lab, tool, name, cfg) == 0:
            start(lab, tool, name, cfg, "ports moved")


def api_client(lab: Lab, dev_profile: Path) -> None:
    tool = "04 comprehensive-api-client.go"
    url = f"http://127.0.0.1:{lab.ports[8080]}"
    exe, out = lab.build_go(f"{EX}/04-api-integration/comprehensive-api-client.go", "apiclient",
                            lambda s: s.replace("http://localhost:8080", url))
    if not exe:
        row(tool, "`go build`", "builds", out[-300:])
        return
    moved = dev_profile.with_name("development.client.yaml")
    moved.write_text(lab.move_ports(dev_profile.read_text()))
    manifests = dev_profile.parent / "dev-data" / "models" / "manifests"
    manifests.mkdir(parents=True, exist_ok=True)
    (manifests / "llama2_7b.json").write_text('{"name": "llama2:7b", "size": 3826793677}')
    node = Node(lab, moved)
    node.wait(url + "/health")
    for cmd in ("health", "basic", "generate", "stream", "monitor"):
        code, out = run([str(exe), cmd], timeout=60)
        bad = [ln for ln in out.splitlines() if re.search(r"fail|error|not healthy", ln, re.I)]
        good = [ln for ln in out.splitlines() if ln.strip()]
        result = "; ".join(bad) if bad else "ok: " + " | ".join(good[-6:])
        row(tool, f"`comprehensive-api-client {cmd}` (base URL moved)", "no error", f"exit {code}; {result[:600]}")
    dash = f"{EX}/03-operations/health-monitoring-dashboard.sh"
    code, out = run(["bash", str(lab.file(dash)), "--api-url", url, "--web-url", f"http://127.0.0.1:{lab.ports[8081]}",
                     "--log-file", str(lab.tmp / "dashboard.log"), "check"], timeout=120)
    for ln in out.splitlines():
        s = ln.strip()
        if s[:1] in ("✅", "⚠", "❌") or s.startswith("ℹ️"):
            row("03 health-monitoring-dashboard.sh", "`check` (`--api-url`, `--web-url` moved)", "", s)
    node.stop()


def validation_suite(lab: Lab, dev_profile: Path) -> None:
    tool = "05 training-validation-suite.go"
    exe, out = lab.build_go(f"{EX}/05-validation-testing/training-validation-suite.go", "suite")
    if not exe:
        row(tool, "`go build`", "builds", out[-300:])
        return
    cfg = dev_profile.with_name("development.suite.yaml")
    cfg.write_text(lab.move_ports(dev_profile.read_text()))
    suite_cfg = lab.tmp / "suite.yaml"
    suite_cfg.write_text(json.dumps({
        "api": {"base_url": f"http://127.0.0.1:{lab.ports[8080]}", "timeout": "10s"},
        "paths": {"binary": str(lab.binary), "config": str(cfg), "data_dir": str(lab.tmp / "suite-data")}}))
    results = {}
    for label in ("no node running", "lab node running on the same config"):
        node = Node(lab, cfg.with_name("development.suite-node.yaml")) if label.startswith("lab") else None
        if node:
            node.cfg.write_text(cfg.read_text())
            node.wait(f"http://127.0.0.1:{lab.ports[8080]}/health")
        out_file = lab.tmp / f"suite-{len(results)}.json"
        run([str(exe), "--config", str(suite_cfg), "--output", str(out_file)], timeout=300, cwd=lab.tmp)
        if node:
            node.stop()
        data = json.loads(out_file.read_text()) if out_file.exists() else {}
        results[label] = {r["name"]: (r["status"], r.get("message", "")) for r in data.get("results") or []}
    names = list(dict.fromkeys(n for r in results.values() for n in r))
    for n in names:
        parts = [f"{label}: {r.get(n, ('-', ''))[0]}" + (f" ({r[n][1]})" if n in r and r[n][1] else "")
                 for label, r in results.items()]
        row(tool, f"test `{n}`", "pass", "; ".join(parts))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    ap.add_argument("upstream", type=Path, help="a fetched copy of KhryptorGraphics/OllamaMax")
    ap.add_argument("--port-base", type=int, default=19310, help="first of the 13 loopback ports used")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ap.add_argument("--examples-bin", type=Path, help="directory of upstream's Go examples, built by hand "
                    "(configmanager, apiclient, suite); this script never builds upstream's code")
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="upstream-compat-"))
    lab = Lab(a.upstream.resolve(), a.port_base, tmp, a.examples_bin)
    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    log(f"upstream {lab.commit}; work in {tmp}")
    ok = True
    steps: list[tuple[str, Callable[[], object]]] = [("install-and-build.sh", lambda: install_script(lab))]
    dev: list[Path | None] = [None]
    steps.append(("configuration-manager.go", lambda: dev.__setitem__(0, config_manager(lab))))
    steps.append(("training-environment-setup.sh", lambda: setup_script(lab)))
    steps.append(("api client and dashboard", lambda: dev[0] and api_client(lab, dev[0])))
    steps.append(("validation suite", lambda: dev[0] and validation_suite(lab, dev[0])))
    for name, step in steps:
        log(f"running {name}")
        try:
            step()
        except (OSError, subprocess.SubprocessError, ValueError, KeyError, RuntimeError) as e:
            # a tool that cannot be run is reported, the others still run
            ok = False
            row(name, "(run)", "", f"could not be run: {type(e).__name__}: {e}")
    print(f"Upstream commit {lab.commit}, run {started} with {lab.go} against the lab's node "
          f"({run([str(lab.binary), '--version'])[1].strip()}).\n")
    print("| tool | call | upstream expects | lab node, this run |\n| --- | --- | --- | --- |")
    for r in ROWS:
        print("| " + " | ".join(c.replace("|", "\\|") for c in r) + " |")
    if not a.keep:
        subprocess.run(["rm", "-rf", str(tmp)], check=False)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
