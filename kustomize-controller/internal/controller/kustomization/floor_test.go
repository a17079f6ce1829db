package kustomization

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
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
	var total float64
	for _, v := range apiRequestsBy(b) {
		total += v
	}
	return total
}

// apiRequestsBy returns the API server's count of the requests it has served by verb,
// resource, subresource and dry run (a "verb resource/subresource dry-run" key).
func apiRequestsBy(b *testing.B) map[string]float64 {
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
	return countersBy(string(text), "apiserver_request_total", "verb", "resource", "subresource", "dry_run")
}

// requestsDiff formats the counts of after that grew since before, largest first, each per
// object of n.
func requestsDiff(before, after map[string]float64, n int) string {
	type row struct {
		key string
		d   float64
	}
	var rows []row
	for k, v := range after {
		if d := v - before[k]; d > 0 {
			rows = append(rows, row{k, d})
		}
	}
	slices.SortFunc(rows, func(a, b row) int { return cmp.Compare(b.d, a.d) })
	var sb strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&sb, "%8.0f %6.2f/object  %s\n", r.d, r.d/float64(n), r.key)
	}
	return sb.String()
}

// countersBy sums the samples of counter name in a Prometheus text exposition by the values
// of labels, joined by spaces.
func countersBy(text, name string, labels ...string) map[string]float64 {
	totals := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		fields := strings.Fields(line)
		v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		if err != nil {
			continue
		}
		var key []string
		for _, l := range labels {
			key = append(key, labelValue(line, l))
		}
		totals[strings.Join(key, " ")] += v
	}
	return totals
}

// labelValue returns the value of label in one sample line of a Prometheus text exposition,
// or "" when the line has none.
func labelValue(line, label string) string {
	_, rest, ok := strings.Cut(line, `,`+label+`="`)
	if !ok {
		_, rest, ok = strings.Cut(line, `{`+label+`="`)
	}
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, `"`)
	return v
}
