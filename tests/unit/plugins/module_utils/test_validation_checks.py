# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the validation evaluators (module_utils/checks.py)."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.ollama_lab.distributed.plugins.module_utils import checks

PORTS = [{'name': 'api', 'port': 8080}, {'name': 'p2p', 'port': 4001}, {'name': 'web', 'port': 8081}]


def _node(node_id: str) -> dict:
    return {'id': node_id, 'address': '127.0.0.1:8080', 'status': 'online'}


def healthy(name: str = 'node1') -> dict:
    """Observations of a healthy node, as node_probe and the validate role return them."""
    status = {'node_id': name, 'cluster_size': 3, 'expected_size': 3, 'connected_peers': 2, 'leader': 'node1',
              'is_leader': name == 'node1', 'term': 1, 'health': 'healthy', 'last_update': 'x',
              'nodes': [_node('node1'), _node('node2'), _node('node3')]}
    routes = {
        'health': {'status': 200, 'latency_ms': 1.0, 'data': {'status': 'healthy', 'timestamp': 't', 'version': '0.1.0',
                                                              'node_id': name, 'uptime': '1m', 'uptime_seconds': 60}},
        'v1_health': {'status': 200, 'data': {'status': 'healthy', 'node_id': name}},
        'version': {'status': 200, 'data': {'version': '0.1.0'}},
        'tags': {'status': 200, 'data': {'models': []}},
        'distributed_status': {'status': 200, 'data': status},
        'distributed_nodes': {'status': 200, 'data': {'nodes': status['nodes'], 'total': 3}},
        'distributed_metrics': {'status': 200, 'data': {'integration': {}, 'inference': {}}},
        'v1_nodes': {'status': 200, 'data': {'nodes': status['nodes'], 'total': 3}},
    }
    return {
        'system': {'os_id': 'debian', 'os_pretty': 'Debian 12', 'cpu_count': 4, 'mem_total_mb': 8000,
                   'disk': {'path': '/var/lib/ollama-distributed', 'free_mb': 50000, 'total_mb': 100000},
                   'commands': {'curl': '/usr/bin/curl', 'tar': '/usr/bin/tar'}, 'go': None, 'go_mod': None,
                   'duration': 0.01},
        'binary': {'path': '/usr/local/bin/ollama-distributed', 'exists': True, 'executable': True, 'mode': '0755',
                   'help': {'rc': 0, 'stdout': 'Usage: ollama-distributed <command>'},
                   'version': {'rc': 0, 'stdout': 'ollama-distributed version 0.1.0 (reference)\n'}},
        'service': {'manager': 'supervisor', 'name': 'ollama-distributed-' + name, 'installed': True,
                    'enabled': True, 'active': True, 'state': 'RUNNING', 'pid': 42, 'restarts': None},
        'process': {'pid': 42, 'user': 'ollama', 'uid': 999, 'rss_mb': 30, 'uptime_seconds': 600,
                    'listening': [{'address': '127.0.0.1', 'port': 8080}, {'address': '127.0.0.1', 'port': 4001},
                                  {'address': '127.0.0.1', 'port': 8081}], 'others': {}},
        'config': {'path': '/etc/ollama-distributed/%s.yaml' % name, 'exists': True, 'mode': '0640', 'owner': 'root',
                   'group': 'ollama', 'readable_by_service': True,
                   'validate': {'rc': 0, 'stdout': 'configuration OK\n'}},
        'config_doc': {'parsed': True, 'keys': ['node', 'api'], 'environment': 'development', 'auth_enabled': False},
        'dirs': [{'path': '/var/lib/ollama-distributed/%s/data' % name, 'exists': True, 'writable': True}],
        'logs': {'source': '/var/log/ollama-distributed/%s.log' % name, 'scanned': 10, 'count': 0, 'samples': []},
        'api': {'routes': routes,
                'prometheus': {'status': 200, 'metrics': {'ollama_distributed_up': 1.0,
                                                          'ollama_distributed_cluster_size': 3.0}},
                'generate': {'skipped': 'no model on this node'}},
        'http': {'headers': {'content_type': 'application/json', 'x_content_type_options': 'nosniff',
                             'x_frame_options': 'DENY', 'x_xss_protection': '0'},
                 'cors': {'origin': 'http://localhost:3000', 'status': 204,
                          'allow_origin': 'http://localhost:3000'}},
        'performance': {'health': {'count': 20, 'ok': 20, 'errors': 0, 'p50_ms': 1.0, 'p95_ms': 3.0},
                        'generate': {'skipped': 'no model on this node'},
                        'burst': {'count': 20, 'ok': 20, 'concurrency': 10, 'elapsed_ms': 30.0}},
        'security': {'auth_enabled': False,
                     'errors': [{'what': 'GET /no/such/route', 'status': 404, 'json_error': True,
                                 'body': '{"error":"not found"}'},
                                {'what': 'POST /api/generate with a bad body', 'status': 400, 'json_error': True,
                                 'body': '{"error":"bad request"}'}]},
        'peers': [{'id': 'node2', 'host': 'node2', 'kind': 'p2p', 'target': '127.0.0.1:4002', 'ok': True}],
    }


SETTINGS = dict(ports=PORTS, expected_version='0.1.0', expected_size=3)


def by_name(records):
    return dict(('%s/%s' % (r['category'], r['name']), r) for r in records)


def red(records):
    return sorted('%s/%s/%s' % (r.get('node', '-'), r['category'], r['name']) for r in records
                  if r['status'] == 'fail')


def cluster3():
    return dict((n, healthy(n)) for n in ('node1', 'node2', 'node3'))


def test_healthy_cluster_has_no_failure_and_every_record_is_well_formed() -> None:
    records = checks.evaluate(cluster3(), SETTINGS)
    assert red(records) == []
    cats = set(r['category'] for r in records)
    assert cats == set(checks.CATEGORIES)
    for r in records:
        assert set(r) == {'node', 'category', 'name', 'status', 'message', 'duration'}
        assert r['status'] in checks.STATUSES
        assert 'expected' in r['message'] or r['status'] == 'skip', r


def test_categories_can_be_chosen() -> None:
    records = checks.evaluate(cluster3(), dict(SETTINGS, categories=['security']))
    assert set(r['category'] for r in records) == {'security'}


def test_record_rejects_bad_status_and_category() -> None:
    with pytest.raises(ValueError):
        checks.record('api', 'x', 'ok', 'm')
    with pytest.raises(ValueError):
        checks.record('nope', 'x', 'pass', 'm')
    assert checks.worst(['pass', 'skip', 'warn']) == 'warn'
    assert checks.worst([]) == 'skip'


# -- fault injection, as in the molecule cluster scenario -------------------------

def test_stopped_node_fails_service_active_and_cluster_size_only() -> None:
    nodes = cluster3()
    n3 = nodes['node3']
    n3['service'].update(active=False, state='STOPPED', pid=None)
    n3['process'] = {'pid': None, 'listening': [], 'others': {}}
    n3['api'] = {'routes': {}, 'error': 'Connection refused'}
    for other in ('node1', 'node2'):
        st = nodes[other]['api']['routes']['distributed_status']['data']
        st.update(cluster_size=2, health='degraded')
        st['nodes'][2]['status'] = 'offline'
        nodes[other]['peers'].append({'id': 'node3', 'host': 'node3', 'kind': 'p2p', 'target': '127.0.0.1:4003',
                                      'ok': False, 'error': 'connection refused'})
    records = checks.evaluate(nodes, SETTINGS)
    assert red(records) == ['cluster/cluster/members_online', 'node3/startup/service_active']
    msg = by_name([r for r in records if r['node'] == 'node3'])['startup/service_active']['message']
    assert 'expected ollama-distributed-node3 to be running; found STOPPED' == msg
    members = [r for r in records if r['name'] == 'members_online'][0]['message']
    assert 'expected 3 members online' in members and 'offline: node3' in members and 'stopped on node3' in members


def test_world_readable_config_fails_permission_checks_only() -> None:
    nodes = cluster3()
    nodes['node2']['config']['mode'] = '0644'
    records = checks.evaluate(nodes, SETTINGS)
    assert red(records) == ['node2/configuration/file_permissions', 'node2/security/secrets_not_world_readable']
    msg = by_name([r for r in records if r['node'] == 'node2'])['configuration/file_permissions']['message']
    assert 'readable by everyone (mode 0644)' in msg


def test_wrong_version_fails_binary_version_only() -> None:
    records = checks.evaluate(cluster3(), dict(SETTINGS, expected_version='9.9.9'))
    assert red(records) == ['node%d/installation/binary_version' % i for i in (1, 2, 3)]
    assert by_name(records)['installation/binary_version']['message'].startswith('expected version 9.9.9; found 0.1.0')


def test_no_expected_version_skips() -> None:
    records = checks.evaluate_node(healthy(), dict(SETTINGS, expected_version=''))
    assert by_name(records)['installation/binary_version']['status'] == 'skip'


# -- security -------------------------------------------------------------------

def _auth_on(obs, missing=401, wrong=401):
    obs['config_doc']['auth_enabled'] = True
    obs['security']['protected'] = [{'path': '/api/tags', 'missing_token': missing, 'wrong_token': wrong},
                                    {'path': '/api/distributed/status', 'missing_token': 401, 'wrong_token': 401}]
    return obs


def test_auth_on_protected_routes_answering_401_pass() -> None:
    r = by_name(checks.eval_security(_auth_on(healthy()), checks.DEFAULT_SETTINGS))
    assert r['security/auth_required']['status'] == 'pass'
    assert 'found 401 for all 4 requests' in r['security/auth_required']['message']
    assert r['security/production_auth']['status'] == 'pass'


def test_auth_on_but_route_open_fails() -> None:
    r = by_name(checks.eval_security(_auth_on(healthy(), missing=200), checks.DEFAULT_SETTINGS))
    assert r['security/auth_required']['status'] == 'fail'
    assert 'GET /api/tags with missing token answered 200' in r['security/auth_required']['message']


def test_auth_off_skips_auth_and_warns_outside_production() -> None:
    r = by_name(checks.eval_security(healthy(), checks.DEFAULT_SETTINGS))
    assert r['security/auth_required']['status'] == 'skip'
    assert r['security/production_auth']['status'] == 'warn'


def test_production_profile_with_auth_off_fails() -> None:
    obs = healthy()
    obs['config_doc']['environment'] = 'production'
    r = by_name(checks.eval_security(obs, checks.DEFAULT_SETTINGS))
    assert r['security/production_auth']['status'] == 'fail'
    assert 'found auth off' in r['security/production_auth']['message']


def test_missing_headers_and_version_header_fail() -> None:
    obs = healthy()
    obs['http']['headers'] = {'content_type': 'application/json', 'server': 'nginx/1.25.3'}
    msg = by_name(checks.eval_security(obs, checks.DEFAULT_SETTINGS))['security/security_headers']
    assert msg['status'] == 'fail'
    assert 'x-frame-options' in msg['message'] and 'nginx/1.25.3' in msg['message']


def test_leaky_error_answers_fail() -> None:
    obs = healthy()
    obs['security']['errors'][1].update(status=500, json_error=False,
                                        body='panic: runtime error\ngoroutine 7 [running]:\nmain.go:12')
    r = by_name(checks.eval_security(obs, checks.DEFAULT_SETTINGS))['security/no_internal_leaks']
    assert r['status'] == 'fail'
    assert 'a Go stack trace' in r['message'] and 'answered 500' in r['message']


def test_root_process_fails() -> None:
    obs = healthy()
    obs['process'].update(uid=0, user='root')
    r = by_name(checks.eval_security(obs, checks.DEFAULT_SETTINGS))
    assert r['security/not_root']['status'] == 'fail'


# -- startup --------------------------------------------------------------------

def test_port_held_by_another_process_or_free_fails() -> None:
    obs = healthy()
    obs['process']['listening'] = [{'address': '127.0.0.1', 'port': 8080}]
    obs['process']['others'] = {'4001': 'pid 77 (nc)'}
    r = by_name(checks.eval_startup(obs, dict(checks.DEFAULT_SETTINGS, ports=PORTS)))['startup/ports_bound']
    assert r['status'] == 'fail'
    assert 'p2p port 4001 is held by another process (pid 77 (nc))' in r['message']
    assert 'web port 8081 is not listening' in r['message']


def test_ports_held_by_our_process_pass() -> None:
    r = by_name(checks.eval_startup(healthy(), dict(checks.DEFAULT_SETTINGS, ports=PORTS)))['startup/ports_bound']
    assert r['status'] == 'pass' and 'held by it' in r['message']


def test_restarts_and_log_errors() -> None:
    obs = healthy()
    obs['process']['uptime_seconds'] = 5
    obs['service']['restarts'] = 3
    obs['logs'].update(count=2, samples=['level=error msg=boom'])
    r = by_name(checks.eval_startup(obs, dict(checks.DEFAULT_SETTINGS, ports=PORTS)))
    assert r['startup/no_recent_restarts']['status'] == 'fail'
    assert '3 restart(s)' in r['startup/no_recent_restarts']['message']
    assert r['startup/no_log_errors']['status'] == 'fail'
    assert 'boom' in r['startup/no_log_errors']['message']
    obs['service']['restarts'] = 0
    r = by_name(checks.eval_startup(obs, dict(checks.DEFAULT_SETTINGS, ports=PORTS)))
    assert r['startup/no_recent_restarts']['status'] == 'warn'


def test_wrong_process_user_fails() -> None:
    obs = healthy()
    obs['process']['user'] = 'nobody'
    r = by_name(checks.eval_startup(obs, dict(checks.DEFAULT_SETTINGS, ports=PORTS)))
    assert r['startup/process_user']['status'] == 'fail'


# -- prerequisites --------------------------------------------------------------

def test_go_version_from_go_mod() -> None:
    obs = healthy()
    obs['system']['go_mod'] = {'path': '/src/go.mod', 'go': '1.24.5'}
    obs['system']['go'] = {'path': '/usr/local/go/bin/go', 'version': '1.22.5'}
    r = by_name(checks.eval_prerequisites(obs, checks.DEFAULT_SETTINGS))['prerequisites/go_version']
    assert r['status'] == 'fail'
    assert r['message'] == ('expected Go 1.24.5 or newer (go directive of /src/go.mod); found 1.22.5 at '
                            '/usr/local/go/bin/go')
    obs['system']['go']['version'] = '1.25.0'
    assert by_name(checks.eval_prerequisites(obs, checks.DEFAULT_SETTINGS))['prerequisites/go_version']['status'] == 'pass'
    obs['system']['go'] = {'error': 'not found'}
    assert by_name(checks.eval_prerequisites(obs, checks.DEFAULT_SETTINGS))['prerequisites/go_version']['status'] == 'fail'
    obs['system']['go_mod'] = None
    assert by_name(checks.eval_prerequisites(obs, checks.DEFAULT_SETTINGS))['prerequisites/go_version']['status'] == 'skip'


def test_resources_and_commands() -> None:
    obs = healthy()
    obs['system'].update(cpu_count=1, mem_total_mb=256, os_id='arch')
    obs['system']['disk']['free_mb'] = 10
    obs['system']['commands'] = {'curl': None, 'tar': '/bin/tar'}
    r = by_name(checks.eval_prerequisites(obs, checks.DEFAULT_SETTINGS))
    assert r['prerequisites/cpu']['status'] == 'warn'
    assert r['prerequisites/memory']['status'] == 'fail'
    assert r['prerequisites/disk']['status'] == 'fail'
    assert r['prerequisites/commands']['message'] == 'expected curl, tar on PATH; found curl missing'
    assert r['prerequisites/os']['status'] == 'warn'
    assert checks.eval_prerequisites({}, checks.DEFAULT_SETTINGS)[0]['status'] == 'fail'


# -- installation, configuration ------------------------------------------------

def test_missing_binary_skips_dependents() -> None:
    obs = healthy()
    obs['binary'] = {'path': '/usr/local/bin/ollama-distributed', 'exists': False}
    r = by_name(checks.eval_installation(obs, SETTINGS))
    assert r['installation/binary_present']['status'] == 'fail'
    assert [r['installation/' + n]['status'] for n in ('binary_help', 'binary_version_runs', 'binary_version')] == \
        ['skip'] * 3


def test_help_and_version_failures() -> None:
    obs = healthy()
    obs['binary']['help'] = {'rc': 2, 'stderr': 'flag provided but not defined: -help'}
    obs['binary']['version'] = {'rc': 1, 'stderr': 'unknown command'}
    r = by_name(checks.eval_installation(obs, SETTINGS))
    assert r['installation/binary_help']['status'] == 'fail'
    assert r['installation/binary_version_runs']['status'] == 'fail'
    assert r['installation/binary_version']['status'] == 'fail'


def test_service_not_installed_or_disabled() -> None:
    obs = healthy()
    obs['service'].update(manager='systemd', enabled=False, enabled_state='disabled')
    assert by_name(checks.eval_installation(obs, SETTINGS))['installation/service_enabled']['status'] == 'fail'
    # supervisor programs are left without autostart by the install role: a warning naming the variable
    obs['service'].update(manager='supervisor', enabled=False, enabled_state='autostart=false')
    r = by_name(checks.eval_installation(obs, SETTINGS))['installation/service_enabled']
    assert r['status'] == 'warn' and 'install_supervisor_autostart' in r['message']
    obs['service'].update(installed=False)
    r = by_name(checks.eval_installation(obs, SETTINGS))
    assert r['installation/service_installed']['status'] == 'fail'
    assert r['installation/service_enabled']['status'] == 'skip'


def test_config_validate_problems_and_dirs() -> None:
    obs = healthy()
    obs['config']['validate'] = {'rc': 2, 'stdout': 'api.listen: not host:port\nnode.id: required\n'}
    obs['dirs'][0].update(writable=False, owner='root', mode='0755')
    obs['config_doc'] = {'parsed': False, 'error': 'line 3: mapping values are not allowed'}
    r = by_name(checks.eval_configuration(obs, checks.DEFAULT_SETTINGS))
    assert r['configuration/binary_validate']['message'].endswith('found 2 problem(s): api.listen: not host:port; '
                                                                  'node.id: required')
    assert r['configuration/dirs_writable']['status'] == 'fail'
    assert 'not writable by ollama' in r['configuration/dirs_writable']['message']
    assert r['configuration/parses']['status'] == 'fail'


def test_config_missing_and_wrong_owner() -> None:
    obs = healthy()
    obs['config'].update(owner='ollama', group='staff')
    msg = by_name(checks.eval_configuration(obs, checks.DEFAULT_SETTINGS))['configuration/file_permissions']['message']
    assert 'owned by ollama, not root' in msg and 'group staff' in msg
    obs['config'] = {'path': '/etc/x.yaml', 'exists': False}
    r = by_name(checks.eval_configuration(obs, checks.DEFAULT_SETTINGS))
    assert r['configuration/file_present']['status'] == 'fail'
    assert r['configuration/file_permissions']['status'] == 'skip'


# -- api, performance -----------------------------------------------------------

def test_api_shape_problems_node_metrics_typed_as_upstream() -> None:
    good = {'cpu_usage': 12.5, 'memory_usage': 2147483648, 'disk_usage': 10737418240,
            'memory_percent': 25.0, 'disk_percent': 50.0, 'network_rx': 100, 'network_tx': 0}
    node = {'id': 'a', 'address': 'x:1', 'status': 'online', 'metrics': good}
    assert checks.shape_problems('distributed_nodes', {'nodes': [node], 'total': 1}) == []
    old = dict(node, metrics=dict(good, memory_usage=43.2, disk_usage=61.0, disk_percent=61.0))
    assert checks.shape_problems('v1_nodes', {'nodes': [old], 'total': 1}) == [
        'node a: metrics.memory_usage is 43.2, not an integer number of bytes',
        'node a: metrics.disk_usage is 61.0, not an integer number of bytes']
    metrics = {'integration': {}, 'inference': {}, 'memory_percent': 250, 'memory_usage': 1}
    assert checks.shape_problems('distributed_metrics', metrics) == ['memory_percent is 250, not a percentage 0-100']


def test_api_shape_problems() -> None:
    assert checks.shape_problems('tags', {'models': None}) == ['"models" is NoneType, not a list']
    assert checks.shape_problems('health', {'status': 'ok'})[-1] == "status is 'ok', not healthy/degraded/unhealthy"
    assert checks.shape_problems('distributed_nodes', {'nodes': [{'id': 'a'}], 'total': 1}) == [
        'a node record lacks address, status']
    assert checks.shape_problems('version', []) == ['answer is list, not a JSON object']


def test_api_route_404_fails_its_family() -> None:
    obs = healthy()
    obs['api']['routes']['tags'] = {'status': 404, 'error': 'GET /api/tags answered 404 Not Found'}
    r = by_name(checks.eval_api(obs, checks.DEFAULT_SETTINGS))
    assert r['api/models']['status'] == 'fail'
    assert '404' in r['api/models']['message']
    assert r['api/health']['status'] == 'pass'
    assert r['api/cors']['status'] == 'pass'


def test_api_generate_and_cors() -> None:
    obs = healthy()
    obs['api']['generate'] = {'model': 'tiny', 'status': 200, 'latency_ms': 12.0,
                              'data': {'response': 'hello', 'done': True}}
    obs['http']['cors'] = {'origin': 'http://x', 'status': 204, 'allow_origin': None}
    r = by_name(checks.eval_api(obs, checks.DEFAULT_SETTINGS))
    assert r['api/generate']['status'] == 'pass'
    assert r['api/cors']['status'] == 'fail'


def test_api_of_stopped_node_is_skipped() -> None:
    obs = healthy()
    obs['service']['active'] = False
    assert set(r['status'] for r in checks.eval_api(obs, checks.DEFAULT_SETTINGS)) == {'skip'}
    assert set(r['status'] for r in checks.eval_performance(obs, checks.DEFAULT_SETTINGS)) == {'skip'}


@pytest.mark.parametrize('p95,status', [(3.0, 'pass'), (250.0, 'warn'), (1500.0, 'fail')])
def test_latency_thresholds(p95, status) -> None:
    obs = healthy()
    obs['performance']['health']['p95_ms'] = p95
    r = by_name(checks.eval_performance(obs, checks.DEFAULT_SETTINGS))['performance/health_latency']
    assert r['status'] == status
    assert 'p95 %.1f ms' % p95 in r['message']


def test_burst_and_memory() -> None:
    obs = healthy()
    obs['performance']['burst'].update(ok=15, error='HTTP 429')
    obs['process']['rss_mb'] = 600
    r = by_name(checks.eval_performance(obs, checks.DEFAULT_SETTINGS))
    assert r['performance/concurrent_burst']['status'] == 'fail'
    assert '5 failed (HTTP 429)' in r['performance/concurrent_burst']['message']
    assert r['performance/resident_memory']['status'] == 'warn'
    assert r['performance/generate_latency']['status'] == 'skip'


# -- cluster --------------------------------------------------------------------

def test_cluster_disagreement_on_leader_fails() -> None:
    nodes = cluster3()
    nodes['node2']['api']['routes']['distributed_status']['data']['leader'] = 'node2'
    r = [x for x in checks.evaluate_cluster(nodes, SETTINGS) if x['name'] == 'agreement'][0]
    assert r['status'] == 'fail'
    assert 'node2: size 3 leader node2' in r['message']


def test_cluster_size_comes_from_the_cluster_answer() -> None:
    nodes = cluster3()
    for n in nodes.values():
        n['api']['routes']['distributed_status']['data']['cluster_size'] = 2
    r = [x for x in checks.evaluate_cluster(nodes, SETTINGS) if x['name'] == 'members_online'][0]
    assert r['status'] == 'fail' and 'found cluster_size 2' in r['message']


def test_unreachable_peer_fails_reachability_of_that_node() -> None:
    nodes = cluster3()
    nodes['node1']['peers'].append({'id': 'node3', 'host': 'node3', 'kind': 'api', 'target': '10.0.0.3:8084',
                                    'ok': False, 'error': 'timed out'})
    recs = checks.evaluate_cluster(nodes, SETTINGS)
    assert red(recs) == ['node1/cluster/peers_reachable']
    assert 'node3 api 10.0.0.3:8084: timed out' in [r for r in recs if r['status'] == 'fail'][0]['message']


def test_unreachable_host_is_one_failure() -> None:
    recs = checks.evaluate_node({'unreachable': 'ssh: connection timed out'}, SETTINGS)
    assert [(r['name'], r['status']) for r in recs] == [('host_reachable', 'fail')]


def test_inputs_are_not_modified() -> None:
    nodes = cluster3()
    before = copy.deepcopy(nodes)
    checks.evaluate(nodes, SETTINGS)
    assert nodes == before


# -- monitoring ---------------------------------------------------------------------

def _monitor_obs(name: str = 'node1') -> dict:
    obs = healthy(name)
    obs['system'].update(mem_total_mb=8000, mem_available_mb=6000, load=[0.5, 0.4, 0.3])
    obs['api']['routes']['distributed_metrics']['data'] = {
        'integration': {'total_requests': 200, 'failed_requests': 2, 'average_latency_ms': 12.5}, 'inference': {}}
    return obs


def test_monitor_row_reads_the_dashboard_figures() -> None:
    row = checks.monitor_row('node1', _monitor_obs(), 3)
    assert row['state'] == 'healthy' and row['cluster_size'] == 3 and row['expected_size'] == 3
    assert row['leader'] == 'node1' and row['connected_peers'] == 2 and row['models'] == 0
    assert row['disk_used_pct'] == 50.0 and row['memory_used_pct'] == 25.0 and row['load1'] == 0.5
    assert row['failed_pct'] == 1.0 and row['average_latency_ms'] == 12.5 and row['rss_mb'] == 30
    assert row['prometheus_up'] == 1.0 and row['peers_unreachable'] == []


def test_monitor_healthy_cluster_raises_no_alert() -> None:
    rows = [checks.monitor_row(n, _monitor_obs(n), 3) for n in ('node1', 'node2', 'node3')]
    assert checks.monitor_alerts(rows) == []
    table = checks.monitor_table(rows)
    assert table[0].startswith('node ') and len(table) == 4 and table[1].startswith('node1        healthy   3/3')


def test_monitor_thresholds_and_faults_raise_the_right_alerts() -> None:
    obs1, obs2, obs3 = _monitor_obs('node1'), _monitor_obs('node2'), _monitor_obs('node3')
    obs1['system']['disk'].update(free_mb=8000, total_mb=100000)        # 92% used: critical
    obs1['system']['load'] = [7.0, 1, 1]                                  # 1.75 per CPU on 4 CPUs: warning
    obs2['logs'].update(count=3, samples=['level=error x'])               # warning
    obs2['peers'] = [{'id': 'node3', 'host': 'node3', 'target': '127.0.0.1:4003', 'ok': False, 'error': 'refused'},
                     {'id': 'node1', 'host': 'node1', 'target': '127.0.0.1:4001', 'ok': False, 'error': 'timeout'}]
    obs3['service'].update(active=False, state='STOPPED')
    rows = [checks.monitor_row(n, o, 3) for n, o in (('node1', obs1), ('node2', obs2), ('node3', obs3))]
    alerts = checks.monitor_alerts(rows)
    got = [(a['level'], a['node'], a['metric']) for a in alerts]
    assert got == [('critical', 'node1', 'disk_used_pct'), ('critical', 'node2', 'reachability'),
                   ('critical', 'node3', 'health'), ('warning', 'node1', 'load1'), ('warning', 'node2', 'log_errors')]
    # node3 is down: alerted once as its health, not again as unreachable from node2
    assert alerts[1]['message'] == 'cannot reach node1 (127.0.0.1:4001)'
    disk = alerts[0]
    assert disk['value'] == 92.0 and disk['threshold'] == 90.0 and 'critical threshold 90.0' in disk['message']
    # thresholds are variables
    assert checks.monitor_alerts(rows[:1], dict(disk_critical_pct=95.0, load_warning_per_cpu=2.0)) == [
        dict(node='node1', metric='disk_used_pct', level='warning', value=92.0, threshold=80.0,
             message='disk_used_pct is 92.0, warning threshold 80.0')]


def test_monitor_leader_disagreement_and_small_cluster() -> None:
    obs1, obs2 = _monitor_obs('node1'), _monitor_obs('node2')
    obs2['api']['routes']['distributed_status']['data'] = dict(obs2['api']['routes']['distributed_status']['data'],
                                                               leader='node2', cluster_size=2)
    rows = [checks.monitor_row('node1', obs1, 3), checks.monitor_row('node2', obs2, 3)]
    got = [(a['node'], a['metric']) for a in checks.monitor_alerts(rows)]
    assert got == [('cluster', 'leader'), ('node2', 'cluster_size')]


def test_monitor_names_the_offline_members_and_a_cut_off_node() -> None:
    """A node cut off the network: the others name it offline, it says it sees itself alone and reaches no peer."""
    obs = {n: _monitor_obs(n) for n in ('node1', 'node2', 'node3')}
    status = {n: obs[n]['api']['routes']['distributed_status'] for n in obs}
    for n in ('node1', 'node2'):
        status[n]['data'] = dict(status[n]['data'], cluster_size=2,
                                 nodes=[{'id': 'node1', 'status': 'online'}, {'id': 'node2', 'status': 'online'},
                                        {'id': 'node3', 'status': 'offline'}])
    status['node3']['data'] = dict(status['node3']['data'], cluster_size=1, leader='node3',
                                   nodes=[{'id': 'node1', 'status': 'offline'}, {'id': 'node2', 'status': 'offline'},
                                          {'id': 'node3', 'status': 'online'}])
    obs['node3']['api']['routes']['health'] = dict(status=503, data={'status': 'unhealthy'})
    obs['node3']['peers'] = [{'id': p, 'host': p, 'target': '%s:4001' % p, 'ok': False, 'error': 'no route'}
                             for p in ('node1', 'node2')]
    rows = [checks.monitor_row(n, obs[n], 3) for n in obs]
    assert rows[0]['members_offline'] == ['node3'] and rows[2]['members_offline'] == ['node1', 'node2']
    messages = dict(((a['node'], a['metric']), a['message']) for a in checks.monitor_alerts(rows))
    assert messages[('node1', 'cluster_size')] == 'sees 2 of 3 members (offline: node3)'
    assert messages[('node3', 'health')] == (
        'node is unhealthy (service RUNNING): sees 1 of 3 members (offline: node1, node2); '
        'cannot reach node1 (node1:4001), node2 (node2:4001)')


# -- filters of the roles ---------------------------------------------------------------

def test_categories_from_variable_and_tags() -> None:
    from ansible_collections.ollama_lab.distributed.plugins.filter import validation

    every = list(checks.CATEGORIES)
    assert validation.validation_categories(every, ['all'], []) == every
    assert validation.validation_categories(every, ['security', 'api'], []) == ['api', 'security']
    assert validation.validation_categories(['startup', 'api'], ['all'], ['api']) == ['startup']
    assert validation.validation_categories(['startup'], ['security'], []) == []
    with pytest.raises(Exception, match='validate_categories: unknown speed'):
        validation.validation_categories(['speed'], ['all'], [])
    sections = validation.validation_sections(['security'])
    assert sections['api'] == ['security'] and 'config' in sections['host'] and sections['http'] == ['headers']


def test_config_doc_keeps_no_secret() -> None:
    import base64

    from ansible_collections.ollama_lab.distributed.plugins.filter import validation

    text = ('environment: production\nsecurity:\n  enable_auth: true\n  api_keys: [s3cr3t-key-0123456789abcdef0123456789]\n'
            '  jwt: {secret: jwt-s3cr3t-0123456789abcdef0123456789}\nweb: {listen: "127.0.0.1:8081"}\n')
    doc = validation.validation_config_doc(base64.b64encode(text.encode()).decode())
    assert doc['parsed'] and doc['environment'] == 'production' and doc['auth_enabled'] is True
    assert doc['web_listen'] == '127.0.0.1:8081' and doc['keys'] == ['environment', 'security', 'web']
    assert 's3cr3t' not in repr(doc)
    bad = validation.validation_config_doc('a: [1\n', encoded=False)
    assert bad['parsed'] is False and 'not valid YAML' in bad['error']
    as_string = validation.validation_config_doc('environment: testing\n', encoded='false')
    assert as_string['parsed'] and as_string['environment'] == 'testing'
    from ansible.errors import AnsibleFilterError

    with pytest.raises(AnsibleFilterError, match='encoded: found "maybe", need true or false'):
        validation.validation_config_doc('a: 1\n', encoded='maybe')


def test_monitor_dashboard_filter_validates_thresholds() -> None:
    from ansible_collections.ollama_lab.distributed.plugins.filter import validation_monitor as vm

    board = vm.monitor_dashboard({'node1': _monitor_obs('node1'), 'node2': {'unreachable': 'gone'}}, {}, 2)
    assert board['status'] == 'critical' and board['rows'][1]['state'] == 'down'
    assert [a['node'] for a in board['alerts']] == ['node2']
    with pytest.raises(Exception, match='unknown thresholds speed'):
        vm.monitor_dashboard({}, {'speed': 1})
    problems = vm.monitor_threshold_problems({'monitor_disk_warning_pct': 95, 'monitor_disk_critical_pct': 90,
                                              'monitor_rss_warning_mb': 'lots'})
    assert problems == ["monitor_rss_warning_mb: found 'lots', need a number",
                        'monitor_disk_warning_pct: found 95, above monitor_disk_critical_pct (90); the warning '
                        'level must not exceed the critical one']
