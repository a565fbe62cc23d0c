# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the validation report writers (module_utils/report.py)."""

from __future__ import annotations

import json
import os
from html.parser import HTMLParser
from xml.etree import ElementTree as ET

import pytest

from ansible_collections.ollama_lab.distributed.plugins.module_utils import report

XSD = os.path.join(os.path.dirname(__file__), 'report_junit.xsd')

RECORDS = [
    dict(node='node1', category='prerequisites', name='cpu', status='pass', message='expected 1; found 4',
         duration=0.01),
    dict(node='node1', category='installation', name='binary_version', status='fail',
         message='expected version 9.9.9; found 0.1.0 <at> "/usr/local/bin" & more', duration=0.2),
    dict(node='node1', category='security', name='auth_required', status='skip', message='auth off', duration=0),
    dict(node='node1', category='security', name='production_auth', status='warn', message='auth off in lab'),
    dict(node='node2', category='prerequisites', name='cpu', status='pass', message='expected 1; found 4'),
    dict(node='cluster', category='cluster', name='agreement', status='pass', message='all agree\x01', duration=0.5),
]


def test_summary_worst_status_per_node_and_category() -> None:
    s = report.summarize(RECORDS)
    assert s['status'] == 'fail'
    assert s['counts'] == {'pass': 3, 'warn': 1, 'fail': 1, 'skip': 1}
    assert s['nodes']['node1']['categories'] == {'prerequisites': 'pass', 'installation': 'fail',
                                                 'security': 'warn'}
    assert s['nodes']['node2']['status'] == 'pass'
    assert s['categories'] == ['prerequisites', 'installation', 'security', 'cluster']
    assert s['failed'] == ['node1/installation/binary_version: expected version 9.9.9; found 0.1.0 <at> '
                           '"/usr/local/bin" & more']


def test_normalize_rejects_bad_records() -> None:
    with pytest.raises(ValueError, match='lacks node'):
        report.normalize([dict(category='api', name='x', status='pass')])
    with pytest.raises(ValueError, match="status 'green'"):
        report.normalize([dict(node='n', category='api', name='x', status='green')])


def test_json_has_every_key_per_check() -> None:
    doc = json.loads(report.to_json(RECORDS, meta={'cluster': 'ollama_nodes'}))
    assert doc['meta'] == {'cluster': 'ollama_nodes'}
    assert len(doc['checks']) == len(RECORDS)
    for check in doc['checks']:
        assert set(check) == set(report.REQUIRED_KEYS)
    assert doc['checks'][3]['duration'] == 0.0
    assert doc['summary']['status'] == 'fail'


def _junit_structure_problems(root: ET.Element) -> list:
    """Stdlib structural validation of the JUnit subset described in report_junit.xsd."""
    problems = []
    if root.tag != 'testsuites':
        problems.append('root is %s' % root.tag)
    for attr in ('tests', 'failures', 'errors', 'skipped', 'time'):
        if attr not in root.attrib:
            problems.append('testsuites lacks %s' % attr)
    for suite in root:
        if suite.tag != 'testsuite':
            problems.append('unexpected %s' % suite.tag)
            continue
        cases = list(suite)
        if int(suite.get('tests')) != len(cases):
            problems.append('%s tests=%s but %d cases' % (suite.get('name'), suite.get('tests'), len(cases)))
        if int(suite.get('failures')) != sum(1 for c in cases if c.find('failure') is not None):
            problems.append('%s failures count wrong' % suite.get('name'))
        if int(suite.get('skipped')) != sum(1 for c in cases if c.find('skipped') is not None):
            problems.append('%s skipped count wrong' % suite.get('name'))
        for case in cases:
            if case.tag != 'testcase' or not case.get('name') or not case.get('classname'):
                problems.append('bad testcase %r' % case.attrib)
            float(case.get('time'))
            if len(list(case)) > 1:
                problems.append('testcase %s has %d children' % (case.get('name'), len(list(case))))
            for child in case:
                if child.tag not in ('failure', 'skipped', 'system-out'):
                    problems.append('testcase child %s' % child.tag)
                if child.tag == 'failure' and (not child.get('message') or not child.get('type')):
                    problems.append('failure without message/type')
    return problems


def test_junit_one_testcase_per_check_with_failures_and_skips() -> None:
    text = report.to_junit(RECORDS, timestamp='2025-11-24T19:00:00Z')
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(text.split('\n', 1)[1])
    assert _junit_structure_problems(root) == []
    cases = root.findall('./testsuite/testcase')
    assert len(cases) == len(RECORDS)
    assert root.get('tests') == '6' and root.get('failures') == '1' and root.get('skipped') == '1'
    failed = [c for c in cases if c.find('failure') is not None]
    assert [(c.get('classname'), c.get('name')) for c in failed] == [('node1.installation', 'binary_version')]
    assert failed[0].find('failure').get('message').startswith('expected version 9.9.9')
    skipped = [c for c in cases if c.find('skipped') is not None]
    assert [c.get('name') for c in skipped] == ['auth_required']
    warn = [c for c in cases if c.get('name') == 'production_auth'][0]
    assert warn.find('system-out').text.startswith('WARN: ')
    # control characters are replaced, the XML stays well-formed
    agreement = [c for c in cases if c.get('name') == 'agreement'][0]
    assert agreement.find('system-out').text == 'PASS: all agree?'


def test_junit_validates_against_the_xsd() -> None:
    # A test dependency (requirements.txt): a missing xmlschema fails here, it never skips.
    import xmlschema

    schema = xmlschema.XMLSchema(XSD)
    schema.validate(report.to_junit(RECORDS, timestamp='2025-11-24T19:00:00Z'))
    bad = report.to_junit(RECORDS).replace('<testcase ', '<testcase bogus="1" ', 1)
    assert not schema.is_valid(bad)


def test_xsd_itself_is_well_formed() -> None:
    root = ET.parse(XSD).getroot()
    names = [e.get('name') for e in root.findall('{http://www.w3.org/2001/XMLSchema}element')]
    assert names == ['testsuites', 'testsuite', 'testcase']


def test_markdown_has_summary_and_rows() -> None:
    md = report.to_markdown(RECORDS, title='T', meta={'when': 'now'})
    assert md.startswith('# T\n')
    assert '| node | prerequisites | installation | security | cluster |' in md
    assert '| node1 | ok | FAIL | WARN |  |' in md
    assert '| node1 | installation | binary_version | FAIL | expected version 9.9.9' in md
    assert md.count('\n| node') >= 2


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack = []
        self.rows = []
        self.summary_cells = []
        self.external = []
        self.tags = set()
        self.text = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.add(tag)
        if tag == 'tr' and 'check' in (a.get('class') or '').split():
            self.rows.append(a)
        if tag == 'td' and 'cell' in (a.get('class') or '').split() and a.get('data-category'):
            self.summary_cells.append(a)
        for key in ('src', 'href'):
            if a.get(key):
                self.external.append(a[key])

    def handle_data(self, data):
        self.text.append(data)


def test_html_is_self_contained_and_has_rows_and_summary() -> None:
    page = report.to_html(RECORDS, title='Validation <lab>', meta={'cluster': 'ollama_nodes'})
    p = _Collector()
    p.feed(page)
    p.close()
    assert page.startswith('<!DOCTYPE html>')
    assert p.external == [] and 'script' not in p.tags and 'link' not in p.tags
    assert 'style' in p.tags
    assert len(p.rows) == len(RECORDS)
    assert [(r['data-node'], r['data-check']) for r in p.rows][1] == ('node1', 'binary_version')
    assert p.rows[1]['class'] == 'check row-fail'
    cells = dict(((c['data-node'], c['data-category']), c['class']) for c in p.summary_cells if c.get('data-node'))
    assert cells[('node1', 'installation')] == 'cell st-fail'
    assert cells[('node1', 'security')] == 'cell st-warn'
    assert cells[('node1', 'prerequisites')] == 'cell st-pass'
    assert cells[('cluster', 'cluster')] == 'cell st-pass'
    text = ''.join(p.text)
    assert 'Validation <lab>' in text  # escaped in the source, restored by the parser
    assert '<lab>' not in page
    assert 'expected version 9.9.9; found 0.1.0 <at> "/usr/local/bin" & more' in text
    assert 'Overall: FAIL' in text


def test_render_dispatches_and_rejects_unknown_format() -> None:
    for fmt in report.FORMATS:
        assert report.render(fmt, RECORDS, 'T')
    with pytest.raises(ValueError):
        report.render('pdf', RECORDS, 'T')
