#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) ollama_lab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r'''
---
module: probe_paths
short_description: Look at several paths and groups of a host with one shell command
version_added: 0.2.0
description:
  - Says, for each path, whether it exists and whether it is a directory, a regular file or a
    symbolic link (a last symbolic link is not followed, as M(ansible.builtin.stat) with
    O(ansible.builtin.stat#module:follow=false)), and for each group whether the host knows it
    (C(getent group)).
  - One POSIX shell command on the host, no Python, so that a warm run finds out cheaply that what
    a role needs is in place. Changes nothing.
author:
  - ollama_lab maintainers (@ollama-lab)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Reads only; the same in check mode.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  paths:
    description: Absolute paths to look at.
    type: list
    elements: str
    default: []
  groups:
    description: Group names to look up.
    type: list
    elements: str
    default: []
notes:
  - An action plugin; the module file only documents it.
'''

EXAMPLES = r'''
- name: Look for the config directory, the binary and the service group
  ollama_lab.distributed.probe_paths:
    paths: [/etc/ollama-distributed, /usr/local/bin/ollama-distributed]
    groups: [ollama]
  register: target

- name: Use the answer
  ansible.builtin.debug:
    msg: "{{ target.paths['/etc/ollama-distributed'].isdir and target.groups.ollama }}"
'''

RETURN = r'''
paths:
  description: For each path asked, what is there.
  returned: always
  type: dict
  sample: {"/etc/ollama-distributed": {"exists": true, "isdir": true, "isreg": false, "islnk": false}}
groups:
  description: For each group asked, whether the host knows it.
  returned: always
  type: dict
  sample: {"ollama": true}
'''
