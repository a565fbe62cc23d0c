# -*- coding: utf-8 -*-
# Copyright (c) ollama_lab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation checks of a node's security: headers, CORS, authentication and file modes."""

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

from typing import Any, Dict, List, Mapping

from ansible_collections.ollama_lab.distributed.plugins.module_utils import probes
from ansible_collections.ollama_lab.distributed.plugins.module_utils.checks_common import obs_duration, record
from ansible_collections.ollama_lab.distributed.plugins.module_utils.checks_startup import service_down


SECURITY_HEADERS = (('x-content-type-options', 'nosniff'), ('x-frame-options', 'DENY'))


def eval_security(obs: Mapping[str, Any], s: Mapping[str, Any]) -> List[Dict[str, Any]]:
    c = 'security'
    out = []
    sec = obs.get('security') or {}
    doc = obs.get('config_doc') or {}
    auth_on = doc.get('auth_enabled')
    env = doc.get('environment')
    down = service_down(obs)
    skip_down = 'skipped: the service is not running (see startup/service_active)'

    # production profile with auth off
    production = bool(s.get('production')) or env == 'production'
    if auth_on is None:
        out.append(record(c, 'production_auth', 'skip', 'the config was not read, auth state unknown'))
    elif production and not auth_on:
        out.append(record(c, 'production_auth', 'fail', 'expected security.enable_auth: true in a production '
                          'profile; found auth off (environment %s)' % (env or 'production')))
    elif production:
        out.append(record(c, 'production_auth', 'pass', 'expected auth on in a production profile; found it on'))
    else:
        out.append(record(c, 'production_auth', 'pass' if auth_on else 'warn',
                          'expected auth on in production; found environment %s with auth %s%s'
                          % (env or 'unset', 'on' if auth_on else 'off',
                             '' if auth_on else ' (acceptable for a lab, not for production)')))

    # protected routes
    if down:
        out.append(record(c, 'auth_required', 'skip', skip_down))
    elif not auth_on:
        out.append(record(c, 'auth_required', 'skip', 'security.enable_auth is off: protected routes are open by '
                          'configuration'))
    elif not sec.get('protected'):
        out.append(record(c, 'auth_required', 'skip', 'protected routes were not probed'))
    else:
        bad = []
        good = 0
        for item in sec['protected']:
            for case in ('missing_token', 'wrong_token'):
                status = item.get(case)
                if status == 401:
                    good += 1
                else:
                    bad.append('%s %s with %s answered %s' % (item.get('method', 'GET'), item['path'],
                                                              case.replace('_', ' '), status))
        expected = ('expected 401 from %d protected routes without a token and with a wrong token'
                    % len(sec['protected']))
        if bad:
            out.append(record(c, 'auth_required', 'fail', '%s; found %s' % (expected, '; '.join(bad)),
                              obs_duration(sec)))
        else:
            out.append(record(c, 'auth_required', 'pass', '%s; found 401 for all %d requests' % (expected, good),
                              obs_duration(sec)))

    # headers
    headers = (obs.get('http') or {}).get('headers')
    if down:
        out.append(record(c, 'security_headers', 'skip', skip_down))
    elif headers is None:
        out.append(record(c, 'security_headers', 'skip', 'response headers were not probed'))
    else:
        h = dict((str(k).lower().replace('_', '-'), str(v)) for k, v in headers.items())
        problems = []
        for name, value in SECURITY_HEADERS:
            if h.get(name, '').lower() != value.lower():
                problems.append('%s is %r' % (name, h.get(name)))
        if 'application/json' not in h.get('content-type', ''):
            problems.append('content-type is %r' % h.get('content-type'))
        server = h.get('server', '')
        if any(ch.isdigit() for ch in server):
            problems.append('server header shows a version (%r)' % server)
        if 'x-powered-by' in h:
            problems.append('x-powered-by is %r' % h['x-powered-by'])
        expected = ('expected X-Content-Type-Options: nosniff, X-Frame-Options: DENY, JSON content type and no '
                    'server version header on GET /health')
        if problems:
            out.append(record(c, 'security_headers', 'fail', '%s; found %s' % (expected, ', '.join(problems))))
        else:
            out.append(record(c, 'security_headers', 'pass', '%s; found them' % expected))

    # leaks
    if down:
        out.append(record(c, 'no_internal_leaks', 'skip', skip_down))
    elif not sec.get('errors'):
        out.append(record(c, 'no_internal_leaks', 'skip', 'error answers were not probed'))
    else:
        bad = []
        for item in sec['errors']:
            what = probes.leaks(item.get('body'))
            if item.get('status') is None or item['status'] < 400 or item['status'] >= 500:
                bad.append('%s answered %s (expected a 4xx)' % (item['what'], item.get('status')))
            if what:
                bad.append('%s shows %s' % (item['what'], ', '.join(what)))
            if not item.get('json_error'):
                bad.append('%s is not a JSON {"error": ...} answer' % item['what'])
        expected = 'expected %s to answer a 4xx JSON error without internals' % ', '.join(
            i['what'] for i in sec['errors'])
        if bad:
            out.append(record(c, 'no_internal_leaks', 'fail', '%s; found %s' % (expected, '; '.join(bad))))
        else:
            out.append(record(c, 'no_internal_leaks', 'pass', '%s; found clean answers (%s)' % (
                expected, ', '.join(str(i.get('status')) for i in sec['errors']))))

    # secrets on disk
    out.append(_eval_secret_files(obs, s))

    # service user
    proc = obs.get('process') or {}
    if down:
        out.append(record(c, 'not_root', 'skip', skip_down))
    elif not proc.get('pid'):
        out.append(record(c, 'not_root', 'skip', 'no process found (see startup/process_user)'))
    elif proc.get('uid') == 0:
        out.append(record(c, 'not_root', 'fail', 'expected the node process not to run as root; found pid %s as root'
                          % proc['pid']))
    else:
        out.append(record(c, 'not_root', 'pass', 'expected the node process not to run as root; found %s (uid %s)'
                          % (proc.get('user'), proc.get('uid'))))
    return out


def _eval_secret_files(obs: Mapping[str, Any], s: Mapping[str, Any]) -> Dict[str, Any]:
    c = 'security'
    files = list((obs.get('security') or {}).get('secret_files') or [])
    cfg = obs.get('config') or {}
    if cfg.get('exists'):
        files.insert(0, dict(path=cfg.get('path'), exists=True, mode=cfg.get('mode'), owner=cfg.get('owner'),
                             group=cfg.get('group')))
    files = [f for f in files if f.get('exists')]
    if not files:
        return record(c, 'secrets_not_world_readable', 'skip', 'no config or secret file found')
    bad = ['%s (mode %s)' % (f['path'], f.get('mode')) for f in files if int(str(f.get('mode') or '0'), 8) & 0o004]
    expected = 'expected %s not readable by everyone' % ', '.join(f['path'] for f in files)
    if bad:
        return record(c, 'secrets_not_world_readable', 'fail', '%s; found world-readable: %s'
                      % (expected, ', '.join(bad)))
    return record(c, 'secrets_not_world_readable', 'pass', '%s; found modes %s' % (
        expected, ', '.join(str(f.get('mode')) for f in files)))
