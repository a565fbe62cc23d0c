#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) ollama_lab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r'''
---
module: quick_copy
short_description: Write a file from content, finding a file already in place with one shell command
version_added: 0.2.0
description:
  - Like M(ansible.builtin.copy) with O(content), for files that are usually already in place (a warm run).
  - First one POSIX shell command on the host reads the file's mode, owner, group and SHA-1. When
    they are what is asked for, the task reports ok and nothing else runs. Otherwise (or when the
    shell cannot tell) M(ollama_lab.distributed.lab_files) writes it in one module run with the same
    options - O(validate) before the file is replaced, check mode, C(--diff), the changed status
    (M(ansible.builtin.copy) would take three round trips, a stat, the transfer and its module).
  - The quick look returns neither the content nor its checksum; with C(no_log) on the task, a file
    with secrets stays out of every log.
author:
  - ollama_lab maintainers (@ollama-lab)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: The quick look only reads; when the file is not in place, M(ollama_lab.distributed.lab_files) runs in check mode.
  diff_mode:
    support: full
    details: From M(ollama_lab.distributed.lab_files) when the file is not in place; none when it is.
  platform:
    platforms: posix
options:
  content:
    description: The whole content of the file.
    type: str
    required: true
  dest:
    description: Absolute path of the file on the host.
    type: str
    required: true
  owner:
    description: Owner name of the file.
    type: str
  group:
    description: Group name of the file.
    type: str
  mode:
    description:
      - Permissions, best as a quoted octal string such as V("0640"). A symbolic mode is left to
        the module on every run (no quick look).
    type: raw
  validate:
    description:
      - Command that checks the new content before it replaces the file, with C(%s) for its path,
        as in M(ansible.builtin.copy). Runs only when the content changes; when it fails, the task fails
        with its C(stdout) and C(stderr) and the file is left as it was.
    type: str
notes:
  - An action plugin; the module file only documents it.
seealso:
  - module: ansible.builtin.copy
  - module: ollama_lab.distributed.lab_files
'''

EXAMPLES = r'''
- name: Write a node's config file (secrets; no_log)
  ollama_lab.distributed.quick_copy:
    content: "{{ node_config | ollama_lab.distributed.config_yaml('testing', '/etc/ollama-distributed/node1.yaml') }}"
    dest: /etc/ollama-distributed/node1.yaml
    owner: root
    group: ollama
    mode: "0640"
    validate: /usr/local/bin/ollama-distributed validate --config %s
  no_log: true
'''

RETURN = r'''
quick:
  description: True when the quick look found the file in place and nothing else ran; false when
    M(ollama_lab.distributed.lab_files) ran (its return values, C(changed_paths), are then returned too).
  returned: always
  type: bool
  sample: true
dest:
  description: The file.
  returned: always
  type: str
  sample: /etc/ollama-distributed/node1.yaml
'''
