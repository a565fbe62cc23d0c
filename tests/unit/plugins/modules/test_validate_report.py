# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The validate_report module through main(): judges observations and writes the four reports."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path
from xml.etree import ElementTree as ET

import xmlschema

from ansible_collections.ollama_lab.distributed.plugins.modules import validate_report

HERE = Path(__file__).resolve().parent
XSD = HERE.parent / 'module_utils' / 'report_junit.xsd'


def _healthy_cluster():
    spec = importlib.util.spec_from_file_location('validation_fixtures',
                                                  HERE.parent / 'module_utils' / 'test_validation_checks.py')
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.cluster3(), mod.SETTINGS


def test_writes_four_reports_for_a_healthy_cluster(tmp_path, run_module) -> None:
    nodes, settings = _healthy_cluster()
    dest = tmp_path / 'reports'
    run = run_module(validate_report, dict(observations=nodes, settings=settings, dest=str(dest),
                                           meta={'cluster': 'ollama_nodes', 'time': '2026-01-01T00:00:00Z'}))
    assert not run.failed and run['changed'] is True
    assert run['summary']['counts']['fail'] == 0 and run['failed_checks'] == []
    assert sorted(os.listdir(dest)) == ['validation.html', 'validation.json', 'validation.junit.xml', 'validation.md']
    doc = json.loads((dest / 'validation.json').read_text())
    assert len(doc['checks']) == len(run['checks']) and doc['meta']['cluster'] == 'ollama_nodes'
    xmlschema.XMLSchema(str(XSD)).validate(str(dest / 'validation.junit.xml'))
    cases = ET.parse(dest / 'validation.junit.xml').getroot().findall('./testsuite/testcase')
    assert len(cases) == len(run['checks'])
    assert (dest / 'validation.html').read_text().count('<tr class="check ') == len(run['checks'])
    # the same observations again: same content, nothing changes
    again = run_module(validate_report, dict(observations=nodes, settings=settings, dest=str(dest),
                                             meta={'cluster': 'ollama_nodes', 'time': '2026-01-01T00:00:00Z'}))
    assert again['changed'] is False


def test_failures_are_returned_not_raised_and_check_mode_writes_nothing(tmp_path, run_module) -> None:
    nodes, settings = _healthy_cluster()
    nodes['node2']['config']['mode'] = '0604'
    run = run_module(validate_report, dict(observations=nodes, settings=settings, dest=str(tmp_path / 'r')),
                     check_mode=True)
    assert not run.failed and run['changed'] is False
    assert not (tmp_path / 'r').exists()
    assert run['files']['json'] == str(tmp_path / 'r' / 'validation.json')
    assert [line.split(' - ')[0] for line in run['failed_checks']] == [
        'node2/configuration/file_permissions', 'node2/security/secrets_not_world_readable']
    assert run['summary']['nodes']['node2']['categories']['configuration'] == 'fail'


def test_unknown_category_fails_naming_it(run_module) -> None:
    run = run_module(validate_report, dict(observations={}, settings={'categories': ['api', 'speed']}))
    assert run.failed and "settings.categories: unknown speed; choose from prerequisites" in run['msg']
