# Copyright (c) ollama_lab.distributed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Load once in the controller process the plugins that every forked worker would load again."""

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r"""
name: warm_workers
type: aggregate
short_description: Load once on the controller the plugins every task's worker would load again
description:
  - Ansible forks one worker process per task and host, and a worker starts with what the controller process had
    loaded. The controller loads the action plugins itself, but leaves filters, tests, lookups and connection plugins
    to the workers, so every worker that templates a filter of this collection imports every filter file of the
    collection again (Ansible cannot know which file holds a filter), and every worker that connects or looks up
    imports its plugin and reads its documentation again.
  - At the start of each play this callback loads, in the controller process, ansible-core's filters, tests and
    lookups, every filter and test file of this collection, and the connection plugins that the play's hosts name
    in the inventory (and the play's own connection). Every worker inherits them. It prints nothing (C(-vvv) says
    what it loaded) and changes nothing in how the play runs; a warm classroom run of 10 seats uses about a fifth
    less CPU.
  - The collection's C(ansible.cfg) enables it; add it to C(callbacks_enabled) in yours to get the same from an
    installed collection.
author:
  - ollama_lab maintainers (@ollama-lab)
version_added: 0.1.0
requirements:
  - enable in C(callbacks_enabled) (C(ansible.cfg)) or C(ANSIBLE_CALLBACKS_ENABLED)
"""

import time
from typing import Any

from ansible.plugins.callback import CallbackBase

from ansible_collections.ollama_lab.distributed.plugins.plugin_utils.warm_loaders import (
    collection_of, inventory_connections, warm_connections, warm_jinja_plugins, warm_lookups)


class CallbackModule(CallbackBase):
    """Warm the controller's plugin caches before a play's first worker forks."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "ollama_lab.distributed.warm_workers"
    CALLBACK_NEEDS_ENABLED = True

    def v2_playbook_on_play_start(self, play: Any) -> None:
        start = time.monotonic()
        # The inventory behind the play (no public accessor): without it, only the play's own connection.
        inventory = getattr(play.get_variable_manager(), "_inventory", None)
        hosts = inventory.get_hosts(play.hosts, order=play.order) if inventory is not None else []
        jinja = warm_jinja_plugins([collection_of(__name__)])
        lookups = warm_lookups()
        connections = warm_connections(inventory_connections(hosts) | ({play.connection} if play.connection else set()))
        self._display.vvv(f"{self.CALLBACK_NAME}: loaded {len(jinja)} filter/test file(s) of the collection,"
                          f" {lookups} lookup(s), connection(s) {', '.join(connections) or 'none'}"
                          f" in {time.monotonic() - start:.2f} s")
