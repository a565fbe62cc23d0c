#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) ollama_lab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r'''
---
module: ollama_bundle
short_description: Check an offline bundle of Ollama models and list the files to import
version_added: 0.1.0
description:
  - Reads a directory in Ollama's own model layout - C(manifests/<registry>/<namespace>/<model>/<tag>) (JSON
    manifests) and C(blobs/sha256-<hex>) (config and layers) - as C(ollama pull) leaves it in C(OLLAMA_MODELS).
  - For every model asked for, parses its manifest, and checks that every blob it lists (config and layers)
    exists, has the size the manifest says, and that its content's sha256 is the digest in its file name and
    in the manifest. Fails on the first bad file, naming it; nothing is copied by this module.
  - Returns the files to copy into the models directory of an Ollama server, blobs first, manifests last,
    so that a model only appears once all of its blobs are in place.
  - Read only; meant to run once on the controller (C(delegate_to) localhost, C(run_once)).
author:
  - ollama_lab maintainers (@ollama-lab)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: The module never changes anything.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  path:
    description: The bundle directory (it holds C(manifests/) and C(blobs/)).
    type: path
    required: true
  models:
    description:
      - Models to import, as Ollama names them (C(tinyllama), C(tinyllama:1b), C(library/tinyllama:1b),
        C(myteam/coder:7b), C(registry.ollama.ai/library/tinyllama:latest)); a missing tag means C(latest).
      - Empty imports every model of the bundle.
    type: list
    elements: str
    default: []
'''

EXAMPLES = r'''
- name: Check the bundle once on the controller
  ollama_lab.distributed.ollama_bundle:
    path: /srv/ollama-bundles/class-2026
    models: [tinyllama, qwen2.5:0.5b]
  delegate_to: localhost
  run_once: true
  register: bundle
'''

RETURN = r'''
models:
  description: The models found, with the manifest that describes each.
  returned: success
  type: list
  elements: dict
  sample: [{name: "tinyllama:latest", manifest: "manifests/registry.ollama.ai/library/tinyllama/latest", size: 637700000}]
files:
  description:
    - Files to copy, blobs first (each once, even when several models share it), then manifests.
    - C(src) is absolute on the controller; C(dest) is relative to the models directory.
  returned: success
  type: list
  elements: dict
  sample: [{src: /srv/b/blobs/sha256-2af3..., dest: blobs/sha256-2af3..., sha256: 2af3..., size: 637700000}]
directories:
  description: Directories (relative to the models directory) that the files need, parents first.
  returned: success
  type: list
  elements: str
'''

import hashlib
import json
import os
import re
from typing import Any, Dict, List, Tuple

from ansible.module_utils.basic import AnsibleModule

DEFAULT_REGISTRY = 'registry.ollama.ai'
DEFAULT_NAMESPACE = 'library'
DIGEST_RE = re.compile(r'^sha256:([0-9a-f]{64})$')
PART_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._-]*$')


class BundleError(Exception):
    """A problem with the bundle; the message names the file."""


def parse_name(name: str) -> Tuple[str, str, str, str]:
    """Split an Ollama model name into (registry, namespace, model, tag)."""
    if ':' in name.rsplit('/', 1)[-1]:
        rest, tag = name.rsplit(':', 1)
    else:
        rest, tag = name, 'latest'
    parts = rest.split('/')
    if len(parts) == 1:
        parts = [DEFAULT_REGISTRY, DEFAULT_NAMESPACE] + parts
    elif len(parts) == 2:
        parts = [DEFAULT_REGISTRY] + parts
    if len(parts) != 3 or not all(PART_RE.match(p) for p in parts + [tag]):
        raise BundleError(f'model name {name!r} is not an Ollama name such as tinyllama, tinyllama:1b or '
                          'myteam/coder:7b')
    return parts[0], parts[1], parts[2], tag


def display_name(registry: str, namespace: str, model: str, tag: str) -> str:
    """The name Ollama lists a model under (library models without their prefix)."""
    if registry == DEFAULT_REGISTRY:
        prefix = '' if namespace == DEFAULT_NAMESPACE else namespace + '/'
        return f'{prefix}{model}:{tag}'
    return f'{registry}/{namespace}/{model}:{tag}'


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b''):
            digest.update(chunk)
    return digest.hexdigest()


def all_manifests(root: str) -> List[str]:
    """Relative paths of every manifest (manifests/<registry>/<namespace>/<model>/<tag>)."""
    found = []
    base = os.path.join(root, 'manifests')
    for dirpath, dummy, files in os.walk(base):
        for name in files:
            rel = os.path.relpath(os.path.join(dirpath, name), root)
            if len(rel.split(os.sep)) == 5:
                found.append(rel.replace(os.sep, '/'))
    return sorted(found)


def _layers(manifest: Any, rel: str) -> List[Dict[str, Any]]:
    if not isinstance(manifest, dict) or not isinstance(manifest.get('layers'), list):
        raise BundleError(f'{rel}: not an Ollama manifest (need a JSON object with "config" and "layers")')
    entries = ([manifest['config']] if manifest.get('config') is not None else []) + manifest['layers']
    for entry in entries:
        digest = entry.get('digest') if isinstance(entry, dict) else None
        if not isinstance(digest, str) or not DIGEST_RE.match(digest):
            raise BundleError(f'{rel}: layer digest {digest!r} is not sha256:<64 lowercase hex digits>')
        if not isinstance(entry.get('size'), int) or isinstance(entry.get('size'), bool) or entry['size'] < 0:
            raise BundleError(f'{rel}: layer {digest} has no size (need a whole number of bytes)')
    return entries


def check_bundle(root: str, models: List[str]) -> Dict[str, Any]:
    """Check the bundle and return {models, files, directories}; raise BundleError naming the bad file."""
    if not os.path.isdir(os.path.join(root, 'manifests')) or not os.path.isdir(os.path.join(root, 'blobs')):
        raise BundleError(f'{root} is not a bundle: it needs manifests/ and blobs/ (Ollama\'s models directory '
                          'layout, as `ollama pull` leaves OLLAMA_MODELS)')
    available = all_manifests(root)
    if models:
        wanted = []
        for name in models:
            rel = 'manifests/' + '/'.join(parse_name(name))
            if rel not in available:
                names = ', '.join(display_name(*r.split('/')[1:]) for r in available) or 'none'
                raise BundleError(f'model {name!r} is not in the bundle {root} (no file {rel}); it has: {names}')
            wanted.append(rel)
    else:
        wanted = available
    if not wanted:
        raise BundleError(f'{root} holds no manifest under manifests/<registry>/<namespace>/<model>/<tag>')

    blobs: Dict[str, Dict[str, Any]] = {}
    found_models = []
    for rel in sorted(set(wanted)):
        try:
            with open(os.path.join(root, rel), 'rb') as handle:
                manifest = json.loads(handle.read().decode('utf-8'))
        except (OSError, ValueError) as exc:
            raise BundleError(f'{rel}: cannot read it as JSON ({exc})') from exc
        total = 0
        for entry in _layers(manifest, rel):
            hexdigest = DIGEST_RE.match(entry['digest']).group(1)
            blob_rel = f'blobs/sha256-{hexdigest}'
            total += entry['size']
            if blob_rel in blobs:
                continue
            blob = os.path.join(root, blob_rel)
            if not os.path.isfile(blob):
                raise BundleError(f'{blob_rel}: missing, but {rel} lists {entry["digest"]}')
            size = os.path.getsize(blob)
            if size != entry['size']:
                raise BundleError(f'{blob_rel}: {size} bytes, but {rel} says {entry["size"]}')
            actual = sha256_of(blob)
            if actual != hexdigest:
                raise BundleError(f'{blob_rel}: its content has sha256:{actual}, not the digest in its name '
                                  f'and in {rel} (a corrupt or altered file)')
            blobs[blob_rel] = {'src': os.path.abspath(blob), 'dest': blob_rel, 'sha256': actual, 'size': size}
        found_models.append({'name': display_name(*rel.split('/')[1:]), 'manifest': rel, 'size': total})

    manifests = [{'src': os.path.abspath(os.path.join(root, m['manifest'])), 'dest': m['manifest'],
                  'sha256': sha256_of(os.path.join(root, m['manifest'])),
                  'size': os.path.getsize(os.path.join(root, m['manifest']))} for m in found_models]
    directories = {'blobs'}
    for entry in manifests:
        parts = entry['dest'].split('/')[:-1]
        directories.update('/'.join(parts[:i]) for i in range(1, len(parts) + 1))
    return {
        'models': found_models,
        'files': [blobs[k] for k in sorted(blobs)] + manifests,
        'directories': sorted(directories, key=lambda d: (d.count('/'), d)),
    }


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(path=dict(type='path', required=True),
                           models=dict(type='list', elements='str', default=[])),
        supports_check_mode=True,
    )
    try:
        result = check_bundle(module.params['path'], module.params['models'])
    except BundleError as exc:
        module.fail_json(msg=f'{exc}; nothing was imported')
    module.exit_json(changed=False, **result)


if __name__ == '__main__':
    main()
