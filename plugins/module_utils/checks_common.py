# -*- coding: utf-8 -*-
# Copyright (c) ollama_lab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared pieces of the validation checks: statuses, categories, default settings, records.

See ``module_utils/checks.py`` for the entry points.
"""

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

from typing import Any, Dict, Mapping, Optional, Sequence


STATUSES = ('pass', 'warn', 'fail', 'skip')
CATEGORIES = ('prerequisites', 'installation', 'configuration', 'startup', 'api', 'performance',
              'security', 'cluster')
_RANK = {'skip': 0, 'pass': 1, 'warn': 2, 'fail': 3}

#: Default thresholds; the validate role passes its validate_* variables over them.
DEFAULT_SETTINGS: Dict[str, Any] = dict(
    categories=list(CATEGORIES),
    expected_version='',
    service_user='ollama',
    service_group='ollama',
    supported_os=['debian', 'ubuntu', 'rocky', 'almalinux', 'rhel', 'centos', 'fedora'],
    min_cpus=1,
    recommended_cpus=2,
    min_memory_mb=512,
    recommended_memory_mb=2048,
    min_disk_mb=1024,
    required_commands=['curl', 'tar'],
    ports=[],
    restart_window=60,
    log_error_max=0,
    health_p95_warn_ms=200.0,
    health_p95_fail_ms=1000.0,
    generate_p95_warn_ms=2000.0,
    generate_p95_fail_ms=10000.0,
    rss_warn_mb=512,
    rss_fail_mb=2048,
    expected_size=0,
    production=False,
    cors_origin='http://localhost:3000',
)


def record(category: str, name: str, status: str, message: str, duration: float = 0.0) -> Dict[str, Any]:
    if status not in STATUSES:
        raise ValueError('status must be one of %s, got %r' % (', '.join(STATUSES), status))
    if category not in CATEGORIES:
        raise ValueError('category must be one of %s, got %r' % (', '.join(CATEGORIES), category))
    return dict(category=category, name=name, status=status, message=message,
                duration=round(float(duration or 0.0), 3))


def worst(statuses: Sequence[str]) -> str:
    """The most severe status: fail > warn > pass > skip; ``skip`` for an empty list."""
    best = 'skip'
    for status in statuses:
        if _RANK.get(status, 0) > _RANK[best]:
            best = status
    return best


def merged_settings(settings: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    out = dict(DEFAULT_SETTINGS)
    out.update(dict(settings or {}))
    return out


def obs_duration(obs: Optional[Mapping[str, Any]]) -> float:
    return float((obs or {}).get('duration') or 0.0)


def fmt_ms(value: Optional[float]) -> str:
    return 'n/a' if value is None else '%.1f ms' % value
