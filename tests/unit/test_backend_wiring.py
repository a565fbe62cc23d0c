# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The nodes' backend.ollama_url follows the ollama_backend role's listen address.

Renders the configure role's ``configure_backend_ollama_url`` default and the
ollama_backend role's own URL and environment with Ansible's templar, as a
play would.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

ROOT = Path(__file__).resolve().parents[2]
CONFIGURE_DEFAULTS = yaml.safe_load((ROOT / 'roles/configure/defaults/main.yml').read_text())
BACKEND_DEFAULTS = yaml.safe_load((ROOT / 'roles/ollama_backend/defaults/main.yml').read_text())
BACKEND_VARS = yaml.safe_load((ROOT / 'roles/ollama_backend/vars/main.yml').read_text())


def render(expr: str, variables: Dict[str, Any]) -> Any:
    templar = Templar(loader=DataLoader(), variables=variables)
    return templar.template(trust_as_template(expr))


def backend_vars(**overrides: Any) -> Dict[str, Any]:
    variables: Dict[str, Any] = {k: (trust_as_template(v) if isinstance(v, str) else v)
                                 for k, v in {**BACKEND_DEFAULTS, **BACKEND_VARS}.items()}
    variables.update(overrides)
    return variables


@pytest.mark.parametrize('listen, url', [
    (None, 'http://127.0.0.1:11434'),
    ('127.0.0.1:19640', 'http://127.0.0.1:19640'),
    ('0.0.0.0:11434', 'http://127.0.0.1:11434'),
    (':11434', 'http://127.0.0.1:11434'),
    ('[::]:11434', 'http://[::1]:11434'),
    ('10.0.0.5:11434', 'http://10.0.0.5:11434'),
])
def test_an_enabled_backend_is_the_nodes_ollama_url(listen: str | None, url: str) -> None:
    variables: Dict[str, Any] = {'ollama_backend_enabled': True}
    if listen is not None:
        variables['ollama_backend_listen'] = listen
    assert render(CONFIGURE_DEFAULTS['configure_backend_ollama_url'], variables) == url
    # the role polls the same URL it tells the nodes about
    assert render('{{ _ollama_backend_url }}', backend_vars(**variables)) == url


@pytest.mark.parametrize('variables', [{}, {'ollama_backend_enabled': False}, {'ollama_backend_enabled': 'false'},
                                       {'ollama_backend_listen': '0.0.0.0:11434'}])
def test_without_the_backend_the_nodes_keep_their_built_in_generator(variables: Dict[str, Any]) -> None:
    assert render(CONFIGURE_DEFAULTS['configure_backend_ollama_url'], variables) == ''


def test_the_service_environment_holds_listen_models_proxy_and_extra_settings() -> None:
    env = render('{{ _ollama_backend_env }}', backend_vars(
        ollama_backend_listen='0.0.0.0:11434', ollama_backend_https_proxy='http://proxy:3128',
        ollama_backend_no_proxy=['localhost', '.lab'], ollama_backend_environment={'OLLAMA_KEEP_ALIVE': '10m'}))
    assert env == {'OLLAMA_HOST': '0.0.0.0:11434', 'OLLAMA_MODELS': '/var/lib/ollama-backend/models',
                   'HTTPS_PROXY': 'http://proxy:3128', 'NO_PROXY': 'localhost,.lab', 'OLLAMA_KEEP_ALIVE': '10m'}
    assert render('{{ _ollama_backend_env }}', backend_vars()) == {
        'OLLAMA_HOST': '127.0.0.1:11434', 'OLLAMA_MODELS': '/var/lib/ollama-backend/models'}


@pytest.mark.parametrize('proxy, secret', [('', False), ('http://proxy:3128', False),
                                           ('http://user:pass@proxy:3128', True)])
def test_a_proxy_with_credentials_is_kept_out_of_logs(proxy: str, secret: bool) -> None:
    assert render('{{ _ollama_backend_env_secret }}', backend_vars(ollama_backend_https_proxy=proxy)) is secret
