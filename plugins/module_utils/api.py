# -*- coding: utf-8 -*-
# Copyright (c) ollama_lab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one HTTP client of the collection: talks to an Ollama Distributed node.

Built on ``ansible.module_utils.urls`` (``Request``, as ``open_url`` is) so nothing beyond ansible-core
is needed where a module runs. Every failure becomes a ``NodeAPIError`` whose
message says what went wrong in words an operator can act on; the bearer token
never appears in any message.
"""

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

import json
import time
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlsplit

from ansible.module_utils.basic import env_fallback
from ansible.module_utils.urls import ConnectionError as AnsibleConnectionError
from ansible.module_utils.urls import Request, SSLValidationError, make_context

# NodeAPIError, NodeResponse and display_url are part of this module's interface too.
from ansible_collections.ollama_lab.distributed.plugins.module_utils.api_response import (  # noqa: F401
    NodeAPIError,
    NodeResponse,
    display_url,
    error_field,
    header_dict,
    is_refused,
    is_timeout,
    snippet,
)

from typing import Any, Callable, Dict, Iterable, Optional, Tuple

#: Connection options shared by every module of the collection. Merge it into
#: a module's own argument_spec: ``dict(CONNECTION_ARGUMENT_SPEC, **own)``.
CONNECTION_ARGUMENT_SPEC = dict(
    url=dict(type='str', required=True),
    token=dict(type='str', no_log=True, fallback=(env_fallback, ['OLLAMA_DISTRIBUTED_TOKEN'])),
    timeout=dict(type='float', default=10.0),
    validate_certs=dict(type='bool', default=True),
    ca_path=dict(type='path'),
    retries=dict(type='int', default=3),
    retry_delay=dict(type='float', default=1.0),
)

#: Upper bounds that keep retries and backoff finite whatever the input.
MAX_RETRIES = 20
MAX_BACKOFF_SECONDS = 30.0
USER_AGENT = 'ollama_lab.distributed'

# Methods that may safely be sent again after a timeout (the server may still
# be working on a timed-out POST such as a pull or a generate).
_IDEMPOTENT_METHODS = frozenset(('GET', 'HEAD', 'OPTIONS', 'DELETE'))


def backoff_seconds(base: float, attempt: int, cap: float = MAX_BACKOFF_SECONDS) -> float:
    """Seconds to wait before retry number ``attempt`` (1-based): ``base * 2**(attempt-1)``, at most ``cap``."""
    return min(max(float(base), 0.0) * (2 ** (max(int(attempt), 1) - 1)), cap)


def connection_argument_spec() -> Dict[str, Dict[str, Any]]:
    """A fresh copy of the shared connection options."""
    return dict((k, dict(v)) for k, v in CONNECTION_ARGUMENT_SPEC.items())


class NodeClient:
    """A small client for one node's HTTP API.

    >>> client = NodeClient('http://127.0.0.1:8080', token=None, timeout=5)
    >>> client.get('/health').data['status']   # doctest: +SKIP
    """

    def __init__(self, url: str, token: Optional[str] = None, timeout: float = 10.0,
                 validate_certs: bool = True, ca_path: Optional[str] = None, retries: int = 3,
                 retry_delay: float = 1.0, sleep: Callable[[float], Any] = time.sleep) -> None:
        if not url or not isinstance(url, str):
            raise ValueError('url must be a non-empty string such as http://127.0.0.1:8080')
        parts = urlsplit(url)
        if parts.scheme not in ('http', 'https') or not parts.netloc:
            raise ValueError('url must start with http:// or https:// and name a host, got %r' % display_url(url))
        if timeout is None or timeout <= 0:
            raise ValueError('timeout must be a positive number of seconds, got %r' % (timeout,))
        if retries is None or retries < 0 or retries > MAX_RETRIES:
            raise ValueError('retries must be between 0 and %d, got %r' % (MAX_RETRIES, retries))
        if retry_delay is None or retry_delay < 0:
            raise ValueError('retry_delay must be zero or more seconds, got %r' % (retry_delay,))
        self.base_url = url.rstrip('/')
        self.token = token or None
        self.timeout = float(timeout)
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self.retries = int(retries)
        self.retry_delay = float(retry_delay)
        self._sleep = sleep
        self._ssl_context: Any = None

    @classmethod
    def from_module(cls, module: Any, url: Optional[str] = None) -> 'NodeClient':
        """Build a client from an AnsibleModule's connection options (fails the module on bad values).

        ``url``: another node than the module's ``url``, with the same options.
        """
        p = module.params
        try:
            return cls(url or p['url'], token=p.get('token'), timeout=p['timeout'],
                       validate_certs=p['validate_certs'], ca_path=p.get('ca_path'),
                       retries=p['retries'], retry_delay=p['retry_delay'])
        except ValueError as exc:
            module.fail_json(msg='Invalid connection options: %s' % exc)
            raise  # not reached; keeps type checkers happy

    # -- helpers ---------------------------------------------------------
    def _context(self) -> Any:
        """One TLS context per client: open_url would load the CA store again for every request."""
        if self._ssl_context is None:
            self._ssl_context = make_context(cafile=self.ca_path, validate_certs=self.validate_certs)
        return self._ssl_context

    def url_for(self, path: str) -> str:
        if not path.startswith('/'):
            path = '/' + path
        return self.base_url + path

    @staticmethod
    def quote(segment: str) -> str:
        """Quote one path segment (a node id or model name)."""
        return quote(str(segment), safe='')

    def _headers(self, has_body: bool, method: str = 'GET') -> Dict[str, str]:
        headers = {'Accept': 'application/json'}
        # nodes take state changes only as JSON (415 otherwise), even without a body
        if has_body or method in ('POST', 'PUT', 'DELETE'):
            headers['Content-Type'] = 'application/json'
        if self.token:
            headers['Authorization'] = 'Bearer %s' % self.token
        return headers

    def _scrub(self, text: str) -> str:
        if self.token and self.token in text:
            text = text.replace(self.token, '********')
        return text

    def backoff(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based): delay * 2**(attempt-1), capped."""
        return backoff_seconds(self.retry_delay, attempt)

    # -- requests --------------------------------------------------------
    def request(self, method: str, path: str, body: Any = None, accept_status: Iterable[int] = (),
                retries: Optional[int] = None, timeout: Optional[float] = None) -> NodeResponse:
        """Send one request, retrying transient failures; return the decoded answer.

        ``accept_status`` lists non-2xx statuses whose JSON body is a valid
        answer (for example 503 on ``/health``); they are neither errors nor
        retried. ``retries``/``timeout`` override the client defaults for this
        request.
        """
        method = method.upper()
        max_retries = self.retries if retries is None else max(0, min(int(retries), MAX_RETRIES))
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._once(method, path, body, tuple(accept_status), timeout)
                response.attempts = attempt
                return response
            except NodeAPIError as exc:
                retryable = exc.transient and (exc.kind != 'timeout' or method in _IDEMPOTENT_METHODS)
                if not retryable or attempt > max_retries:
                    if attempt > 1:
                        exc.message = '%s (gave up after %d attempts)' % (exc.message, attempt)
                        exc.args = (exc.message,)
                    raise
                self._sleep(self.backoff(attempt))

    def get(self, path: str, **kwargs: Any) -> NodeResponse:
        return self.request('GET', path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> NodeResponse:
        return self.request('POST', path, body=body if body is not None else {}, **kwargs)

    def delete(self, path: str, body: Any = None, **kwargs: Any) -> NodeResponse:
        return self.request('DELETE', path, body=body, **kwargs)

    def get_first(self, paths: Iterable[str], **kwargs: Any) -> Tuple[str, NodeResponse]:
        """GET the first of ``paths`` that exists: move on only on 404.

        Returns ``(path, response)``; re-raises the last 404 when none exists.
        Used for the route families the contract allows
        (``/api/distributed/*`` then ``/api/v1/*``).
        """
        last: Optional[NodeAPIError] = None
        for path in paths:
            try:
                return path, self.get(path, **kwargs)
            except NodeAPIError as exc:
                if exc.status != 404:
                    raise
                last = exc
        if last is None:
            raise ValueError('get_first needs at least one path')
        raise last

    def _once(self, method: str, path: str, body: Any, accept_status: Tuple[int, ...],
              timeout: Optional[float]) -> NodeResponse:
        url = self.url_for(path)
        shown = display_url(url)
        where = '%s %s' % (method, shown)
        timeout = self.timeout if timeout is None else float(timeout)
        data = None if body is None else json.dumps(body).encode('utf-8')
        started = time.monotonic()
        status: Optional[int] = None
        headers: Dict[str, str] = {}
        try:
            try:
                resp = Request(context=self._context()).open(
                    method, url, data=data, headers=self._headers(data is not None, method), timeout=timeout,
                    validate_certs=self.validate_certs, ca_path=self.ca_path, http_agent=USER_AGENT,
                    follow_redirects='safe', use_netrc=False)
                status = resp.getcode()
                headers = header_dict(resp)
                raw = resp.read()
            except HTTPError as exc:
                status = exc.code
                headers = header_dict(exc)
                try:
                    raw = exc.read() or b''
                finally:
                    exc.close()
        except SSLValidationError as exc:
            raise NodeAPIError(self._scrub(
                'TLS certificate check failed for %s: %s. Point ca_path at the CA that signed the node '
                'certificate, or set validate_certs=false for a lab with self-signed certificates.'
                % (where, exc)), url=shown, kind='tls')
        except (URLError, AnsibleConnectionError, OSError) as exc:
            if is_timeout(exc):
                raise NodeAPIError('Timed out after %gs waiting for %s: the node accepted the connection '
                                   'but did not answer in time (raise timeout, or check the node load).'
                                   % (timeout, where), url=shown, transient=True, kind='timeout')
            if is_refused(exc):
                raise NodeAPIError('Connection refused by %s (%s): nothing is listening there. Is the node '
                                   'running, and are the host and port right?' % (shown, method),
                                   url=shown, transient=True, kind='refused')
            reason = getattr(exc, 'reason', exc)
            raise NodeAPIError(self._scrub('Cannot reach %s: %s' % (where, reason)), url=shown, transient=True,
                               kind='connection')
        latency_ms = round((time.monotonic() - started) * 1000.0, 1)

        parsed: Any = None
        json_ok = True
        if raw.strip():
            try:
                parsed = json.loads(raw.decode('utf-8'))
            except (ValueError, UnicodeDecodeError):
                json_ok = False
        else:
            parsed = {}
        api_error = error_field(parsed) if json_ok else None
        if api_error is not None:
            api_error = self._scrub(api_error)

        if 200 <= status < 300 or status in accept_status:
            if not json_ok:
                raise NodeAPIError(self._scrub('%s answered HTTP %d with a body that is not JSON: %s'
                                               % (where, status, snippet(raw))), url=shown, status=status,
                                   kind='json')
            return NodeResponse(status, parsed, latency_ms, shown, headers=headers)

        detail = api_error if api_error else ('(body is not JSON: %s)' % snippet(raw) if not json_ok else '(no error message)')
        detail = self._scrub(detail)
        if status == 401:
            msg = ('%s answered 401 Unauthorized: the API token was %s. Set the token option (or '
                   'OLLAMA_DISTRIBUTED_TOKEN) to one of security.api_keys or a valid JWT. Server said: %s'
                   % (where, 'rejected' if self.token else 'missing', detail))
        elif status == 404:
            msg = '%s answered 404 Not Found: %s' % (where, detail)
        else:
            msg = '%s answered HTTP %d: %s' % (where, status, detail)
        raise NodeAPIError(msg, url=shown, status=status, error=api_error, transient=status >= 500,
                           body=parsed if json_ok else None)


def fail_api(module: Any, exc: NodeAPIError, **extra: Any) -> None:
    """Turn a NodeAPIError into ``module.fail_json`` (message, url, http_status, api_error)."""
    result = exc.to_result()
    result.update(extra)
    module.fail_json(**result)
