# Copyright (c) ollama_lab.distributed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Load, in the controller process, the plugins that every forked worker would load again.

Ansible forks one worker process per task and host, and a worker starts with
what the controller process had loaded. The controller loads the action
plugins itself, but leaves the rest to the workers:

- Jinja2 filters and tests: to resolve any one filter of a collection, Ansible
  imports every filter file of that collection (it cannot know which file
  holds it), in every worker that templates it;
- lookups and connection plugins: imported, and their documentation parsed
  for their options, in every worker that uses one.

On a class of 10 seats (30 nodes) that is about a fifth of the warm run's CPU.
Loaded once here, before the first worker forks, every worker inherits them.
"""

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

import importlib
import pkgutil
from typing import Any, Iterable, List, Set

from ansible.plugins.loader import PluginLoader, connection_loader, filter_loader, lookup_loader, test_loader


def collection_of(module_name: str) -> str:
    """``ns.coll`` of a module of a collection (``ansible_collections.ns.coll.plugins...``), else ``""``."""
    parts = module_name.split(".")
    return ".".join(parts[1:3]) if len(parts) > 3 and parts[0] == "ansible_collections" else ""


def _plugin_files(collection: str, kind: str) -> List[str]:
    """The plugin file names (no ``.py``) of ``collection``'s ``plugins/<kind>`` package."""
    try:
        package = importlib.import_module(f"ansible_collections.{collection}.plugins.{kind}")
    except ImportError:
        return []
    return sorted(name for _finder, name, is_package in pkgutil.iter_modules(package.__path__) if not is_package)


def warm_jinja_plugins(collections: Iterable[str]) -> List[str]:
    """Load ansible-core's filters and tests, and every filter and test file of ``collections``.

    Each file is loaded the way Ansible resolves a collection filter (file by
    file, with the base loader), so its caches are the ones the workers read.
    Returns ``<collection>.<kind>.<file>`` for every file loaded.
    """
    loaded: List[str] = []
    for loader, kind in ((filter_loader, "filter"), (test_loader, "test")):
        for _plugin in loader.all():
            pass
        for collection in collections:
            for name in _plugin_files(collection, kind):
                # The base class's lookup by file name: Jinja2Loader.get_with_context
                # takes a filter name, not a file name.
                if PluginLoader.get_with_context(loader, f"{collection}.{name}").object is not None:
                    loaded.append(f"{collection}.{kind}.{name}")
    return loaded


def warm_lookups() -> int:
    """Load ansible-core's lookup plugins (and their options); return how many."""
    return sum(1 for _plugin in lookup_loader.all(class_only=True))


def inventory_connections(hosts: Iterable[Any]) -> Set[str]:
    """The ``ansible_connection`` values the inventory gives ``hosts`` or their groups (templates left out).

    Each group is read once, however many of the hosts are in it.
    """
    hosts = list(hosts)
    groups = {group.name: group for host in hosts for group in host.get_groups()}
    values = [variables.get("ansible_connection")
              for variables in [group.get_vars() for group in groups.values()] + [host.get_vars() for host in hosts]]
    return {value for value in values if isinstance(value, str) and value and "{" not in value}


def warm_connections(names: Iterable[str]) -> List[str]:
    """Load the connection plugins ``names``; return those found (an unknown name is left to the run to report)."""
    found = []
    for name in sorted(set(names)):
        try:
            if connection_loader.get(name, class_only=True) is not None:
                found.append(name)
        except Exception:  # pylint: disable=broad-except  # the task that uses it reports the error
            continue
    return found
