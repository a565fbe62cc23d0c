# -*- coding: utf-8 -*-
# Copyright (c) ollama_lab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsers for what the validation and monitoring probes read on a node.

Every function here is pure (text in, data out) so it can be unit-tested
without a node: /proc files, ``go version``, ``go.mod``, the binary's
``--version``, Prometheus text, log lines (service states are read in
service.py). The node_probe module feeds them; module_utils/checks.py
evaluates their output.
"""

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

import math
import re
from datetime import datetime, timezone
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

# /proc/net/tcp state 0A is LISTEN.
_TCP_LISTEN = '0A'


def parse_proc_net_tcp(text: str, ipv6: bool = False) -> List[Dict[str, Any]]:
    """Parse /proc/net/tcp or tcp6 into ``[{address, port, state, inode, listening}]``."""
    rows = []
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 10 or ':' not in fields[1]:
            continue
        addr_hex, port_hex = fields[1].rsplit(':', 1)
        try:
            port = int(port_hex, 16)
            inode = int(fields[9])
        except ValueError:
            continue
        rows.append(dict(address=_decode_addr(addr_hex, ipv6), port=port, state=fields[3],
                         inode=inode, listening=fields[3] == _TCP_LISTEN))
    return rows


def _decode_addr(addr_hex: str, ipv6: bool) -> str:
    try:
        if not ipv6:
            raw = bytes.fromhex(addr_hex)[::-1]
            return '.'.join(str(b) for b in raw)
        raw = bytes.fromhex(addr_hex)
        # four little-endian 32-bit words
        words = b''.join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
        if words[:12] == b'\x00' * 10 + b'\xff\xff':
            return '.'.join(str(b) for b in words[12:])
        groups = ['%x' % int.from_bytes(words[i:i + 2], 'big') for i in range(0, 16, 2)]
        text = ':'.join(groups)
        return '::' if text == '0:0:0:0:0:0:0:0' else ('::1' if text == '0:0:0:0:0:0:0:1' else text)
    except ValueError:
        return addr_hex


def socket_inodes(fd_targets: Iterable[str]) -> List[int]:
    """Inodes of ``socket:[N]`` link targets (from /proc/<pid>/fd/*)."""
    out = []
    for target in fd_targets:
        m = re.match(r'^socket:\[(\d+)\]$', target or '')
        if m:
            out.append(int(m.group(1)))
    return out


def parse_meminfo(text: str) -> Dict[str, int]:
    """``/proc/meminfo`` into MiB values keyed by field name."""
    out = {}
    for line in text.splitlines():
        m = re.match(r'^(\w+):\s+(\d+)\s*kB', line)
        if m:
            out[m.group(1)] = int(m.group(2)) // 1024
    return out


def parse_os_release(text: str) -> Dict[str, str]:
    out = {}
    for line in text.splitlines():
        if '=' in line and not line.startswith('#'):
            key, value = line.split('=', 1)
            out[key.strip()] = value.strip().strip('"').strip("'")
    return out


def parse_status_rss(text: str) -> Optional[int]:
    """VmRSS of ``/proc/<pid>/status`` in MiB."""
    m = re.search(r'^VmRSS:\s+(\d+)\s*kB', text, re.M)
    return int(m.group(1)) // 1024 if m else None


def parse_status_uid(text: str) -> Optional[int]:
    m = re.search(r'^Uid:\s+(\d+)', text, re.M)
    return int(m.group(1)) if m else None


def parse_loadavg(text: str) -> List[float]:
    try:
        return [float(x) for x in text.split()[:3]]
    except ValueError:
        return []


def process_start_seconds(stat_text: str, uptime_text: str, clock_ticks: int = 100) -> Optional[float]:
    """Seconds the process has been running, from /proc/<pid>/stat and /proc/uptime."""
    try:
        after_comm = stat_text.rsplit(')', 1)[1].split()
        start_ticks = int(after_comm[19])
        uptime = float(uptime_text.split()[0])
    except (IndexError, ValueError):
        return None
    return max(0.0, uptime - start_ticks / float(clock_ticks))


# -- versions -----------------------------------------------------------------

def version_tuple(text: Optional[str]) -> Optional[Tuple[int, ...]]:
    """``1.24.5`` / ``go1.22`` / ``v0.1.0-rc1`` into a tuple of ints (None when no number)."""
    if not text:
        return None
    m = re.search(r'(\d+(?:\.\d+)*)', str(text))
    if not m:
        return None
    return tuple(int(p) for p in m.group(1).split('.'))


def version_at_least(found: Optional[str], minimum: Optional[str]) -> bool:
    f, mn = version_tuple(found), version_tuple(minimum)
    if f is None or mn is None:
        return False
    width = max(len(f), len(mn))
    return f + (0,) * (width - len(f)) >= mn + (0,) * (width - len(mn))


def parse_go_version(text: str) -> Optional[str]:
    """``go version go1.22.5 linux/amd64`` -> ``1.22.5``."""
    m = re.search(r'\bgo(\d+(?:\.\d+)+)', text or '')
    return m.group(1) if m else None


def parse_go_mod(text: str) -> Dict[str, Optional[str]]:
    """The ``module``, ``go`` and ``toolchain`` directives of a go.mod."""
    out: Dict[str, Optional[str]] = dict(module=None, go=None, toolchain=None)
    for line in (text or '').splitlines():
        line = line.split('//', 1)[0].strip()
        m = re.match(r'^(module|go|toolchain)\s+(\S+)$', line)
        if m and out[m.group(1)] is None:
            value = m.group(2)
            out[m.group(1)] = value[2:] if m.group(1) == 'toolchain' and value.startswith('go') else value
    return out


def parse_binary_version(text: str) -> Optional[str]:
    """``ollama-distributed version 0.1.0 (reference)`` -> ``0.1.0``."""
    m = re.search(r'ollama-distributed\s+version\s+(\S+)', text or '')
    return m.group(1) if m else None


def same_version(found: Optional[str], expected: Optional[str]) -> bool:
    """Versions equal, ignoring a leading ``v``."""
    if found is None or expected is None:
        return False
    return str(found).lstrip('vV') == str(expected).lstrip('vV')


# -- logs ---------------------------------------------------------------------

_ERROR_RE = re.compile(r'(\blevel=(error|fatal|panic)\b|"level"\s*:\s*"(error|fatal|panic)"|\bpanic:)', re.I)
_ERROR_WORD_RE = re.compile(r'\b(ERROR|FATAL|PANIC|ERRO|FATA)\b')
_TS_RE = re.compile(r'(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)')


def line_timestamp(line: str) -> Optional[float]:
    """Epoch seconds of the first RFC 3339-like timestamp in a log line, or None."""
    m = _TS_RE.search(line or '')
    if not m:
        return None
    text = m.group(1).replace(' ', 'T')
    if text.endswith('Z'):
        text = text[:-1] + '+00:00'
    if re.search(r'[+-]\d{4}$', text):
        text = text[:-2] + ':' + text[-2:]
    frac = re.search(r'\.(\d+)', text)
    if frac and len(frac.group(1)) > 6:
        text = text.replace(frac.group(0), '.' + frac.group(1)[:6])
    try:
        ts = datetime.fromisoformat(text)
    except ValueError:
        return None
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=timezone.utc)
    return ts.timestamp()


def scan_log_errors(lines: Sequence[str], since: Optional[float] = None, limit: int = 5) -> Dict[str, Any]:
    """Error-level lines (error, fatal, panic) among ``lines``.

    With ``since`` (epoch seconds), lines whose timestamp is older are ignored;
    lines without a timestamp count. Returns ``{scanned, count, samples}``.
    """
    count = 0
    samples: List[str] = []
    scanned = 0
    for line in lines:
        if since is not None:
            ts = line_timestamp(line)
            if ts is not None and ts < since:
                continue
        scanned += 1
        if _ERROR_RE.search(line) or _ERROR_WORD_RE.search(line):
            count += 1
            if len(samples) < limit:
                samples.append(line.strip()[:300])
    return dict(scanned=scanned, count=count, samples=samples)


# -- HTTP answers ---------------------------------------------------------------

def parse_prometheus(text: str) -> Dict[str, float]:
    """Prometheus text into ``{name_or_name{labels}: value}``; comments ignored."""
    out = {}
    for line in (text or '').splitlines():
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        m = re.match(r'^([A-Za-z_:][A-Za-z0-9_:]*(?:\{[^}]*\})?)\s+(\S+)', line)
        if not m:
            continue
        try:
            out[m.group(1)] = float(m.group(2))
        except ValueError:
            continue
    return out


#: Things an error answer must never show: stack traces, source paths, versions of the runtime.
LEAK_PATTERNS = (
    (re.compile(r'goroutine \d+ \['), 'a Go stack trace'),
    (re.compile(r'\bpanic:'), 'a panic message'),
    (re.compile(r'\.go:\d+'), 'a Go source file and line'),
    (re.compile(r'Traceback \(most recent call last\)'), 'a Python traceback'),
    (re.compile(r'(/home/|/root/|/usr/local/go/|/go/pkg/mod/)'), 'a file system path'),
    (re.compile(r'runtime error'), 'a runtime error'),
    (re.compile(r'\bgo1\.\d+'), 'the Go runtime version'),
)


def leaks(text: Optional[str]) -> List[str]:
    """What internal details ``text`` shows (empty when none)."""
    found = []
    for pattern, what in LEAK_PATTERNS:
        if text and pattern.search(text):
            found.append(what)
    return found


def percentile(values: Sequence[float], pct: float) -> Optional[float]:
    """Nearest-rank percentile (``pct`` in 0-100) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, int(math.ceil(pct / 100.0 * len(ordered))))
    return ordered[min(rank, len(ordered)) - 1]


def latency_summary(values: Sequence[float], errors: int = 0) -> Dict[str, Any]:
    vals = [float(v) for v in values]
    return dict(count=len(vals) + errors, ok=len(vals), errors=errors,
                p50_ms=percentile(vals, 50), p95_ms=percentile(vals, 95),
                max_ms=max(vals) if vals else None)


# -- permissions ----------------------------------------------------------------

def can_write(mode: int, owner_uid: int, owner_gid: int, uid: int, gids: Iterable[int]) -> bool:
    """Whether a user (uid, groups) may write a file or directory with this mode/owner."""
    if uid == 0:
        return True
    if uid == owner_uid:
        return bool(mode & 0o200)
    if owner_gid in set(gids):
        return bool(mode & 0o020)
    return bool(mode & 0o002)


def can_read(mode: int, owner_uid: int, owner_gid: int, uid: int, gids: Iterable[int]) -> bool:
    if uid == 0:
        return True
    if uid == owner_uid:
        return bool(mode & 0o400)
    if owner_gid in set(gids):
        return bool(mode & 0o040)
    return bool(mode & 0o004)
