# -*- coding: utf-8 -*-
# Copyright (c) ollama_lab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
from __future__ import annotations

__metaclass__ = type


class ModuleDocFragment(object):
    """Connection options shared by every node API module (see module_utils/api.py)."""

    DOCUMENTATION = r'''
options:
  url:
    description:
      - Base URL of the node HTTP API, for example C(http://127.0.0.1:8080) or the C(api_url) of
        the C(layout_node) fact.
      - Paths such as C(/health) are appended to it.
    type: str
    required: true
  token:
    description:
      - Bearer token sent in the C(Authorization) header, one of the node C(security.api_keys)
        or a JWT. Needed only when the node has C(security.enable_auth) on.
      - Never logged nor shown in messages.
      - If not set, the environment variable E(OLLAMA_DISTRIBUTED_TOKEN) of the host the module
        runs on is used.
    type: str
  timeout:
    description:
      - Seconds to wait for one HTTP answer.
    type: float
    default: 10
  validate_certs:
    description:
      - Verify the TLS certificate of an C(https://) URL.
      - Set to V(false) only for lab nodes with self-signed certificates.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of the CA that signed the node certificate, for C(https://) URLs.
    type: path
  retries:
    description:
      - How many times to try a request again after a connection error, a timeout (for C(GET) and
        C(DELETE) only) or a 5xx answer. 4xx answers are never retried.
      - Between 0 and 20.
    type: int
    default: 3
  retry_delay:
    description:
      - Seconds before the first retry; doubles after each retry (exponential backoff), at most
        30 seconds between two tries.
    type: float
    default: 1
'''
