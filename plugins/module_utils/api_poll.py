# -*- coding: utf-8 -*-
# Copyright (c) ollama_lab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Polling a node until it shows what a task waits for (health, cluster size, leader)."""

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

import time
from typing import Any, Callable, Optional

from ansible_collections.ollama_lab.distributed.plugins.module_utils.api_response import NodeAPIError


class PollResult:
    """What ``poll_until`` saw: ``ok``, the last ``value`` (or None), the last ``error``, ``attempts``, ``elapsed``."""

    __slots__ = ('ok', 'value', 'error', 'attempts', 'elapsed')

    def __init__(self, ok: bool, value: Any, error: Optional[NodeAPIError], attempts: int, elapsed: float) -> None:
        self.ok = ok
        self.value = value
        self.error = error
        self.attempts = attempts
        self.elapsed = elapsed


#: The first pause of ``poll_until``; each next one is twice as long, up to its ``interval``.
FIRST_POLL_DELAY = 0.05


def poll_until(fetch: Callable[[], Any], predicate: Callable[[Any], bool], timeout: float,
               interval: float = 2.0, sleep: Callable[[float], Any] = time.sleep,
               clock: Callable[[], float] = time.monotonic,
               first_delay: float = FIRST_POLL_DELAY) -> PollResult:
    """Call ``fetch`` until ``predicate(value)`` holds or ``timeout`` seconds pass.

    Always fetches at least once. The pauses between fetches start at
    ``first_delay`` and double up to ``interval`` (a node that is ready a
    moment after a start is seen then, not one whole interval later). Transient ``NodeAPIError`` (connection
    refused, timeout, 5xx) are observations: polling goes on and the last one
    is kept in ``error``. Other errors (401, 404, bad JSON) are raised at once,
    since waiting cannot fix them. ``value`` is the last successful
    observation, ``error`` is None when the last fetch succeeded.
    """
    start = clock()
    attempts = 0
    value: Any = None
    error: Optional[NodeAPIError] = None
    interval = max(float(interval), 0.0)
    delay = min(max(float(first_delay), 0.0), interval)
    while True:
        attempts += 1
        try:
            value = fetch()
            error = None
            if predicate(value):
                return PollResult(True, value, None, attempts, clock() - start)
        except NodeAPIError as exc:
            if not exc.transient:
                raise
            error = exc
        elapsed = clock() - start
        remaining = timeout - elapsed
        if remaining <= 0:
            return PollResult(False, value, error, attempts, elapsed)
        sleep(min(delay, remaining))
        delay = min(max(delay * 2, FIRST_POLL_DELAY), interval)
