# -*- coding: utf-8 -*-
# Copyright (c) ollama_lab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the validate role: which categories run, what to probe, a safe view of a node config."""

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

import base64
from importlib import import_module
from typing import Any, Dict, List, Mapping, Optional, Sequence

from ansible.errors import AnsibleFilterError

from ansible_collections.ollama_lab.distributed.plugins.module_utils.typed import read_bool

# module_utils.checks and .probes are imported on use: every worker process
# loads every filter file of the collection to resolve any one of its filters.
_MODULE_UTILS = 'ansible_collections.ollama_lab.distributed.plugins.module_utils.'


def _categories() -> Sequence[str]:
    return import_module(_MODULE_UTILS + 'checks').CATEGORIES


#: Which probe sections each category needs: host (validate_probe), api (validate_api_probe), http (uri), config.
NEEDS: Dict[str, Dict[str, List[str]]] = dict(
    prerequisites=dict(host=['system'], api=[], http=[], config=[]),
    installation=dict(host=['binary', 'service'], api=[], http=[], config=[]),
    configuration=dict(host=['config', 'dirs'], api=[], http=[], config=['doc']),
    startup=dict(host=['service', 'process', 'logs'], api=[], http=[], config=['doc']),
    api=dict(host=['service'], api=['routes', 'generate'], http=['metrics', 'cors'], config=['doc']),
    performance=dict(host=['service', 'process'], api=['performance'], http=[], config=[]),
    security=dict(host=['service', 'process', 'config'], api=['security'], http=['headers'], config=['doc']),
    cluster=dict(host=['service'], api=['routes', 'peers'], http=[], config=[]),
)


def validation_categories(wanted: Sequence[str], run_tags: Optional[Sequence[str]] = None,
                          skip_tags: Optional[Sequence[str]] = None) -> List[str]:
    wanted = list(wanted or [])
    categories = _categories()
    bad = [c for c in wanted if c not in categories]
    if bad:
        raise AnsibleFilterError('validate_categories: unknown %s; choose from %s'
                                 % (', '.join(map(str, bad)), ', '.join(categories)))
    run = set(run_tags or ['all'])
    skip = set(skip_tags or [])
    out = []
    for cat in categories:
        if cat not in wanted or cat in skip:
            continue
        if 'all' in run or cat in run or 'validate' in run:
            out.append(cat)
    return out


def validation_sections(categories: Sequence[str]) -> Dict[str, List[str]]:
    """``{host: [...], api: [...], http: [...], config: [...]}`` needed by ``categories``."""
    out: Dict[str, List[str]] = dict(host=[], api=[], http=[], config=[])
    for cat in categories:
        for kind, items in NEEDS.get(cat, {}).items():
            for item in items:
                if item not in out[kind]:
                    out[kind].append(item)
    return out


def _get(doc: Any, dotted: str) -> Any:
    for part in dotted.split('.'):
        if not isinstance(doc, dict):
            return None
        doc = doc.get(part)
    return doc


def validation_config_doc(content: Any, encoded: bool = True) -> Dict[str, Any]:
    """What the checks need from a node config, and nothing secret.

    ``content`` is the base64 ``content`` of ``ansible.builtin.slurp`` (or
    text with ``encoded=False``). Returns ``{parsed, keys, environment,
    auth_enabled, cors_enabled, web_listen, logging_output, logging_file,
    error}``; the keys and api key list are never returned.
    """
    import yaml  # controller side: PyYAML is a dependency of ansible-core

    encoded, problem = read_bool(encoded, 'validation_config_doc encoded')
    if problem:
        raise AnsibleFilterError(problem)
    try:
        text = base64.b64decode(content).decode('utf-8') if encoded else str(content)
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        return dict(parsed=False, error='cannot decode the file: %s' % exc)
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, 'problem_mark', None)
        where = ' at line %d' % (mark.line + 1) if mark is not None else ''
        return dict(parsed=False, error='not valid YAML%s: %s' % (where, getattr(exc, 'problem', None) or 'syntax'))
    if not isinstance(doc, dict):
        return dict(parsed=False, error='the top level is %s, not a mapping' % type(doc).__name__)
    cors = _get(doc, 'api.cors.enabled')
    return dict(parsed=True, error=None, keys=sorted(str(k) for k in doc),
                environment=_get(doc, 'environment'),
                auth_enabled=bool(_get(doc, 'security.enable_auth')),
                cors_enabled=True if cors is None else bool(cors),
                cors_origins=list(_get(doc, 'api.cors.origins') or []),
                web_listen=_get(doc, 'web.listen') or '',
                logging_output=_get(doc, 'logging.output') or 'console',
                logging_file=_get(doc, 'logging.file') or '')


def validation_prometheus(text: Any) -> Dict[str, float]:
    """Prometheus text into ``{series: value}``."""
    return import_module(_MODULE_UTILS + 'probes').parse_prometheus(str(text or ''))


def validation_file_mode(result: Mapping[str, Any]) -> Dict[str, Any]:
    """One ``ansible.builtin.stat`` loop result as ``{path, exists, mode}``."""
    st = result.get('stat') or {}
    return dict(path=result.get('item') or st.get('path'), exists=bool(st.get('exists')), mode=st.get('mode'))


def validation_peer(node: Mapping[str, Any]) -> Dict[str, Any]:
    """A ``layout_node`` dict as a peer to reach: ``{id, host, kind, target}``."""
    return dict(id=node.get('id'), host=node.get('host'), kind='p2p', target=node.get('p2p_advertise'))


def validation_check_line(record: Mapping[str, Any]) -> str:
    """A check record as one line ``node/category/name - message``."""
    return '%s/%s/%s - %s' % (record.get('node'), record.get('category'), record.get('name'), record.get('message'))


class FilterModule(object):
    """The validate role's filters."""

    def filters(self) -> Dict[str, Any]:
        return dict(validation_categories=validation_categories, validation_sections=validation_sections,
                    validation_config_doc=validation_config_doc,
                    validation_prometheus=validation_prometheus, validation_file_mode=validation_file_mode,
                    validation_peer=validation_peer, validation_check_line=validation_check_line)
