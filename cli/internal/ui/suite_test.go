package ui_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/cli/internal/clitest"
	"github.com/ferry-gitops/ferry/cli/internal/ui"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// env is the API server the suite runs against, with deploy/crds installed.
var env *testenv.Env

func TestMain(m *testing.M) {
	os.Exit(testenv.Run(m, testenv.Options{
		CRDDirectoryPaths:     []string{"../../../deploy/crds"},
		ErrorIfCRDPathMissing: true,
		Scheme:                clitest.Scheme(),
		Setup:                 func(e *testenv.Env) error { env = e; return nil },
	}))
}

// page is a running ferry ui server under test.
type page struct {
	srv  *ui.Server
	http *httptest.Server
}

// serve starts a ui server with cfg's credentials (the administrator's when nil) and opts,
// waits until it has listed everything and serves it on 127.0.0.1 until the test ends.
func serve(t *testing.T, cfg *rest.Config, opts ui.Options) *page {
	t.Helper()
	if cfg == nil {
		cfg = env.Config
	}
	c, err := client.New(cfg, client.Options{Scheme: env.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	opts.Config, opts.Client = cfg, c
	srv, err := ui.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := srv.Start(ctx, testenv.Timeout); err != nil {
		cancel()
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { hs.Close(); cancel() })
	return &page{srv: srv, http: hs}
}

// request sends a request with the token header and returns the response.
func (p *page) request(t *testing.T, method, path, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, p.http.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Ferry-Token", p.srv.Token())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// getJSON reads path into v, failing the test unless the answer is 200.
func (p *page) getJSON(t *testing.T, path string, v any) {
	t.Helper()
	resp := p.request(t, http.MethodGet, path, "")
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %s: %s", path, resp.Status, data)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// graph returns the nodes of the graph by ID.
func (p *page) graph(t *testing.T) (map[string]*ui.Node, ui.Snapshot) {
	t.Helper()
	var snap ui.Snapshot
	p.getJSON(t, "/api/graph", &snap)
	nodes := map[string]*ui.Node{}
	for _, n := range snap.Nodes {
		nodes[n.ID] = n
	}
	return nodes, snap
}

// waitNode polls the graph until node id satisfies check, and returns it.
func (p *page) waitNode(t *testing.T, id string, check func(*ui.Node) bool) *ui.Node {
	t.Helper()
	deadline := time.Now().Add(testenv.Timeout)
	for {
		nodes, _ := p.graph(t)
		if n, ok := nodes[id]; ok && check(n) {
			return n
		}
		if time.Now().After(deadline) {
			t.Fatalf("node %s never reached the expected state: %+v", id, nodes[id])
		}
		time.Sleep(testenv.Interval)
	}
}

// stream is an open /api/stream.
type stream struct {
	resp *http.Response
	r    *bufio.Reader
}

// openStream opens the page's event stream.
func (p *page) openStream(t *testing.T) *stream {
	t.Helper()
	resp := p.request(t, http.MethodGet, "/api/stream", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/stream: %s", resp.Status)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return &stream{resp: resp, r: bufio.NewReader(resp.Body)}
}

// next returns the name and data of the next event (comments skipped).
func (s *stream) next(t *testing.T) (string, string) {
	t.Helper()
	var name, data string
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			t.Fatalf("the stream ended: %v", err)
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "" && name != "":
			return name, data
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data = strings.TrimPrefix(line, "data: ")
		}
	}
}

// seed002 returns the objects of seed 002 from the e2e module's seed objects.
func seed002(t *testing.T) []*unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile("../../../e2e/testdata/seed-objects.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var out []*unstructured.Unstructured
	for _, doc := range strings.Split(string(data), "\n---\n") {
		if !strings.Contains(doc, "# seed 002") {
			continue
		}
		o := &unstructured.Unstructured{}
		if err := utilyaml.Unmarshal([]byte(doc), &o.Object); err != nil {
			t.Fatal(err)
		}
		out = append(out, o)
	}
	return out
}

// apply creates or updates objs with server-side apply.
func apply(t *testing.T, objs ...*unstructured.Unstructured) {
	t.Helper()
	for _, o := range objs {
		if err := env.Client.Patch(context.Background(), o, client.Apply, client.FieldOwner("test"), client.ForceOwnership); err != nil {
			t.Fatalf("failed to apply %s %s: %v", o.GetKind(), o.GetName(), err)
		}
	}
}

// patchStatus merges status into the status of the object gvk ns/name.
func patchStatus(t *testing.T, gvk schema.GroupVersionKind, ns, name string, status map[string]any) {
	t.Helper()
	o := &unstructured.Unstructured{}
	o.SetGroupVersionKind(gvk)
	o.SetNamespace(ns)
	o.SetName(name)
	data, err := json.Marshal(map[string]any{"status": status})
	if err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Status().Patch(context.Background(), o, client.RawPatch(types.MergePatchType, data)); err != nil {
		t.Fatalf("failed to patch the status of %s %s/%s: %v", gvk.Kind, ns, name, err)
	}
}

// ready returns the conditions of a Ready object at generation 1.
func ready(message string) map[string]any {
	return map[string]any{"observedGeneration": 1, "conditions": []any{condition("Ready", "True", "Succeeded", message)}}
}

// condition returns a status condition.
func condition(typ, status, reason, message string) map[string]any {
	return map[string]any{"type": typ, "status": status, "reason": reason, "message": message,
		"lastTransitionTime": metav1.Now().UTC().Format(time.RFC3339)}
}
