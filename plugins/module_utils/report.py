# -*- coding: utf-8 -*-
# Copyright (c) ollama_lab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation report writers: JSON, JUnit XML, Markdown and one self-contained HTML page.

Input: check records ``{node, category, name, status, message, duration}``
(see module_utils/checks.py). Every writer returns text; the
validation_report module writes the files. Pure standard library.
"""

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

import html
import json
import re
from typing import Any, Dict, List, Mapping, Optional, Sequence
from xml.etree import ElementTree as ET

from ansible_collections.ollama_lab.distributed.plugins.module_utils.checks import CATEGORIES, STATUSES, worst

FORMATS = ('json', 'junit', 'markdown', 'html')
FILE_NAMES = dict(json='validation.json', junit='validation.junit.xml', markdown='validation.md',
                  html='validation.html')
REQUIRED_KEYS = ('node', 'category', 'name', 'status', 'message', 'duration')
#: Status -> colour of the HTML summary cells (CSS classes ``st-<status>``).
COLOURS = dict(fail='red', warn='amber', skip='grey', **{'pass': 'green'})


def normalize(records: Sequence[Mapping[str, Any]]) -> List[Dict[str, Any]]:
    """Records with every key present and valid; raises ValueError naming the bad record."""
    out = []
    for i, rec in enumerate(records):
        missing = [k for k in ('node', 'category', 'name', 'status') if not rec.get(k)]
        if missing:
            raise ValueError('check record %d lacks %s: %r' % (i, ', '.join(missing), dict(rec)))
        if rec['status'] not in STATUSES:
            raise ValueError('check record %d has status %r, need one of %s' % (i, rec['status'], ', '.join(STATUSES)))
        out.append(dict(node=str(rec['node']), category=str(rec['category']), name=str(rec['name']),
                        status=str(rec['status']), message=str(rec.get('message') or ''),
                        duration=round(float(rec.get('duration') or 0.0), 3)))
    return out


def _node_order(records: Sequence[Mapping[str, Any]]) -> List[str]:
    seen: Dict[str, None] = {}
    for rec in records:
        seen.setdefault(rec['node'], None)
    return list(seen)


def _category_order(records: Sequence[Mapping[str, Any]]) -> List[str]:
    present = set(r['category'] for r in records)
    return [c for c in CATEGORIES if c in present] + sorted(present - set(CATEGORIES))


def summarize(records: Sequence[Mapping[str, Any]]) -> Dict[str, Any]:
    """Counts and worst status overall, per node, per node and category."""
    records = normalize(records)
    counts = dict((s, 0) for s in STATUSES)
    for rec in records:
        counts[rec['status']] += 1
    nodes: Dict[str, Dict[str, Any]] = {}
    for node in _node_order(records):
        mine = [r for r in records if r['node'] == node]
        cats = {}
        for cat in _category_order(mine):
            cats[cat] = worst([r['status'] for r in mine if r['category'] == cat])
        nodes[node] = dict(status=worst([r['status'] for r in mine]), categories=cats,
                           counts=dict((s, sum(1 for r in mine if r['status'] == s)) for s in STATUSES))
    return dict(status=worst([r['status'] for r in records]), total=len(records), counts=counts, nodes=nodes,
                categories=_category_order(records),
                failed=['%s/%s/%s: %s' % (r['node'], r['category'], r['name'], r['message'])
                        for r in records if r['status'] == 'fail'])


# -- JSON -----------------------------------------------------------------------

def to_json(records: Sequence[Mapping[str, Any]], meta: Optional[Mapping[str, Any]] = None) -> str:
    records = normalize(records)
    doc = dict(meta=dict(meta or {}), summary=summarize(records), checks=records)
    return json.dumps(doc, indent=2, sort_keys=False) + '\n'


# -- JUnit ----------------------------------------------------------------------

_XML_BAD = re.compile('[\x00-\x08\x0b\x0c\x0e-\x1f]')


def _xml_text(text: str) -> str:
    return _XML_BAD.sub('?', text)


def to_junit(records: Sequence[Mapping[str, Any]], name: str = 'ollama_lab.distributed validation',
             timestamp: Optional[str] = None) -> str:
    """JUnit XML: one <testsuite> per node and category, one <testcase> per check.

    ``fail`` -> <failure>, ``skip`` -> <skipped>, ``warn`` passes with a
    <system-out> line ``WARN: ...`` (CI shows it, the build stays green).
    """
    records = normalize(records)
    root = ET.Element('testsuites', dict(name=name))
    totals = dict(tests=0, failures=0, skipped=0, time=0.0)
    for node in _node_order(records):
        for cat in _category_order([r for r in records if r['node'] == node]):
            mine = [r for r in records if r['node'] == node and r['category'] == cat]
            attrs = dict(name='%s.%s' % (node, cat), tests=str(len(mine)),
                         failures=str(sum(1 for r in mine if r['status'] == 'fail')), errors='0',
                         skipped=str(sum(1 for r in mine if r['status'] == 'skip')),
                         time='%.3f' % sum(r['duration'] for r in mine))
            if timestamp:
                attrs['timestamp'] = timestamp
            suite = ET.SubElement(root, 'testsuite', attrs)
            for r in mine:
                case = ET.SubElement(suite, 'testcase', dict(classname='%s.%s' % (node, cat), name=r['name'],
                                                             time='%.3f' % r['duration']))
                msg = _xml_text(r['message'])
                if r['status'] == 'fail':
                    failure = ET.SubElement(case, 'failure', dict(message=msg, type='CheckFailed'))
                    failure.text = msg
                elif r['status'] == 'skip':
                    ET.SubElement(case, 'skipped', dict(message=msg))
                else:
                    out = ET.SubElement(case, 'system-out')
                    out.text = '%s: %s' % (r['status'].upper(), msg)
            totals['tests'] += len(mine)
            totals['failures'] += int(attrs['failures'])
            totals['skipped'] += int(attrs['skipped'])
            totals['time'] += sum(r['duration'] for r in mine)
    root.set('tests', str(totals['tests']))
    root.set('failures', str(totals['failures']))
    root.set('errors', '0')
    root.set('skipped', str(totals['skipped']))
    root.set('time', '%.3f' % totals['time'])
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding='unicode') + '\n'


# -- Markdown -------------------------------------------------------------------

_ICON = dict(fail='FAIL', warn='WARN', skip='skip', **{'pass': 'ok'})


def _md_cell(text: str) -> str:
    return str(text).replace('|', '\\|').replace('\n', ' ')


def to_markdown(records: Sequence[Mapping[str, Any]], title: str = 'Validation report',
                meta: Optional[Mapping[str, Any]] = None) -> str:
    records = normalize(records)
    summary = summarize(records)
    cats = summary['categories']
    lines = ['# %s' % title, '']
    for k, v in (meta or {}).items():
        lines.append('- %s: %s' % (k, v))
    lines.append('- overall: **%s** (%s)' % (summary['status'].upper(), ', '.join(
        '%d %s' % (summary['counts'][s], s) for s in STATUSES)))
    lines += ['', '## Summary', '', '| node | ' + ' | '.join(cats) + ' |', '| --- |' + ' --- |' * len(cats)]
    for node, info in summary['nodes'].items():
        lines.append('| %s | %s |' % (_md_cell(node), ' | '.join(
            _ICON[info['categories'][c]] if c in info['categories'] else '' for c in cats)))
    lines += ['', '## Checks', '', '| node | category | check | status | message | seconds |',
              '| --- | --- | --- | --- | --- | --- |']
    for r in records:
        lines.append('| %s | %s | %s | %s | %s | %.3f |' % (_md_cell(r['node']), r['category'], _md_cell(r['name']),
                                                            _ICON[r['status']], _md_cell(r['message']), r['duration']))
    return '\n'.join(lines) + '\n'


# -- HTML -----------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,-apple-system,"DejaVu Sans",Arial,sans-serif;margin:24px;color:#1d232a;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:24px 0 8px}
.meta{color:#56606b;font-size:13px;margin-bottom:12px}
.overall{display:inline-block;padding:6px 14px;border-radius:6px;font-weight:700;color:#fff;margin:6px 0 10px}
table{border-collapse:collapse;font-size:13px}
th,td{border:1px solid #d5dae0;padding:5px 9px;text-align:left;vertical-align:top}
th{background:#f1f3f5}
table.summary td.cell{text-align:center;font-weight:700;min-width:86px}
.st-pass{background:#2e9e49;color:#fff}.st-warn{background:#f0a30a;color:#1d232a}
.st-fail{background:#d13438;color:#fff}.st-skip{background:#c8ccd1;color:#1d232a}
.st-none{background:#fff}
table.checks td.status{font-weight:700;text-align:center;width:52px}
table.checks tr.row-fail td.msg{color:#a4262c}
.counts span{margin-right:12px}
"""


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def to_html(records: Sequence[Mapping[str, Any]], title: str = 'Validation report',
            meta: Optional[Mapping[str, Any]] = None) -> str:
    """One HTML page, inline CSS, no script and no external asset."""
    records = normalize(records)
    summary = summarize(records)
    cats = summary['categories']
    p = ['<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">',
         '<meta name="viewport" content="width=device-width, initial-scale=1">',
         '<title>%s</title><style>%s</style></head><body>' % (_e(title), _CSS),
         '<h1>%s</h1>' % _e(title)]
    if meta:
        p.append('<div class="meta">%s</div>' % ' &middot; '.join('%s: %s' % (_e(k), _e(v)) for k, v in meta.items()))
    p.append('<div id="overall" class="overall st-%s">Overall: %s</div>'
             % (summary['status'], _e(summary['status'].upper())))
    p.append('<div class="counts">%s</div>' % ''.join(
        '<span class="count-%s">%d %s</span>' % (s, summary['counts'][s], s) for s in STATUSES))
    p.append('<h2>Summary per node and category</h2>')
    p.append('<table id="summary" class="summary"><thead><tr><th>node</th>%s<th>node status</th></tr></thead><tbody>'
             % ''.join('<th>%s</th>' % _e(c) for c in cats))
    for node, info in summary['nodes'].items():
        cells = []
        for c in cats:
            st = info['categories'].get(c)
            if st is None:
                cells.append('<td class="cell st-none" data-category="%s"></td>' % _e(c))
            else:
                n = [r for r in records if r['node'] == node and r['category'] == c]
                bad = sum(1 for r in n if r['status'] == st)
                cells.append('<td class="cell st-%s" data-node="%s" data-category="%s" data-status="%s" '
                             'title="%d check(s)">%s%s</td>' % (st, _e(node), _e(c), st, len(n), _e(st),
                                                                (' %d' % bad) if st in ('fail', 'warn') else ''))
        p.append('<tr><th scope="row">%s</th>%s<td class="cell st-%s" data-node="%s" data-status="%s">%s</td></tr>'
                 % (_e(node), ''.join(cells), info['status'], _e(node), info['status'], _e(info['status'])))
    p.append('</tbody></table>')
    p.append('<h2>Checks</h2>')
    p.append('<table id="checks" class="checks"><thead><tr><th>node</th><th>category</th><th>check</th>'
             '<th>status</th><th>message</th><th>seconds</th></tr></thead><tbody>')
    for r in records:
        p.append('<tr class="check row-%s" data-node="%s" data-category="%s" data-check="%s"><td>%s</td><td>%s</td>'
                 '<td>%s</td><td class="status st-%s">%s</td><td class="msg">%s</td><td>%.3f</td></tr>'
                 % (r['status'], _e(r['node']), _e(r['category']), _e(r['name']), _e(r['node']), _e(r['category']),
                    _e(r['name']), r['status'], _e(r['status']), _e(r['message']), r['duration']))
    p.append('</tbody></table></body></html>')
    return '\n'.join(p) + '\n'


def render(fmt: str, records: Sequence[Mapping[str, Any]], title: str, meta: Optional[Mapping[str, Any]] = None,
           timestamp: Optional[str] = None) -> str:
    if fmt == 'json':
        return to_json(records, meta)
    if fmt == 'junit':
        return to_junit(records, title, timestamp)
    if fmt == 'markdown':
        return to_markdown(records, title, meta)
    if fmt == 'html':
        return to_html(records, title, meta)
    raise ValueError('format must be one of %s, got %r' % (', '.join(FORMATS), fmt))
