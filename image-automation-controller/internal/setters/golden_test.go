package setters

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/golden")

// testPolicies are the ImagePolicies of namespace flux-system the golden files name.
var testPolicies = map[string]imagev1.ImageRef{
	"my-app":   {Name: "ghcr.io/myorg/my-app", Tag: "v1.2.4"},
	"podinfo":  {Name: "ghcr.io/stefanprodan/podinfo", Tag: "6.5.0", Digest: "sha256:" + strings.Repeat("2", 64)},
	"sidecar":  {Name: "ghcr.io/org/sidecar", Tag: "1.1"},
	"app":      {Name: "ghcr.io/org/app", Tag: "1.2.4"},
	"numeric":  {Name: "ghcr.io/org/n", Tag: "1.10"},
	"nodigest": {Name: "ghcr.io/org/nodigest", Tag: "2.0"},
}

// testResolve resolves markers as an automation of namespace flux-system whose selector
// leaves out the policy "unselected" and sees "notready" not Ready.
func testResolve(m Marker) (string, bool, error) {
	switch {
	case m.Namespace != "flux-system", m.Name == "unselected":
		return "", true, nil
	case m.Name == "notready":
		return "", false, errors.New("ImagePolicy 'flux-system/notready' is not Ready")
	}
	ref, ok := testPolicies[m.Name]
	if !ok {
		return "", false, fmt.Errorf("ImagePolicy 'flux-system/%s' does not exist", m.Name)
	}
	v, err := Value(ref, m.Field)
	return v, false, err
}

// TestGolden: each testdata/golden/<name>.yaml, with its markers applied, is byte for byte
// <name>.yaml.golden, and what was changed and skipped is <name>.yaml.report. Every line
// without a change is untouched, and applying the markers again changes nothing.
func TestGolden(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join("testdata", "golden", "*.yaml"))
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, in := range inputs {
		t.Run(filepath.Base(in), func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			out, changes, skips, err := ApplyFile(filepath.Base(in), data, testResolve)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, in+".golden", out)
			checkGolden(t, in+".report", []byte(report(changes, skips)))
			checkOnlyChangedLines(t, data, out, changes)
			again, more, _, err := ApplyFile(filepath.Base(in), out, testResolve)
			if err != nil || len(more) != 0 || !bytes.Equal(again, out) {
				t.Errorf("applying again changed %v (err %v)", more, err)
			}
			if len(changes) == 0 && &out[0] != &data[0] {
				t.Error("a file without changes must come back as the same bytes")
			}
		})
	}
}

// report lists changes and skips, one per line.
func report(changes []Change, skips []Skip) string {
	var b strings.Builder
	for _, c := range changes {
		fmt.Fprintf(&b, "changed %s:%d %s/%s %s/%s %s: %q -> %q\n", c.File, c.Line, c.Object.APIVersion, c.Object.Kind,
			c.Object.Namespace, c.Object.Name, c.Marker, c.OldValue, c.NewValue)
	}
	for _, s := range skips {
		fmt.Fprintf(&b, "skipped %s\n", s)
	}
	return b.String()
}

// checkGolden compares got with the file at path, or writes it with -update.
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// checkOnlyChangedLines: the files have the same lines, and only the lines of changes differ.
func checkOnlyChangedLines(t *testing.T, before, after []byte, changes []Change) {
	t.Helper()
	a, b := strings.Split(string(before), "\n"), strings.Split(string(after), "\n")
	if len(a) != len(b) {
		t.Fatalf("line count changed: %d -> %d", len(a), len(b))
	}
	changed := map[int]bool{}
	for _, c := range changes {
		changed[c.Line] = true
	}
	for i := range a {
		if a[i] != b[i] && !changed[i+1] {
			t.Errorf("line %d changed without a change: %q -> %q", i+1, a[i], b[i])
		}
	}
}
