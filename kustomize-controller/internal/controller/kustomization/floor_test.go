package kustomization

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/ferry-gitops/ferry/shared/testing/benchsize"
)

// floorParallelism is the floor's number of concurrent appliers: the controller's
// --concurrent default (main.go).
const floorParallelism = 10

// applyFloor server-side applies the objects of n applications (benchApp) into a new namespace
// with floorParallelism workers, as tightly as a client can: the API server's own cost of what
// the controller applies. It returns how long that took.
func applyFloor(b *testing.B, n int) time.Duration {
	ns := benchNamespace(b)
	return benchsize.Parallel(b, n, floorParallelism, func() (func(int) error, error) {
		return func(i int) error { return applyApp(ns, fmt.Sprintf("app-%d", i)) }, nil
	})
}

// applyApp server-side applies the five objects of application name into ns.
func applyApp(ns, name string) error {
	for _, doc := range benchApp(name) {
		o := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &o.Object); err != nil {
			return err
		}
		o.SetNamespace(ns)
		if err := env.Client.Patch(context.Background(), o, client.Apply, client.FieldOwner("floor"), client.ForceOwnership); err != nil {
			return err
		}
	}
	return nil
}

// apiRequests returns the API server's count of the requests it has served
// (apiserver_request_total, every verb and resource), read from its /metrics as an admin.
func apiRequests(b *testing.B) float64 {
	hc, err := rest.HTTPClientFor(env.Config)
	if err != nil {
		b.Fatal(err)
	}
	resp, err := hc.Get(strings.TrimSuffix(env.Config.Host, "/") + "/metrics")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	text, err := io.ReadAll(resp.Body)
	if err != nil {
		b.Fatal(err)
	}
	return sumCounter(string(text), "apiserver_request_total")
}

// sumCounter sums the samples of counter name in a Prometheus text exposition.
func sumCounter(text, name string) float64 {
	var total float64
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		fields := strings.Fields(line)
		if v, err := strconv.ParseFloat(fields[len(fields)-1], 64); err == nil {
			total += v
		}
	}
	return total
}
