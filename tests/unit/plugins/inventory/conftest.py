# Copyright (c) 2025, ollama_lab maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Make ``ollama_lab.distributed`` resolvable by Ansible's plugin loader for the inventory tests.

Modules can be imported through ``<repo>/.collections`` on ``sys.path`` (tests/unit/conftest.py,
which pytest loads first, does that), but the inventory plugin must also be found by its FQCN through Ansible's collection
finder, as ``ansible-inventory`` finds it. When the finder is not installed yet (or
``ansible_collections`` was imported without it), the ``collection_loader`` fixture installs it
for these tests and puts everything back afterwards, so other test modules keep the module
objects they imported.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterator

import pytest

COLLECTIONS = Path(__file__).resolve().parents[4] / ".collections"  # linked by tests/unit/conftest.py
FQCN = "ollama_lab.distributed.classroom"


def _finder_serves_checkout() -> bool:
    from ansible.utils.collection_loader import AnsibleCollectionConfig

    pkg = sys.modules.get("ansible_collections.ollama_lab.distributed")
    return AnsibleCollectionConfig.collection_finder is not None and (pkg is None or hasattr(pkg, "_collection_meta"))


@pytest.fixture(scope="module", autouse=True)
def collection_loader() -> Iterator[None]:
    """Install Ansible's collection finder on the checkout unless it is already installed."""
    from ansible.plugins.loader import init_plugin_loader
    from ansible.utils.collection_loader import AnsibleCollectionConfig
    from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder

    if _finder_serves_checkout():
        yield
        return
    previous_finder = AnsibleCollectionConfig.collection_finder
    saved = {name: mod for name, mod in sys.modules.items()
             if name == "ansible_collections" or name.startswith("ansible_collections.")}
    for name in saved:
        del sys.modules[name]
    init_plugin_loader([str(COLLECTIONS)])
    try:
        yield
    finally:
        _AnsibleCollectionFinder._remove()
        for name in [n for n in sys.modules if n == "ansible_collections" or n.startswith("ansible_collections.")]:
            del sys.modules[name]
        sys.modules.update(saved)
        if previous_finder is not None:
            previous_finder._install()
