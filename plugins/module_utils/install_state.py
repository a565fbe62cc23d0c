# -*- coding: utf-8 -*-
# Copyright (c) ollama_lab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Is a node's install in place? One read-only look, for the install role's warm path.

The install role asks this once per machine and cluster, for every node of
the cluster on that machine, before it does anything there: when the
account, the directories, the binary of the wanted version and build, the
stable link and the service definitions are all as wanted, the role's
install steps (toolchain, build or push, user, directories, unit or program)
are skipped whole. Any doubt (a file that cannot be read, a ref that cannot be
resolved) counts as "not in place": the install steps then decide, as on a
first run. ``run`` is a callable ``argv -> (rc, stdout, stderr)``
(``AnsibleModule.run_command``), so the logic is tested without a host.
"""

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

import grp
import json
import os
import pwd
import re
import stat
from typing import Any, Callable, Dict, List, Mapping, Optional, Set, Tuple

from ansible_collections.ollama_lab.distributed.plugins.module_utils.probes import same_version
from ansible_collections.ollama_lab.distributed.plugins.module_utils.service import NodeService

Runner = Callable[[List[str]], Tuple[int, str, str]]

FULL_SHA = re.compile(r'^[0-9a-f]{40}$')


def version_matches(output: str, wanted: str) -> bool:
    """``<binary> --version`` printed the whole wanted version after a ``version`` word
    (equal as the validate role compares versions: a leading v ignored on either side)."""
    return any(same_version(found, wanted) for found in re.findall(r'version (\S+)', output or ''))


def resolve_ref(run: Runner, repo: str, ref: str) -> Optional[str]:
    """The commit ``ref`` names in ``repo``; None when it cannot be told for sure.

    A full commit id is itself. Otherwise ``git ls-remote`` (an annotated tag's
    commit is its peeled ``^{}`` line); a name that matches both a branch and a
    tag is ambiguous (None), and the install steps resolve it as before.
    """
    if FULL_SHA.match(ref):
        return ref
    rc, out, _err = run(['git', 'ls-remote', '--', repo, ref, ref + '^{}'])
    if rc != 0:
        return None
    lines = [line.split('\t', 1) for line in out.splitlines() if '\t' in line]
    peeled = {name[:-3]: sha for sha, name in lines if name.endswith('^{}')}
    plain = {name: sha for sha, name in lines if not name.endswith('^{}')}
    if ref == 'HEAD':
        return plain.get('HEAD')
    names = [n for n in plain if n in (ref, 'refs/heads/' + ref, 'refs/tags/' + ref)]
    if len(names) != 1:
        return None
    return peeled.get(names[0], plain[names[0]])


def _mode(value: Any) -> int:
    return int(str(value), 8)


def check_directory(spec: Mapping[str, Any]) -> Optional[str]:
    """None when ``spec['path']`` is a directory with the wanted owner, group and mode."""
    path = spec['path']
    try:
        st = os.lstat(path)
    except OSError:
        return '%s is missing' % path
    if not stat.S_ISDIR(st.st_mode):
        return '%s is not a directory' % path
    found = []
    try:
        if pwd.getpwuid(st.st_uid).pw_name != spec['owner']:
            found.append('owner %s' % pwd.getpwuid(st.st_uid).pw_name)
    except KeyError:
        found.append('owner uid %d' % st.st_uid)
    try:
        if grp.getgrgid(st.st_gid).gr_name != spec['group']:
            found.append('group %s' % grp.getgrgid(st.st_gid).gr_name)
    except KeyError:
        found.append('group gid %d' % st.st_gid)
    if stat.S_IMODE(st.st_mode) != _mode(spec['mode']):
        found.append('mode %04o' % stat.S_IMODE(st.st_mode))
    if found:
        return '%s has %s (wanted %s:%s %s)' % (path, ', '.join(found), spec['owner'], spec['group'], spec['mode'])
    return None


def check_accounts(user: Optional[str], group: Optional[str]) -> List[str]:
    out = []
    if group:
        try:
            grp.getgrnam(group)
        except KeyError:
            out.append('group %s is missing' % group)
    if user:
        try:
            pwd.getpwnam(user)
        except KeyError:
            out.append('user %s is missing' % user)
    return out


def check_build_info(run: Runner, path: str, wanted: Mapping[str, Any],
                     source: Optional[Mapping[str, str]]) -> Optional[str]:
    """None when the recorded build information is the wanted build.

    ``source`` (repo, ref): the wanted commit is what the ref names now.
    """
    want = dict(wanted)
    if source:
        commit = resolve_ref(run, source['repo'], source['ref'])
        if commit is None:
            return 'the commit of %s in %s cannot be told without fetching' % (source['ref'], source['repo'])
        want['commit'] = commit
    try:
        with open(path, 'r', encoding='utf-8') as handle:
            recorded = json.load(handle)
    except (OSError, ValueError):
        return '%s is missing or unreadable' % path
    if recorded != want:
        keys = sorted(k for k in set(recorded) | set(want) if recorded.get(k) != want.get(k))
        return '%s records another build (%s differ)' % (path, ', '.join(keys))
    return None


def check_binary(run: Runner, binary: str, version: str) -> Optional[str]:
    if not os.path.isfile(binary):
        return '%s is missing' % binary
    rc, out, err = run([binary, '--version'])
    if rc != 0 or not version_matches(out, version):
        return '%s --version printed %r, wanted version %s' % (binary, (out or err).strip()[:120], version)
    return None


def check_link(path: str, target: str) -> Optional[str]:
    try:
        found = os.readlink(path)
    except OSError:
        return '%s is not a link' % path
    if found != target:
        return '%s points at %s, wanted %s' % (path, found, target)
    return None


def read_definition(path: str) -> Optional[str]:
    try:
        with open(path, 'r', encoding='utf-8') as handle:
            return handle.read()
    except OSError:
        return None


def systemd_version(run: Runner) -> Optional[int]:
    rc, out, _err = run(['systemctl', '--version'])
    found = re.search(r'[0-9]+', out.splitlines()[0]) if rc == 0 and out.strip() else None
    return int(found.group(0)) if found else None


def look_service(run: Runner, service: Mapping[str, str]) -> Tuple[Optional[str], List[str], bool]:
    """The service's definition file (None when missing), what is not in place about the service, and
    whether it runs."""
    definition = read_definition(service['definition'])
    differences = [] if definition is not None else ['%s is missing' % service['definition']]
    state = NodeService(run, service['manager'], service['name']).query()
    if not state.defined:
        differences.append('%s is not known to %s (%s)' % (service['name'], service['manager'], state.detail))
    elif service['manager'] == 'systemd' and not state.enabled:
        differences.append('%s is not enabled' % service['name'])
    return definition, differences, state.running


def look_machine(run: Runner, params: Mapping[str, Any]) -> List[str]:
    """What is not in place of the machine's part: account, directories, binary, build, link."""
    differences: List[str] = check_accounts(params.get('user'), params.get('group'))
    for spec in params.get('directories') or []:
        differences.append(check_directory(spec) or '')
    if params.get('binary'):
        differences.append(check_binary(run, params['binary'], params['version']) or '')
    if params.get('build_info'):
        info = params['build_info']
        differences.append(check_build_info(run, info['path'], info['content'], info.get('source')) or '')
    if params.get('link'):
        differences.append(check_link(params['link']['path'], params['link']['target']) or '')
    return [d for d in differences if d]


def look_node(run: Runner, node: Mapping[str, Any]) -> Tuple[Optional[str], List[str], bool]:
    """One node's own part (its directories and its service): the definition, what is not in place,
    and whether its service runs."""
    differences = [d for d in (check_directory(spec) for spec in node.get('directories') or []) if d]
    if not node.get('service'):
        return None, differences, False
    definition, found, running = look_service(run, node['service'])
    return definition, differences + found, running


def look(run: Runner, params: Mapping[str, Any]) -> Dict[str, Any]:
    """Everything the install role would make sure of, looked at; ``differences`` says what is not in place.

    The machine's part (account, ``directories``, binary, build, link) is looked at once. ``service``
    is one node's service; ``nodes`` (host, directories, service) are the own parts of several nodes
    of the machine, each answered under ``nodes[host]`` with the machine's differences included, so
    that every node decides from its own entry.
    """
    machine = look_machine(run, params)
    differences = list(machine)
    managers: Set[str] = set()
    result: Dict[str, Any] = dict(definition=None, systemd_version=None)
    service = params.get('service')
    if service:
        result['definition'], found, result['running'] = look_service(run, service)
        differences.extend(found)
        managers.add(service['manager'])
    if params.get('nodes') is not None:
        result['nodes'] = {}
        for node in params['nodes']:
            definition, own, running = look_node(run, node)
            differences.extend(own)
            managers.update([node['service']['manager']] if node.get('service') else [])
            result['nodes'][node['host']] = dict(in_place=not (machine or own), differences=machine + own,
                                                 definition=definition, running=running)
    if 'systemd' in managers:
        result['systemd_version'] = systemd_version(run)
    result['differences'] = differences
    result['in_place'] = not differences
    return result
