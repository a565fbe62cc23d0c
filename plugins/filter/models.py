# Copyright (c) ollama_lab.distributed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the models role: check and normalise the declared models, and
work out what one node has to do so that the cluster holds exactly them."""

from __future__ import annotations

import json
import os
import re
from typing import Any, Mapping, Sequence

from ansible.errors import AnsibleFilterError

NAME_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._/-]*(:[A-Za-z0-9][A-Za-z0-9._-]*)?$')
STATES = ('present', 'absent')
KEYS = ('name', 'state', 'source')
MAX_MANIFEST_BYTES = 1 << 20


def models_canonical(name: Any) -> str:
    """Ollama's naming, as the node applies it: ``tiny`` -> ``tiny:latest``."""
    name = str(name).strip()
    last = name.rsplit('/', 1)[-1]
    return name if not name or ':' in last else name + ':latest'


def models_file_name(name: Any) -> str:
    """The manifest file name the reference node uses for a model (``tiny:latest`` -> ``tiny_latest.json``)."""
    return re.sub(r'[^A-Za-z0-9._-]', '_', models_canonical(name)) + '.json'


def _resolve(source: str, search_paths: Sequence[str]) -> str | None:
    if os.path.isabs(source):
        return source if os.path.isfile(source) else None
    for base in search_paths:
        if base:
            candidate = os.path.join(str(base), source)
            if os.path.isfile(candidate):
                return os.path.realpath(candidate)
    return None


def _read_manifest(where: str, wanted: str, source: str, search_paths: Sequence[str],
                   problems: list[str]) -> tuple[str, dict[str, Any]] | None:
    path = _resolve(source, search_paths)
    if path is None:
        problems.append('%s: source %r is not a file on the controller (looked %s); expected the path of a '
                        'model manifest (JSON)' % (where, source, 'at that path' if os.path.isabs(source)
                                                   else 'under ' + ', '.join(str(p) for p in search_paths if p)))
        return None
    try:
        if os.path.getsize(path) > MAX_MANIFEST_BYTES:
            raise ValueError('larger than 1 MiB')
        with open(path, encoding='utf-8') as handle:
            manifest = json.load(handle)
    except (OSError, ValueError) as exc:
        problems.append('%s: source %s is not a readable JSON manifest (%s); expected an object like '
                        '{"name": "%s", "size": 1024, "details": {...}}' % (where, path, exc, wanted))
        return None
    if not isinstance(manifest, dict) or models_canonical(manifest.get('name') or '') != wanted:
        found = manifest.get('name') if isinstance(manifest, dict) else type(manifest).__name__
        problems.append('%s: source %s describes model %r; expected its "name" to be %r'
                        % (where, path, found, wanted))
        return None
    return path, manifest


def models_declared(models: Any, search_paths: Sequence[str] = (), var: str = 'models_list') -> list[dict[str, Any]]:
    """Check the declared models and return them normalised.

    Each item of the result is ``{name, canonical, state, source, source_path,
    manifest, file}``; ``manifest`` is the parsed source (None without one).
    Every problem is reported at once, naming ``var``, the item and what is
    expected; nothing is returned then.
    """
    if models is None:
        models = []
    if not isinstance(models, Sequence) or isinstance(models, (str, bytes)):
        raise AnsibleFilterError('%s must be a list of {name, state, source} items, got %r' % (var, models))
    problems: list[str] = []
    seen: dict[str, str] = {}
    result = []
    for index, item in enumerate(models):
        where = '%s[%d]' % (var, index)
        if isinstance(item, str):
            item = {'name': item}
        if not isinstance(item, Mapping):
            problems.append('%s: %r is not a model; expected a name or {name, state, source}' % (where, item))
            continue
        unknown = sorted(set(item) - set(KEYS))
        if unknown:
            problems.append('%s: unknown key(s) %s; expected only %s' % (where, ', '.join(unknown), ', '.join(KEYS)))
        name = item.get('name')
        if not isinstance(name, str) or not NAME_RE.match(name.strip()):
            problems.append('%s: name %r is not a model name; expected something like tiny or llama3.2:1b'
                            % (where, name))
            continue
        canonical = models_canonical(name)
        where = '%s (%s)' % (where, name)
        state = item.get('state', 'present')
        if state not in STATES:
            problems.append('%s: state %r is not one of present, absent' % (where, state))
        if canonical in seen:
            problems.append('%s: declared twice (also as %s); declare each model once' % (where, seen[canonical]))
        seen[canonical] = name
        source = item.get('source') or None
        entry: dict[str, Any] = {'name': name.strip(), 'canonical': canonical, 'state': state, 'source': source,
                                 'source_path': None, 'manifest': None, 'file': models_file_name(canonical)}
        if source is not None and not isinstance(source, str):
            problems.append('%s: source %r is not a path; expected the path of a manifest file' % (where, source))
        elif source is not None and state == 'present':
            found = _read_manifest(where, canonical, source, search_paths, problems)
            if found:
                entry['source_path'], entry['manifest'] = found
        result.append(entry)
    if problems:
        raise AnsibleFilterError('bad models declared in %s: %s' % (var, '; '.join(problems)))
    return result


def models_names(models: Any, state: str = 'present') -> list[str]:
    """Canonical names of the declared models in ``state``, in declared order; reads no file, skips bad items."""
    out: list[str] = []
    for item in models if isinstance(models, Sequence) and not isinstance(models, (str, bytes)) else []:
        item = {'name': item} if isinstance(item, str) else item
        if isinstance(item, Mapping) and isinstance(item.get('name'), str) and item['name'].strip() \
                and item.get('state', 'present') == state and models_canonical(item['name']) not in out:
            out.append(models_canonical(item['name']))
    return out


def models_plan(declared: Sequence[Mapping[str, Any]], node_models: Sequence[str], cluster_models: Sequence[str],
                seed: bool = False, purge: bool = False) -> dict[str, list[Any]]:
    """What one node does: ``delete`` (names), ``seed`` and ``pull`` (declared items).

    ``node_models`` are the models this node lists, ``cluster_models`` those any
    member of its cluster lists. ``seed`` is true on the one node of the cluster
    that brings in the models no member has (from their source, else by a pull
    that reaches the backend); the other nodes then pull them from it.
    """
    mine = set(models_canonical(n) for n in node_models)
    anywhere = set(models_canonical(n) for n in cluster_models) | mine
    present = [d for d in declared if d['state'] == 'present']
    wanted = set(d['canonical'] for d in present)
    absent = set(d['canonical'] for d in declared if d['state'] == 'absent')
    delete = sorted(n for n in mine if n in absent or (purge and n not in wanted))
    seeds = [d for d in present if seed and d['canonical'] not in anywhere]
    seeded = set(d['canonical'] for d in seeds)
    pulls = [d for d in present if d['canonical'] not in mine and d['canonical'] not in seeded]
    return {'delete': delete, 'seed': seeds, 'pull': pulls}


def _listed_models(host_vars: Any) -> list[str] | None:
    """The models a node listed in this run (its ``_models_seen`` register), or None."""
    seen = host_vars.get('_models_seen') if host_vars is not None else None
    models = seen.get('models') if isinstance(seen, Mapping) else None
    return list(models) if isinstance(models, Sequence) and not isinstance(models, (str, bytes)) else None


def models_cluster_plan(hostvars: Mapping[str, Any], host: str, cluster_hosts: Sequence[str],
                        play_hosts: Sequence[str], declared: Sequence[Mapping[str, Any]],
                        purge: bool = False) -> dict[str, Any]:
    """What ``host`` does, seen from its whole cluster: ``models_plan`` plus ``seed_host``
    (the first node of the cluster in the play that listed its models; it brings in what no
    member has), ``listed`` (those nodes, in cluster order), ``models`` (what ``host``
    listed, None when it did not answer) and ``work`` (whether there is anything to do)."""
    listings = {h: _listed_models(hostvars[h]) for h in cluster_hosts if h in play_hosts}
    listed = [h for h in cluster_hosts if listings.get(h) is not None]
    seed_host = listed[0] if listed else ''
    mine = listings.get(host)
    if mine is None:
        plan: dict[str, Any] = {'delete': [], 'seed': [], 'pull': []}
    else:
        anywhere = [name for h in listed for name in listings[h] or []]
        plan = models_plan(declared, mine, anywhere, host == seed_host, purge)
    plan.update(seed_host=seed_host, listed=listed, models=mine,
                work=bool(plan['delete'] or plan['seed'] or plan['pull']))
    return plan


class FilterModule:
    """The models filters."""

    def filters(self) -> dict[str, Any]:
        return {
            'models_canonical': models_canonical,
            'models_file_name': models_file_name,
            'models_declared': models_declared,
            'models_names': models_names,
            'models_plan': models_plan,
            'models_cluster_plan': models_cluster_plan,
        }
