# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ollama_bundle module: an offline bundle in Ollama's layout is checked before anything is imported."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Dict, List

import pytest

from ansible_collections.ollama_lab.distributed.plugins.modules import ollama_bundle


def _blob(root: Path, content: bytes) -> Dict[str, object]:
    hexdigest = hashlib.sha256(content).hexdigest()
    (root / 'blobs').mkdir(parents=True, exist_ok=True)
    (root / 'blobs' / f'sha256-{hexdigest}').write_bytes(content)
    return {'mediaType': 'application/vnd.ollama.image.model', 'digest': f'sha256:{hexdigest}', 'size': len(content)}


def _model(root: Path, name: str, tag: str, layers: List[bytes], namespace: str = 'library') -> Path:
    config = _blob(root, json.dumps({'model_format': 'gguf', 'model': name}).encode())
    manifest = {'schemaVersion': 2, 'mediaType': 'application/vnd.docker.distribution.manifest.v2+json',
                'config': config, 'layers': [_blob(root, data) for data in layers]}
    path = root / 'manifests' / 'registry.ollama.ai' / namespace / name / tag
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(manifest))
    return path


@pytest.fixture()
def bundle(tmp_path: Path) -> Path:
    root = tmp_path / 'bundle'
    _model(root, 'tinyllama', 'latest', [b'weights of tinyllama', b'shared template'])
    _model(root, 'coder', '7b', [b'weights of coder', b'shared template'], namespace='myteam')
    return root


def test_lists_blobs_once_then_manifests_and_changes_nothing(bundle: Path, run_module) -> None:
    before = sorted(p.stat().st_mtime_ns for p in bundle.rglob('*'))
    run = run_module(ollama_bundle, {'path': str(bundle)}, check_mode=True)
    assert not run.failed and run['changed'] is False
    assert [m['name'] for m in run['models']] == ['tinyllama:latest', 'myteam/coder:7b']
    dests = [f['dest'] for f in run['files']]
    blobs = [d for d in dests if d.startswith('blobs/')]
    # 2 configs + 2 own weights + 1 shared template, each once; manifests come after every blob
    assert len(blobs) == 5 and len(set(blobs)) == 5
    assert dests[5:] == ['manifests/registry.ollama.ai/library/tinyllama/latest',
                         'manifests/registry.ollama.ai/myteam/coder/7b']
    assert all(Path(f['src']).is_file() and f['src'].startswith(str(bundle)) for f in run['files'])
    assert run['directories'][0] == 'blobs' and 'manifests/registry.ollama.ai/library/tinyllama' in run['directories']
    assert sorted(p.stat().st_mtime_ns for p in bundle.rglob('*')) == before


@pytest.mark.parametrize('name', ['tinyllama', 'tinyllama:latest', 'library/tinyllama',
                                  'registry.ollama.ai/library/tinyllama:latest'])
def test_picks_one_model_by_any_of_its_names(bundle: Path, run_module, name: str) -> None:
    run = run_module(ollama_bundle, {'path': str(bundle), 'models': [name]})
    assert [m['name'] for m in run['models']] == ['tinyllama:latest']
    assert len([f for f in run['files'] if f['dest'].startswith('blobs/')]) == 3


def test_a_blob_whose_content_does_not_match_its_name_fails_naming_the_file(bundle: Path, run_module) -> None:
    manifest = json.loads((bundle / 'manifests/registry.ollama.ai/library/tinyllama/latest').read_text())
    bad = manifest['layers'][0]['digest'].split(':')[1]
    (bundle / 'blobs' / f'sha256-{bad}').write_bytes(b'weights of tinyllamX')  # same size, other content
    run = run_module(ollama_bundle, {'path': str(bundle), 'models': ['tinyllama']})
    assert run.failed
    assert run['msg'].startswith(f'blobs/sha256-{bad}: its content has sha256:')
    assert 'manifests/registry.ollama.ai/library/tinyllama/latest' in run['msg']
    assert run['msg'].endswith('nothing was imported')


def test_a_missing_blob_or_wrong_size_fails_naming_the_file(bundle: Path, run_module) -> None:
    manifest_path = bundle / 'manifests/registry.ollama.ai/myteam/coder/7b'
    manifest = json.loads(manifest_path.read_text())
    manifest['layers'][0]['size'] += 1
    manifest_path.write_text(json.dumps(manifest))
    run = run_module(ollama_bundle, {'path': str(bundle), 'models': ['myteam/coder:7b']})
    assert run.failed and 'bytes, but manifests/registry.ollama.ai/myteam/coder/7b says' in run['msg']
    blob = manifest['layers'][0]['digest'].replace('sha256:', 'sha256-')
    (bundle / 'blobs' / blob).unlink()
    run = run_module(ollama_bundle, {'path': str(bundle), 'models': ['myteam/coder:7b']})
    assert run.failed and run['msg'].startswith(f'blobs/{blob}: missing, but manifests/')


def test_a_manifest_with_a_bad_digest_fails(bundle: Path, run_module) -> None:
    path = bundle / 'manifests/registry.ollama.ai/library/tinyllama/latest'
    manifest = json.loads(path.read_text())
    manifest['layers'][1]['digest'] = 'sha256:../../etc/passwd'
    path.write_text(json.dumps(manifest))
    run = run_module(ollama_bundle, {'path': str(bundle), 'models': ['tinyllama']})
    assert run.failed and run['msg'].startswith('manifests/registry.ollama.ai/library/tinyllama/latest: layer digest')


def test_an_unknown_model_or_a_directory_that_is_no_bundle_fails(bundle: Path, tmp_path: Path, run_module) -> None:
    run = run_module(ollama_bundle, {'path': str(bundle), 'models': ['llama3:8b']})
    assert run.failed and "model 'llama3:8b' is not in the bundle" in run['msg']
    assert 'it has: tinyllama:latest, myteam/coder:7b' in run['msg']
    run = run_module(ollama_bundle, {'path': str(tmp_path)})
    assert run.failed and 'needs manifests/ and blobs/' in run['msg']
    run = run_module(ollama_bundle, {'path': str(bundle), 'models': ['../evil']})
    assert run.failed and 'is not an Ollama name' in run['msg']
