package api

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// The types below mirror, field for field, the Go types of upstream's
// training API client (comprehensive-api-client.go, commit 381416809) and
// of its pkg/api types: what upstream's client decodes the node's answers
// into. A field of the wrong JSON type (a float where upstream has int64)
// makes its json.Unmarshal fail, as it did for every node record before.
type upNodeMetrics struct {
	CPUUsage    float64 `json:"cpu_usage"`
	MemoryUsage int64   `json:"memory_usage"`
	DiskUsage   int64   `json:"disk_usage"`
	NetworkRx   int64   `json:"network_rx"`
	NetworkTx   int64   `json:"network_tx"`
	// contract section 3 adds these two to upstream's set
	MemoryPercent float64 `json:"memory_percent"`
	DiskPercent   float64 `json:"disk_percent"`
}

type upNodeCapabilities struct {
	CPUCores        int      `json:"cpu_cores"`
	Memory          int64    `json:"memory"`
	Storage         int64    `json:"storage"`
	SupportedModels []string `json:"supported_models"`
	Available       bool     `json:"available"`
	LoadFactor      float64  `json:"load_factor"`
}

type upNode struct {
	ID           string                 `json:"id"`
	Address      string                 `json:"address"`
	Status       string                 `json:"status"`
	LastSeen     time.Time              `json:"last_seen"`
	Capabilities upNodeCapabilities     `json:"capabilities"`
	Metrics      upNodeMetrics          `json:"metrics"`
	Metadata     map[string]interface{} `json:"metadata,omitempty"`
}

type upNodesResponse struct {
	Nodes []upNode `json:"nodes"`
}

type upClusterStatus struct {
	NodeID         string    `json:"node_id"`
	ClusterSize    int       `json:"cluster_size"`
	ConnectedPeers int       `json:"connected_peers"`
	Leader         string    `json:"leader"`
	IsLeader       bool      `json:"is_leader"`
	Health         string    `json:"health"`
	LastUpdate     time.Time `json:"last_update"`
	Nodes          []upNode  `json:"nodes,omitempty"`
}

type upSystemMetrics struct {
	Timestamp       time.Time `json:"timestamp"`
	CPUUsage        float64   `json:"cpu_usage"`
	MemoryUsage     int64     `json:"memory_usage"`
	DiskUsage       int64     `json:"disk_usage"`
	NetworkRx       int64     `json:"network_rx"`
	NetworkTx       int64     `json:"network_tx"`
	ActiveModels    int       `json:"active_models"`
	RequestsPerSec  float64   `json:"requests_per_sec"`
	AvgResponseTime float64   `json:"avg_response_time"`
	ErrorRate       float64   `json:"error_rate"`
	Integration     struct {
		TotalRequests       int64   `json:"total_requests"`
		LocalRequests       int64   `json:"local_requests"`
		DistributedRequests int64   `json:"distributed_requests"`
		FailedRequests      int64   `json:"failed_requests"`
		AverageLatencyMs    float64 `json:"average_latency_ms"`
	} `json:"integration"`
	Inference struct {
		TotalInferences      int64 `json:"total_inferences"`
		FailedInferences     int64 `json:"failed_inferences"`
		TotalTokensProcessed int64 `json:"total_tokens_processed"`
	} `json:"inference"`
}

func decodeAs(t *testing.T, n *testNode, path string, v interface{}) {
	t.Helper()
	r := call(t, "GET", n.url(path), "")
	if r.code != 200 {
		t.Fatalf("GET %s: %d %s", path, r.code, r.body)
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("GET %s does not decode into upstream's type %T: %v\n%s", path, v, err, r.body)
	}
}

// checkMetrics asserts bytes where upstream expects bytes and percentages
// where it expects percentages (on Linux, where /proc is read).
func checkMetrics(t *testing.T, where string, m upNodeMetrics) {
	t.Helper()
	if m.MemoryUsage < 1<<20 || m.DiskUsage < 1<<20 {
		t.Errorf("%s: memory_usage %d / disk_usage %d are not byte counts", where, m.MemoryUsage, m.DiskUsage)
	}
	for name, p := range map[string]float64{"memory_percent": m.MemoryPercent, "disk_percent": m.DiskPercent, "cpu_usage": m.CPUUsage} {
		if p < 0 || p > 100 || (name != "cpu_usage" && p == 0) {
			t.Errorf("%s: %s %v is not a percentage", where, name, p)
		}
	}
	if m.NetworkRx < 0 || m.NetworkTx < 0 {
		t.Errorf("%s: negative network rate %+v", where, m)
	}
}

func TestNodeRecordsDecodeIntoUpstreamTypes(t *testing.T) {
	a := startNode(t, nodeSpec{id: "up-a"})
	b := startNode(t, nodeSpec{id: "up-b", bootstrap: []string{a.p2pAddr}})
	waitCluster(t, []*testNode{a, b}, 2, "healthy")
	for _, prefix := range []string{"/api/distributed", "/api/v1"} {
		statusPath := prefix + "/status"
		if prefix == "/api/v1" {
			statusPath = "/api/v1/cluster/status"
		}
		var st upClusterStatus
		decodeAs(t, b, statusPath, &st)
		if st.ClusterSize != 2 || len(st.Nodes) != 2 || st.LastUpdate.IsZero() {
			t.Errorf("%s: %+v", statusPath, st)
		}
		for _, nd := range st.Nodes { // the peer's record came over gossip
			checkMetrics(t, statusPath+" "+nd.ID, nd.Metrics)
		}
		var list upNodesResponse
		decodeAs(t, b, prefix+"/nodes", &list)
		if len(list.Nodes) != 2 {
			t.Errorf("%s/nodes: %+v", prefix, list)
		}
		var one upNode
		decodeAs(t, b, prefix+"/nodes/up-a", &one)
		if one.ID != "up-a" || one.Capabilities.Memory <= 0 || one.LastSeen.IsZero() {
			t.Errorf("%s/nodes/up-a: %+v", prefix, one)
		}
		checkMetrics(t, prefix+"/nodes/up-a", one.Metrics)
	}
}

func TestDistributedMetricsFilled(t *testing.T) {
	n := startNode(t, nodeSpec{id: "met"})
	n.seedModel("tinyllama", 1000)
	n.seedModel("phi", 1000)
	for i := 0; i < 4; i++ {
		r := call(t, "POST", n.url("/api/generate"), `{"model": "tinyllama", "prompt": "hi", "stream": false}`, "Content-Type", "application/json")
		if r.code != 200 {
			t.Fatalf("generate: %d %s", r.code, r.body)
		}
	}
	var m upSystemMetrics
	decodeAs(t, n, "/api/distributed/metrics", &m)
	checkMetrics(t, "metrics", upNodeMetrics{CPUUsage: m.CPUUsage, MemoryUsage: m.MemoryUsage, DiskUsage: m.DiskUsage,
		NetworkRx: m.NetworkRx, NetworkTx: m.NetworkTx, MemoryPercent: 1, DiskPercent: 1})
	if m.ActiveModels != 2 || m.RequestsPerSec <= 0 || m.Timestamp.IsZero() {
		t.Errorf("active_models %d (want 2), requests_per_sec %v, timestamp %v", m.ActiveModels, m.RequestsPerSec, m.Timestamp)
	}
	if m.Integration.TotalRequests != 4 || m.Integration.LocalRequests != 4 || m.Inference.TotalInferences != 4 ||
		m.Inference.TotalTokensProcessed == 0 || m.AvgResponseTime <= 0 {
		t.Errorf("counters: %+v", m)
	}
	raw := n.get("/api/distributed/metrics")
	for _, k := range []string{"memory_percent", "disk_percent"} {
		if p, ok := raw[k].(float64); !ok || p <= 0 || p > 100 {
			t.Errorf("%s: %v", k, raw[k])
		}
	}
	if !strings.Contains(string(call(t, "GET", n.url("/api/distributed/metrics"), "").body), `"memory_usage":`) {
		t.Error("no memory_usage")
	}
}

func TestRateMeter(t *testing.T) {
	var m rateMeter
	start := time.Unix(1000, 0)
	for i := 0; i < 120; i++ { // 120 requests over 2 minutes, one a second
		m.add(start.Add(time.Duration(i) * time.Second))
	}
	now := start.Add(119*time.Second + 500*time.Millisecond) // within the last request's second
	if got := m.perSecond(now, start); got != 1 {
		t.Errorf("steady 1/s: got %v", got)
	}
	if got := m.perSecond(now.Add(90*time.Second), start); got != 0 {
		t.Errorf("after a quiet minute: got %v", got)
	}
	var young rateMeter
	for i := 0; i < 10; i++ {
		young.add(start)
	}
	if got := young.perSecond(start.Add(2*time.Second), start); got != 5 {
		t.Errorf("10 requests in a 2 s old node: got %v", got)
	}
}
