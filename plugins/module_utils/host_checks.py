# -*- coding: utf-8 -*-
# Copyright (c) ollama_lab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a machine can run a node: the one judge of the preflight module and of validate's
prerequisites category, so the two cannot disagree.

Each check is ``{name, variable, status, found, need}`` (status pass, warn or fail); the
preflight module words it ``<variable>: found <x>, need <y>``, validate
``expected <need>; found <found>``. What is judged is read by
``module_utils/host_observe.py``.
"""

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

import json
import re
from typing import Any, Dict, List, Mapping, Optional, Sequence

from ansible_collections.ollama_lab.distributed.plugins.module_utils import probes

Check = Dict[str, Any]

OS_ENTRY_RE = re.compile(r'^\S+ [0-9][0-9.]*$')
VERSION_RE = re.compile(r'^[0-9]+([.][0-9]+)*$')


def check(name: str, variable: str, status: str, found: str, need: str) -> Check:
    return dict(name=name, variable=variable, status=status, found=found, need=need)


def word(item: Mapping[str, Any]) -> str:
    """``<variable>: found <x>, need <y>``."""
    return '%s: found %s, need %s' % (item['variable'], item['found'], item['need'])


def os_family(osinfo: Mapping[str, Any], families: Sequence[str], variable: str) -> Check:
    found = osinfo.get('family') or 'unknown'
    return check('os_family', variable, 'pass' if found in families else 'fail', found,
                 'one of %s' % ', '.join(families))


def os_matches(osinfo: Mapping[str, Any], entry: str) -> bool:
    """``Debian 12`` matches Debian 12.7 (full or major version); ``debian`` alone matches any Debian."""
    names = set(str(n).lower() for n in (osinfo.get('name'), osinfo.get('id')) if n)
    parts = str(entry).split()
    if len(parts) == 1:
        return parts[0].lower() in names
    wanted = ' '.join(parts[:-1]).lower()
    return wanted in names and parts[-1] in (osinfo.get('version'), osinfo.get('major'))


def os_version(osinfo: Mapping[str, Any], supported: Sequence[str], strict: bool, variable: str) -> Check:
    found = ('%s %s' % (osinfo.get('name') or osinfo.get('id') or '', osinfo.get('version') or '')).strip()
    ok = any(os_matches(osinfo, entry) for entry in supported)
    return check('os_version', variable, 'pass' if ok else ('fail' if strict else 'warn'),
                 found or osinfo.get('pretty') or 'unknown', 'one of %s' % ', '.join(supported))


def _at_least(name: str, variable: str, found: Optional[int], minimum: int, unit: str,
              recommended: Optional[int], what: str) -> Check:
    suffix = (' ' + unit) if unit == 'MB' else ''
    need = 'at least %d%s' % (minimum, suffix)
    if found is None:
        return check(name, variable, 'warn', 'no reading of %s' % what, need)
    shown = '%d %s' % (found, unit)
    if found < minimum:
        return check(name, variable, 'fail', shown, need)
    if recommended is not None and found < recommended:
        return check(name, variable, 'warn', shown, 'at least %d%s (recommended)' % (recommended, suffix))
    return check(name, variable, 'pass', shown, need)


def cpus(found: Optional[int], minimum: int, variable: str, recommended: Optional[int] = None) -> Check:
    return _at_least('cpus', variable, found, minimum, 'CPUs', recommended, 'the CPU count')


def memory(found_mb: Optional[int], minimum: int, variable: str, recommended: Optional[int] = None) -> Check:
    return _at_least('memory', variable, found_mb, minimum, 'MB', recommended, '/proc/meminfo')


def python(info: Mapping[str, Any], minimum: str, variable: str) -> Check:
    ok = probes.version_at_least(info.get('version'), minimum)
    return check('python', variable, 'pass' if ok else 'fail',
                 'Python %s (%s)' % (info.get('version'), info.get('executable') or '?'), 'at least %s' % minimum)


def commands(found: Mapping[str, Any], required: Sequence[str], variable: str) -> Check:
    missing = [name for name in required if not found.get(name)]
    return check('commands', variable, 'fail' if missing else 'pass',
                 ('%s missing' % ', '.join(missing)) if missing else 'all present',
                 '%s on PATH' % (', '.join(required) or '(none)'))


def disks(observed: Sequence[Mapping[str, Any]], minimum: int, variable: str) -> List[Check]:
    """One check per filesystem (paths grouped by device, in the order first seen)."""
    groups: Dict[Any, List[Mapping[str, Any]]] = {}
    for item in observed:
        groups.setdefault(item.get('device') if item.get('device') is not None else item.get('checked'),
                          []).append(item)
    out = []
    for items in groups.values():
        first = items[0]
        paths = ', '.join(str(i.get('path')) for i in items)
        need = 'at least %d MB' % minimum
        free = [i['free_mb'] for i in items if i.get('free_mb') is not None]
        if not free:
            out.append(check('disk', variable, 'warn', 'no reading of the free space of %s (for %s)%s'
                             % (first.get('checked'), paths, (': %s' % first['error']) if first.get('error') else ''),
                             need))
            continue
        out.append(check('disk', variable, 'pass' if min(free) >= minimum else 'fail',
                         '%d MB free on the filesystem of %s (for %s)' % (min(free), first.get('checked'), paths),
                         need))
    return out


def holder_label(holder: Mapping[str, Any], own: bool, named: bool) -> str:
    name = holder['names'][0] if holder.get('names') else '?'
    label = '%s (pid %s: %s)' % (name, holder.get('pid'), holder.get('cmdline') or '?')
    if named and not own:
        configs = ', '.join(holder.get('configs') or []) or 'not given'
        label += " - another node's service (config %s), not this node's" % configs
    return label


def port(number: int, variable: str, seen: Mapping[str, Any], own_names: Sequence[str],
         own_configs: Sequence[str]) -> Check:
    """A port passes when free, or when every process holding it is our own node service: one of
    ``own_names`` started with one of ``own_configs`` (when given). Another cluster's node is not ours."""
    labels, all_own = [], True
    for holder in seen.get('holders') or []:
        named = bool(set(holder.get('names') or []) & set(own_names))
        own = named and (not own_configs or bool(set(holder.get('configs') or []) & set(own_configs)))
        all_own = all_own and own
        labels.append(holder_label(holder, own, named))
    need = "it free or held by this node's own service (%s --config %s)" % (
        ' or '.join(own_names), (list(own_configs) or ['?'])[0])
    if not seen.get('listening'):
        return check('port %d' % number, variable, 'pass', 'port %d free' % number, need)
    if labels and all_own:
        return check('port %d' % number, variable, 'pass',
                     'port %d held by our own service %s' % (number, ', '.join(labels)), need)
    if labels:
        return check('port %d' % number, variable, 'fail', 'port %d held by %s' % (number, ', '.join(labels)), need)
    return check('port %d' % number, variable, 'fail', 'port %d held by a process this user cannot see '
                 '(run the role with become)' % number, need)


def input_problems(req: Mapping[str, Any], prefix: str = '') -> List[str]:
    """``<variable>: found <value>, need <what>`` for every value out of range in one node's request."""
    out = []
    for key, low in (('min_cpus', 1), ('min_memory_mb', 0), ('min_disk_mb', 0)):
        if req[key] < low:
            out.append('%s%s: found %s, need an integer >= %d' % (prefix, key, req[key], low))
    bad: Dict[str, List[str]] = {}
    for item in req['ports']:
        if not 1 <= int(item['port']) <= 65535:
            bad.setdefault(item.get('variable') or prefix + 'ports', []).append(str(item['port']))
    out.extend('%s: found %s, need ports in 1-65535' % (var, ', '.join(ports)) for var, ports in bad.items())
    if not VERSION_RE.match(str(req['min_python_version'])):
        out.append('%smin_python_version: found "%s", need a version like "3.8"' % (prefix, req['min_python_version']))
    bad_os = [entry for entry in req['supported_os'] if not OS_ENTRY_RE.match(entry)]
    if bad_os:
        out.append('%ssupported_os: found %s, need entries like "Debian 12"' % (prefix, json.dumps(bad_os)))
    for key in ('disk_paths', 'extra_disk_paths'):
        relative = [path for path in req[key] if not str(path).startswith('/')]
        if relative:
            out.append('%s%s: found %s, need absolute paths' % (prefix, key, json.dumps(relative)))
    return out


def disk_paths(req: Mapping[str, Any]) -> List[str]:
    """The paths of one node whose filesystems need free space: disk_paths, then extra_disk_paths."""
    return list(dict.fromkeys(str(p) for p in list(req['disk_paths']) + list(req['extra_disk_paths']) if p))


def judge(req: Mapping[str, Any], seen: Mapping[str, Any], ports: Mapping[int, Mapping[str, Any]],
          prefix: str = '') -> Dict[str, Any]:
    """Every check of one node: the machine's (``seen``, from host_observe.machine) with this node's thresholds,
    then its ports (``ports``, from host_observe.port_holders). Returns the preflight result of the node."""
    checks = [
        os_family(seen['os'], req['supported_os_families'], prefix + 'supported_os_families'),
        os_version(seen['os'], req['supported_os'], req['os_version_strict'], prefix + 'supported_os'),
        cpus(seen['cpus'], req['min_cpus'], prefix + 'min_cpus'),
        memory(seen['memory']['total_mb'], req['min_memory_mb'], prefix + 'min_memory_mb'),
        python(seen['python'], req['min_python_version'], prefix + 'min_python_version'),
        commands(seen['commands'], req['required_commands'], prefix + 'required_commands'),
    ]
    by_path = dict((d['path'], d) for d in seen['disks'])
    checks += disks([by_path[p] for p in disk_paths(req)], req['min_disk_mb'], prefix + 'min_disk_mb')
    for item in req['ports']:
        checks.append(port(int(item['port']), item.get('variable') or prefix + 'ports', ports[int(item['port'])],
                           req['own_process_names'], req['own_config_files']))
    for item in checks:
        item['message'] = word(item)
    return dict(passed=not any(c['status'] == 'fail' for c in checks), input_problems=[],
                failures=[c['message'] for c in checks if c['status'] == 'fail'],
                warnings=[c['message'] for c in checks if c['status'] == 'warn'], checks=checks)
