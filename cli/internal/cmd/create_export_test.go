package cmd_test

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// exportCases are flux's documented examples of `flux create … --export`; each golden file
// under testdata/export holds the YAML the flux CLI writes for the same flags, except
// image-automation-alias.yaml, Ferry's own alias (seed 001's command).
var exportCases = []struct {
	golden string
	args   []string
}{
	{"source-git", []string{"create", "source", "git", "podinfo", "--url=https://github.com/stefanprodan/podinfo", "--branch=master"}},
	{"source-git-semver", []string{"create", "source", "git", "podinfo", "--url=https://github.com/stefanprodan/podinfo", "--tag-semver=>=3.2.0 <3.3.0"}},
	{"source-helm", []string{"create", "source", "helm", "podinfo", "--url=https://stefanprodan.github.io/podinfo", "--interval=10m"}},
	{"source-helm-oci", []string{"create", "source", "helm", "podinfo", "--url=oci://ghcr.io/stefanprodan/charts/podinfo"}},
	{"source-oci", []string{"create", "source", "oci", "podinfo", "--url=oci://ghcr.io/stefanprodan/manifests/podinfo", "--tag=6.6.2", "--interval=10m"}},
	{"source-bucket", []string{"create", "source", "bucket", "podinfo", "--bucket-name=podinfo", "--endpoint=s3.amazonaws.com",
		"--region=us-east-1", "--provider=aws", "--interval=10m"}},
	{"source-chart", []string{"create", "source", "chart", "podinfo", "--source=HelmRepository/podinfo", "--chart=podinfo", "--chart-version=6.x"}},
	{"kustomization", []string{"create", "kustomization", "kyverno", "--source=GitRepository/kyverno", "--path=./config/release",
		"--prune=true", "--interval=60m", "--wait=true", "--health-check-timeout=3m"}},
	{"kustomization-depends-on", []string{"create", "kustomization", "kyverno-policies", "--depends-on=kyverno",
		"--source=GitRepository/kyverno-policies", "--path=./policies/flux", "--prune=true", "--interval=5m"}},
	{"kustomization-cross-namespace", []string{"create", "kustomization", "podinfo", "--namespace=default",
		"--source=GitRepository/podinfo.flux-system", "--path=./kustomize", "--prune=true", "--interval=5m"}},
	{"helmrelease", []string{"create", "hr", "podinfo", "--interval=10m", "--source=HelmRepository/podinfo", "--chart=podinfo", "--chart-version=>4.0.0"}},
	{"helmrelease-values-from", []string{"-n", "app", "create", "hr", "podinfo", "--source=HelmRepository/podinfo", "--chart=podinfo",
		"--values-from=Secret/my-secret-values"}},
	{"helmrelease-chart-ref", []string{"create", "hr", "podinfo", "--chart-ref=OCIRepository/podinfo.flux-system", "--interval=10m"}},
	{"image-repository", []string{"create", "image", "repository", "podinfo", "--image=ghcr.io/stefanprodan/podinfo", "--interval=1m"}},
	{"image-policy", []string{"create", "image", "policy", "podinfo", "--image-ref=podinfo", "--select-semver=>=1.0.0"}},
	{"image-update", []string{"create", "image", "update", "latest-images", "--git-repo-ref=flux-system",
		"--git-repo-path=./clusters/my-cluster", "--checkout-branch=main", "--push-branch=image-updates",
		"--author-name=flux", "--author-email=flux@example.com"}},
	{"image-automation-alias", []string{"create", "image", "automation", "my-app", "--image-ref=ImageRepository/my-app",
		"--update-path=./deploy", "--interval=5m"}},
	{"alert", []string{"create", "alert", "--event-severity", "info", "--event-source", "Kustomization/flux-system", "--provider-ref", "slack", "flux-system"}},
	{"alert-provider", []string{"create", "alert-provider", "slack", "--type", "slack", "--channel", "general",
		"--address", "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX", "--secret-ref", "webhook-url"}},
	{"receiver", []string{"create", "receiver", "github-receiver", "--type", "github", "--event", "ping", "--event", "push",
		"--secret-ref", "webhook-token", "--resource", "GitRepository/webapp", "--resource", "HelmRepository/webapp"}},
	{"secret-git", []string{"create", "secret", "git", "podinfo-auth", "--url=https://github.com/stefanprodan/podinfo",
		"--username=username", "--password=password"}},
	{"secret-helm", []string{"create", "secret", "helm", "repo-auth", "--username=username", "--password=password"}},
	{"secret-oci", []string{"create", "secret", "oci", "ghcr-auth", "--url=ghcr.io", "--username=username", "--password=password"}},
	{"secret-githubapp", []string{"create", "secret", "githubapp", "my-app", "--app-id=1", "--app-installation-id=2",
		"--app-private-key=testdata/export/private-key-file.pem"}},
	{"tenant", []string{"create", "tenant", "dev-team", "--with-namespace=frontend"}},
}

// TestCreateExportMatchesFlux compares, field by field, what `ferry create … --export`
// prints with what the flux CLI prints for the same flags.
func TestCreateExportMatchesFlux(t *testing.T) {
	for _, tc := range exportCases {
		t.Run(tc.golden, func(t *testing.T) {
			res := ferry(t, append(tc.args, "--export")...)
			if res.runErr != nil {
				t.Fatal(res.runErr)
			}
			if !strings.HasPrefix(res.out, "---\n") {
				t.Errorf("the export does not open with ---")
			}
			want, err := os.ReadFile(filepath.Join("testdata", "export", tc.golden+".yaml"))
			if err != nil {
				t.Fatal(err)
			}
			got, exp := documents(t, res.out), documents(t, string(want))
			if len(got) != len(exp) {
				t.Fatalf("%d documents, want %d", len(got), len(exp))
			}
			for i := range exp {
				for _, d := range diff("", got[i], exp[i]) {
					t.Errorf("document %d: %s", i, d)
				}
			}
		})
	}
}

// documents decodes a YAML stream into one map per document.
func documents(t *testing.T, stream string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, doc := range strings.Split(stream, "\n---\n") {
		doc = strings.TrimPrefix(doc, "---\n")
		if strings.TrimSpace(doc) == "" {
			continue
		}
		var m map[string]any
		if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
			t.Fatalf("invalid YAML: %v\n%s", err, doc)
		}
		out = append(out, m)
	}
	return out
}

// diff lists the fields where got and want differ, by path.
func diff(path string, got, want any) []string {
	gm, gok := got.(map[string]any)
	wm, wok := want.(map[string]any)
	if !gok || !wok {
		if !reflect.DeepEqual(got, want) {
			return []string{fmt.Sprintf("%s = %v, flux writes %v", path, got, want)}
		}
		return nil
	}
	keys := map[string]bool{}
	for k := range gm {
		keys[k] = true
	}
	for k := range wm {
		keys[k] = true
	}
	var sorted []string
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	var out []string
	for _, k := range sorted {
		out = append(out, diff(path+"."+k, gm[k], wm[k])...)
	}
	return out
}

// TestCreateSecretFiles checks the secrets made from files, which flux's documentation shows
// without their output: the keys Flux's controllers read, and the TLS type with a key pair.
func TestCreateSecretFiles(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{"client.crt": "CERT\n", "client.key": "KEY\n", "ca.crt": "CA\n", "trust-policy.json": `{"version":"1.0"}`}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	res := ferry(t, "create", "secret", "tls", "certs", "--tls-crt-file", filepath.Join(dir, "client.crt"),
		"--tls-key-file", filepath.Join(dir, "client.key"), "--ca-crt-file", filepath.Join(dir, "ca.crt"), "--export")
	docs := documents(t, res.out)
	if res.runErr != nil || len(docs) != 1 || docs[0]["type"] != "kubernetes.io/tls" {
		t.Fatalf("secret tls: %v\n%s", res.runErr, res.out)
	}
	want := map[string]any{"tls.crt": "CERT\n", "tls.key": "KEY\n", "ca.crt": "CA\n"}
	for _, d := range diff("stringData", docs[0]["stringData"], want) {
		t.Error(d)
	}
	res = ferry(t, "create", "secret", "notation", "my-notation-cert", "--ca-cert-file", filepath.Join(dir, "ca.crt"),
		"--trust-policy-file", filepath.Join(dir, "trust-policy.json"), "--export")
	docs = documents(t, res.out)
	want = map[string]any{"ca.crt": "CA\n", "trustpolicy.json": `{"version":"1.0"}`}
	if res.runErr != nil || len(docs) != 1 {
		t.Fatalf("secret notation: %v\n%s", res.runErr, res.out)
	}
	for _, d := range diff("stringData", docs[0]["stringData"], want) {
		t.Error(d)
	}
	if err := os.WriteFile(filepath.Join(dir, "trust-policy.json"), []byte("not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	res = ferry(t, "create", "secret", "notation", "bad", "--ca-cert-file", filepath.Join(dir, "ca.crt"),
		"--trust-policy-file", filepath.Join(dir, "trust-policy.json"), "--export")
	if res.runErr == nil || !strings.Contains(res.runErr.Error(), "is not valid JSON") {
		t.Errorf("an invalid trust policy: %v", res.runErr)
	}
}
