# -*- coding: utf-8 -*-
# Copyright (c) ollama_lab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a node answered, or why it did not: the answers and errors of ``api.NodeClient``.

Every failure is a ``NodeAPIError`` whose message an operator can act on
(``api.py`` builds them); the helpers here classify low-level errors and
shorten bodies for those messages.
"""

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

import socket
from typing import Any, Dict, Optional
from urllib.parse import urlsplit, urlunsplit


def display_url(url: str) -> str:
    """The URL without any user:password part, safe to print."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ''
    if parts.port:
        host = '%s:%d' % (host, parts.port)
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


class NodeAPIError(Exception):
    """A request to a node failed.

    ``status`` is the HTTP status (``None`` when no HTTP answer arrived),
    ``url`` the address asked (without credentials), ``message`` the whole
    explanation, ``error`` the JSON ``error`` field of the answer if any,
    ``kind`` one of ``refused``, ``timeout``, ``connection``, ``tls``, ``http``,
    ``json``; ``transient`` whether trying again later could help (connection
    problems, timeouts and 5xx answers); ``body`` the decoded JSON answer if any.
    """

    def __init__(self, message: str, url: Optional[str] = None, status: Optional[int] = None,
                 error: Optional[str] = None, transient: bool = False, body: Any = None,
                 kind: str = 'http') -> None:
        super(NodeAPIError, self).__init__(message)
        self.message = message
        self.kind = kind
        self.url = url
        self.status = status
        self.error = error
        self.transient = transient
        self.body = body

    def __str__(self) -> str:
        return self.message

    def to_result(self) -> Dict[str, Any]:
        """Keys a module adds to ``fail_json``."""
        return dict(msg=self.message, url=self.url, http_status=self.status, api_error=self.error)


class NodeResponse:
    """A decoded answer: ``status``, ``data`` (parsed JSON), ``latency_ms``, ``url``, ``headers`` (lower-case names)."""

    __slots__ = ('status', 'data', 'latency_ms', 'url', 'attempts', 'headers')

    def __init__(self, status: int, data: Any, latency_ms: float, url: str, attempts: int = 1,
                 headers: Optional[Dict[str, str]] = None) -> None:
        self.headers = headers or {}
        self.status = status
        self.data = data
        self.latency_ms = latency_ms
        self.url = url
        self.attempts = attempts

    def __repr__(self) -> str:
        return 'NodeResponse(status=%r, url=%r, latency_ms=%r)' % (self.status, self.url, self.latency_ms)


def error_field(data: Any) -> Optional[str]:
    if isinstance(data, dict) and data.get('error') not in (None, ''):
        return str(data['error'])
    return None


def snippet(raw: bytes, limit: int = 200) -> str:
    text = raw.decode('utf-8', errors='replace').strip().replace('\n', ' ')
    if len(text) > limit:
        text = text[:limit] + '...'
    return text or '<empty body>'


def header_dict(resp: Any) -> Dict[str, str]:
    """The answer's headers with lower-case names (empty when there are none)."""
    items = getattr(getattr(resp, 'headers', None), 'items', None)
    return dict((str(k).lower(), str(v)) for k, v in items()) if callable(items) else {}


def is_timeout(exc: BaseException) -> bool:
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return True
    reason = getattr(exc, 'reason', None)
    if isinstance(reason, (socket.timeout, TimeoutError)):
        return True
    return 'timed out' in str(exc).lower()


def is_refused(exc: BaseException) -> bool:
    if isinstance(exc, ConnectionRefusedError):
        return True
    reason = getattr(exc, 'reason', None)
    if isinstance(reason, ConnectionRefusedError):
        return True
    text = str(exc).lower()
    return 'connection refused' in text or 'errno 111' in text
