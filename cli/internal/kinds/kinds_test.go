package kinds

import (
	"reflect"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	notificationv1beta3 "github.com/ferry-gitops/ferry/shared/api/notification/v1beta3"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
)

// kindNames returns the API kinds of ks.
func kindNames(ks []*Kind) []string {
	var out []string
	for _, k := range ks {
		out = append(out, k.Kind)
	}
	return out
}

func TestParse(t *testing.T) {
	allSources := []string{"GitRepository", "OCIRepository", "HelmRepository", "HelmChart", "Bucket"}
	allImages := []string{"ImageRepository", "ImagePolicy", "ImageUpdateAutomation"}
	tests := []struct {
		args    []string
		kinds   []string
		rest    []string
		wantErr string
	}{
		{args: []string{"sources", "git"}, kinds: []string{"GitRepository"}},
		{args: []string{"source", "git", "podinfo"}, kinds: []string{"GitRepository"}, rest: []string{"podinfo"}},
		{args: []string{"sources", "oci"}, kinds: []string{"OCIRepository"}},
		{args: []string{"source", "helm"}, kinds: []string{"HelmRepository"}},
		{args: []string{"source", "chart", "a", "b"}, kinds: []string{"HelmChart"}, rest: []string{"a", "b"}},
		{args: []string{"sources", "bucket"}, kinds: []string{"Bucket"}},
		{args: []string{"Sources", "GIT"}, kinds: []string{"GitRepository"}},
		{args: []string{"sources", "all"}, kinds: allSources},
		{args: []string{"kustomizations"}, kinds: []string{"Kustomization"}},
		{args: []string{"kustomization", "apps"}, kinds: []string{"Kustomization"}, rest: []string{"apps"}},
		{args: []string{"ks"}, kinds: []string{"Kustomization"}},
		{args: []string{"helmreleases"}, kinds: []string{"HelmRelease"}},
		{args: []string{"helmrelease"}, kinds: []string{"HelmRelease"}},
		{args: []string{"hr", "podinfo"}, kinds: []string{"HelmRelease"}, rest: []string{"podinfo"}},
		{args: []string{"images", "repository"}, kinds: []string{"ImageRepository"}},
		{args: []string{"image", "policy"}, kinds: []string{"ImagePolicy"}},
		{args: []string{"image", "update"}, kinds: []string{"ImageUpdateAutomation"}},
		{args: []string{"images", "all"}, kinds: allImages},
		{args: []string{"alerts"}, kinds: []string{"Alert"}},
		{args: []string{"alert"}, kinds: []string{"Alert"}},
		{args: []string{"alert-providers"}, kinds: []string{"Provider"}},
		{args: []string{"alert-provider", "slack"}, kinds: []string{"Provider"}, rest: []string{"slack"}},
		{args: []string{"receivers"}, kinds: []string{"Receiver"}},
		{args: []string{"receiver"}, kinds: []string{"Receiver"}},
		{args: []string{"all"}, kinds: kindNames(table)},
		{args: nil, wantErr: "a kind is required"},
		{args: []string{"gitrepos"}, wantErr: `unknown kind "gitrepos"`},
		{args: []string{"git"}, wantErr: `unknown kind "git"`},
		{args: []string{"sources"}, wantErr: "a kind of sources is required, one of: git, oci, helm, chart, bucket, all"},
		{args: []string{"sources", "ks"}, wantErr: `unknown kind of sources "ks"`},
		{args: []string{"images", "git"}, wantErr: `unknown kind of images "git"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, "_"), func(t *testing.T) {
			ks, rest, err := Parse(tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse(%q) error = %v, want one containing %q", tt.args, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.args, err)
			}
			if got := kindNames(ks); !reflect.DeepEqual(got, tt.kinds) {
				t.Errorf("Parse(%q) kinds = %v, want %v", tt.args, got, tt.kinds)
			}
			if len(rest) != 0 || len(tt.rest) != 0 {
				if !reflect.DeepEqual(rest, tt.rest) {
					t.Errorf("Parse(%q) rest = %q, want %q", tt.args, rest, tt.rest)
				}
			}
		})
	}
}

func TestParseOne(t *testing.T) {
	tests := []struct {
		args    []string
		kind    string
		wantErr string
	}{
		{args: []string{"source", "git", "x"}, kind: "GitRepository"},
		{args: []string{"ks", "x"}, kind: "Kustomization"},
		{args: []string{"all"}, wantErr: `a single kind is required, not "all"`},
		{args: []string{"sources", "all", "x"}, wantErr: `a single kind is required, not "sources all"`},
		{args: []string{"nope"}, wantErr: "unknown kind"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, "_"), func(t *testing.T) {
			k, _, err := ParseOne(tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseOne(%q) error = %v, want one containing %q", tt.args, err, tt.wantErr)
				}
				return
			}
			if err != nil || k.Kind != tt.kind {
				t.Fatalf("ParseOne(%q) = %v, %v; want %s", tt.args, k, err, tt.kind)
			}
		})
	}
}

// TestTableIsConsistent checks what every entry of the table must hold: words unique in
// their scope, constructors of the registered type, and a status exactly where the API
// has one.
func TestTableIsConsistent(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, g := range groups {
		for _, w := range append([]string{g.Name}, g.Aliases...) {
			seen["/"+w] = g.Name
		}
	}
	static := map[string]bool{"Alert": true, "Provider": true}
	for _, k := range table {
		t.Run(k.Kind, func(t *testing.T) {
			scope := ""
			if k.Group != nil {
				scope = k.Group.Name
			}
			for _, w := range k.Words() {
				if other, dup := seen[scope+"/"+w]; dup {
					t.Errorf("word %q of %s already names %s", w, k.Kind, other)
				}
				seen[scope+"/"+w] = k.Kind
			}
			gvks, _, err := scheme.ObjectKinds(k.New())
			if err != nil || len(gvks) != 1 || gvks[0] != k.GroupVersionKind() {
				t.Errorf("New() is registered as %v (%v), want %v", gvks, err, k.GroupVersionKind())
			}
			lgvks, _, err := scheme.ObjectKinds(k.NewList())
			if err != nil || len(lgvks) != 1 || lgvks[0].Kind != k.Kind+"List" {
				t.Errorf("NewList() is registered as %v (%v), want %sList", lgvks, err, k.Kind)
			}
			if k.HasStatus() == static[k.Kind] {
				t.Errorf("HasStatus() = %v, want %v", k.HasStatus(), !static[k.Kind])
			}
			if got, ok := ByKind(k.Kind); !ok || got != k {
				t.Errorf("ByKind(%q) = %v, %v", k.Kind, got, ok)
			}
			if h, r := k.Headers(), k.Row(k.New()); len(h) != len(r) {
				t.Errorf("Headers() has %d cells, Row() %d", len(h), len(r))
			}
		})
	}
}

// mustKind returns the kind named kind, or fails the test.
func mustKind(t *testing.T, kind string) *Kind {
	t.Helper()
	k, ok := ByKind(kind)
	if !ok {
		t.Fatalf("no kind %s", kind)
	}
	return k
}

func TestRow(t *testing.T) {
	ready := metav1.Condition{Type: fluxmeta.ReadyCondition, Status: metav1.ConditionTrue, Message: "stored artifact"}
	failed := metav1.Condition{Type: fluxmeta.ReadyCondition, Status: metav1.ConditionFalse, Message: "clone failed"}
	scan := metav1.NewTime(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))

	git := &sourcev1.GitRepository{ObjectMeta: metav1.ObjectMeta{Name: "podinfo"}}
	git.Status.Artifact = &fluxmeta.Artifact{Revision: "main@sha1:abc"}
	git.Status.Conditions = []metav1.Condition{ready}

	ks := &kustomizev1.Kustomization{ObjectMeta: metav1.ObjectMeta{Name: "apps"}}
	ks.Spec.Suspend = true
	ks.Status.LastAppliedRevision = "v1@sha1:def"
	ks.Status.Conditions = []metav1.Condition{failed}

	hr := &helmv2.HelmRelease{ObjectMeta: metav1.ObjectMeta{Name: "redis"}}
	hr.Status.History = helmv2.Snapshots{{Version: 1, ChartVersion: "1.0.0"}, {Version: 2, ChartVersion: "1.1.0"}}
	hrAttempted := &helmv2.HelmRelease{ObjectMeta: metav1.ObjectMeta{Name: "nginx"}}
	hrAttempted.Status.LastAttemptedRevision = "2.0.0"

	repo := &imagev1.ImageRepository{ObjectMeta: metav1.ObjectMeta{Name: "app"}}
	repo.Status.LastScanResult = &imagev1.ScanResult{ScanTime: scan}
	pol := &imagev1.ImagePolicy{ObjectMeta: metav1.ObjectMeta{Name: "app"}}
	pol.Status.LatestRef = &imagev1.ImageRef{Name: "ghcr.io/org/app", Tag: "1.2.3"}
	upd := &imagev1.ImageUpdateAutomation{ObjectMeta: metav1.ObjectMeta{Name: "flux"}}
	upd.Status.LastAutomationRunTime = &scan

	alert := &notificationv1beta3.Alert{ObjectMeta: metav1.ObjectMeta{Name: "slack"}}

	tests := []struct {
		name    string
		kind    string
		obj     Object
		headers []string
		row     []string
	}{
		{"git", "GitRepository", git,
			[]string{"NAME", "REVISION", "SUSPENDED", "READY", "MESSAGE"},
			[]string{"podinfo", "main@sha1:abc", "False", "True", "stored artifact"}},
		{"git without status", "GitRepository", &sourcev1.GitRepository{ObjectMeta: metav1.ObjectMeta{Name: "new"}},
			[]string{"NAME", "REVISION", "SUSPENDED", "READY", "MESSAGE"},
			[]string{"new", "", "False", "False", "waiting to be reconciled"}},
		{"kustomization", "Kustomization", ks,
			[]string{"NAME", "REVISION", "SUSPENDED", "READY", "MESSAGE"},
			[]string{"apps", "v1@sha1:def", "True", "False", "clone failed"}},
		{"helmrelease history", "HelmRelease", hr,
			[]string{"NAME", "REVISION", "SUSPENDED", "READY", "MESSAGE"},
			[]string{"redis", "1.1.0", "False", "False", "waiting to be reconciled"}},
		{"helmrelease attempted", "HelmRelease", hrAttempted,
			[]string{"NAME", "REVISION", "SUSPENDED", "READY", "MESSAGE"},
			[]string{"nginx", "2.0.0", "False", "False", "waiting to be reconciled"}},
		{"image repository", "ImageRepository", repo,
			[]string{"NAME", "LAST SCAN", "SUSPENDED", "READY", "MESSAGE"},
			[]string{"app", "2026-03-01T12:00:00Z", "False", "False", "waiting to be reconciled"}},
		{"image policy", "ImagePolicy", pol,
			[]string{"NAME", "IMAGE", "TAG", "READY", "MESSAGE"},
			[]string{"app", "ghcr.io/org/app", "1.2.3", "False", "waiting to be reconciled"}},
		{"image update", "ImageUpdateAutomation", upd,
			[]string{"NAME", "LAST RUN", "SUSPENDED", "READY", "MESSAGE"},
			[]string{"flux", "2026-03-01T12:00:00Z", "False", "False", "waiting to be reconciled"}},
		{"alert", "Alert", alert,
			[]string{"NAME", "SUSPENDED", "READY", "MESSAGE"},
			[]string{"slack", "False", "True", "Alert is Ready"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := mustKind(t, tt.kind)
			if got := k.Headers(); !reflect.DeepEqual(got, tt.headers) {
				t.Errorf("Headers() = %q, want %q", got, tt.headers)
			}
			if got := k.Row(tt.obj); !reflect.DeepEqual(got, tt.row) {
				t.Errorf("Row() = %q, want %q", got, tt.row)
			}
		})
	}
}

func TestSource(t *testing.T) {
	ks := &kustomizev1.Kustomization{ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "web"}}
	ks.Spec.SourceRef = kustomizev1.CrossNamespaceSourceReference{Kind: "GitRepository", Name: "repo"}
	ksOther := ks.DeepCopy()
	ksOther.Spec.SourceRef.Namespace = "flux-system"

	hrRef := &helmv2.HelmRelease{ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "web"}}
	hrRef.Spec.ChartRef = &helmv2.CrossNamespaceSourceReference{Kind: "OCIRepository", Name: "chart"}
	hrTpl := &helmv2.HelmRelease{ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "web"}}
	hrTpl.Spec.Chart = &helmv2.HelmChartTemplate{Spec: helmv2.HelmChartTemplateSpec{
		SourceRef: helmv2.CrossNamespaceObjectReference{Kind: "HelmRepository", Name: "bitnami", Namespace: "flux-system"},
	}}
	hrTplStatus := hrTpl.DeepCopy()
	hrTplStatus.Status.HelmChart = "charts/apps-web"

	chart := &sourcev1.HelmChart{ObjectMeta: metav1.ObjectMeta{Namespace: "flux-system", Name: "apps-web"}}
	chart.Spec.SourceRef = sourcev1.LocalHelmChartSourceReference{Kind: "HelmRepository", Name: "bitnami"}

	tests := []struct {
		name string
		kind string
		obj  Object
		want Ref
		ok   bool
	}{
		{"kustomization, same namespace", "Kustomization", ks, Ref{"GitRepository", "apps", "repo"}, true},
		{"kustomization, other namespace", "Kustomization", ksOther, Ref{"GitRepository", "flux-system", "repo"}, true},
		{"helmrelease chartRef", "HelmRelease", hrRef, Ref{"OCIRepository", "apps", "chart"}, true},
		{"helmrelease chart template", "HelmRelease", hrTpl, Ref{"HelmChart", "flux-system", "apps-web"}, true},
		{"helmrelease status.helmChart", "HelmRelease", hrTplStatus, Ref{"HelmChart", "charts", "apps-web"}, true},
		{"helmrelease without chart", "HelmRelease", &helmv2.HelmRelease{}, Ref{}, false},
		{"helmchart", "HelmChart", chart, Ref{"HelmRepository", "flux-system", "bitnami"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := mustKind(t, tt.kind).Source(tt.obj)
			if got != tt.want || ok != tt.ok {
				t.Errorf("Source() = %v, %v; want %v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
	for _, kind := range []string{"GitRepository", "ImageRepository", "Alert", "Receiver"} {
		if mustKind(t, kind).Source != nil {
			t.Errorf("%s has a Source reader, want none", kind)
		}
	}
}
