"""Poll /health of several nodes in a loop and report the worst moment.

    python3 health_probe.py --out RESULT.json --stop STOPFILE [--max-seconds 300]
                            [--interval 0.2] [--timeout 1] URL [URL ...]

One round asks every URL's /health once (one "moment"). A node "answers" when
it returns a status of healthy or degraded (HTTP 200, or 503 with a JSON body
is unhealthy). The probe stops when STOPFILE exists or after --max-seconds
(bounded: it never runs forever), then writes RESULT.json:
  {rounds, min_answering, worst_round, started, ended, timeline: [...]}
timeline lists only the rounds where some node did not answer. Standard
library only: it runs on the test nodes with their system python3.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
from typing import Any, Dict, List, Optional


def status_of(url: str, timeout: float) -> str:
    try:
        with urllib.request.urlopen(url.rstrip('/') + '/health', timeout=timeout) as resp:
            return str(json.loads(resp.read().decode()).get('status', 'no-status'))
    except urllib.error.HTTPError as exc:
        try:
            return str(json.loads(exc.read().decode()).get('status', 'http-%d' % exc.code))
        except ValueError:
            return 'http-%d' % exc.code
    except Exception as exc:  # refused, timeout, reset: the node does not answer
        return 'down:%s' % type(exc).__name__


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument('--out', required=True)
    parser.add_argument('--stop', required=True)
    parser.add_argument('--max-seconds', type=float, default=300)
    parser.add_argument('--interval', type=float, default=0.2)
    parser.add_argument('--timeout', type=float, default=1.0)
    parser.add_argument('urls', nargs='+')
    args = parser.parse_args()

    started = time.time()
    rounds = 0
    min_answering = len(args.urls)
    worst: Optional[Dict[str, Any]] = None
    timeline: List[Dict[str, Any]] = []
    while not os.path.exists(args.stop) and time.time() - started < args.max_seconds:
        seen = {url: status_of(url, args.timeout) for url in args.urls}
        answering = sum(1 for s in seen.values() if s in ('healthy', 'degraded'))
        rounds += 1
        if answering < len(args.urls):
            timeline.append({'t': round(time.time() - started, 2), 'seen': seen})
        if answering < min_answering or worst is None:
            min_answering = min(min_answering, answering)
            worst = {'t': round(time.time() - started, 2), 'seen': seen}
        time.sleep(args.interval)
    result = {
        'rounds': rounds,
        'min_answering': min_answering,
        'worst_round': worst,
        'started': started,
        'ended': time.time(),
        'stopped_by': 'stopfile' if os.path.exists(args.stop) else 'max-seconds',
        'timeline': timeline[:200],
    }
    with open(args.out, 'w') as fh:
        json.dump(result, fh, indent=1)
    print(json.dumps({k: result[k] for k in ('rounds', 'min_answering', 'stopped_by')}))
    return 0


if __name__ == '__main__':
    sys.exit(main())
