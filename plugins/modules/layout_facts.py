#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) ollama_lab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r'''
---
module: layout_facts
short_description: Find the service manager of a host as cheaply as possible (the fact the layout role needs)
version_added: 0.2.0
description:
  - Sets C(ansible_facts.service_mgr), with the value the setup module would give, which the
    layout role reads to choose between systemd and supervisord for C(layout_service_manager=auto).
  - Reads C(/proc/1/comm) through one shell command, without Python on the host. When PID 1 names
    itself (C(systemd), C(supervisord), ...), that name is the answer, as in the setup module's fact
    collector. When it does not (no readable name, C(init), or a shell as PID 1), the setup module
    runs with only its C(service_mgr) subset and gives the answer.
  - Changes nothing.
author:
  - ollama_lab maintainers (@ollama-lab)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.facts
attributes:
  check_mode:
    support: full
    details: Reads only; the same in check mode.
  diff_mode:
    support: none
  facts:
    support: full
  platform:
    platforms: posix
options: {}
notes:
  - An action plugin; the module file only documents it.
'''

EXAMPLES = r'''
- name: Find the service manager unless it is known
  ollama_lab.distributed.layout_facts:
  when: ansible_facts.service_mgr is not defined
'''

RETURN = r'''
ansible_facts:
  description: The facts found.
  returned: always
  type: dict
  contains:
    service_mgr:
      description: The service manager, as the setup module names it.
      type: str
      sample: systemd
source:
  description: Where the answer came from, V(/proc/1/comm) or V(setup).
  returned: always
  type: str
  sample: /proc/1/comm
'''
