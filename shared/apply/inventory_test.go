package apply

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
)

func object(apiVersion, kind, ns, name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(apiVersion)
	u.SetKind(kind)
	u.SetNamespace(ns)
	u.SetName(name)
	return u
}

func TestInventoryIDs(t *testing.T) {
	tests := []struct {
		name   string
		obj    *unstructured.Unstructured
		wantID string
		wantV  string
	}{
		{"core group", object("v1", "ConfigMap", "apps", "cfg"), "apps_cfg__ConfigMap", "v1"},
		{"named group", object("apps/v1", "Deployment", "apps", "web"), "apps_web_apps_Deployment", "v1"},
		{"cluster-scoped core", object("v1", "Namespace", "", "apps"), "_apps__Namespace", "v1"},
		{"cluster-scoped group", object("rbac.authorization.k8s.io/v1", "ClusterRole", "", "view"),
			"_view_rbac.authorization.k8s.io_ClusterRole", "v1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := InventoryFrom([]*unstructured.Unstructured{tt.obj, tt.obj})
			if len(inv.Entries) != 1 {
				t.Fatalf("want 1 entry, got %d", len(inv.Entries))
			}
			if got := inv.Entries[0]; got.ID != tt.wantID || got.Version != tt.wantV {
				t.Fatalf("got %+v, want id %q v %q", got, tt.wantID, tt.wantV)
			}
			ref, err := ParseRef(inv.Entries[0])
			if err != nil {
				t.Fatal(err)
			}
			if ref != RefOf(tt.obj) {
				t.Fatalf("round trip: got %+v, want %+v", ref, RefOf(tt.obj))
			}
		})
	}
}

func TestDiff(t *testing.T) {
	a := fluxmeta.ResourceRef{ID: "ns_a__ConfigMap", Version: "v1"}
	b := fluxmeta.ResourceRef{ID: "ns_b_apps_Deployment", Version: "v1"}
	c := fluxmeta.ResourceRef{ID: "_c__Namespace", Version: "v1"}
	tests := []struct {
		name     string
		old, cur *fluxmeta.ResourceInventory
		want     []string
		wantErr  bool
	}{
		{"nothing left", &fluxmeta.ResourceInventory{Entries: []fluxmeta.ResourceRef{a, b}},
			&fluxmeta.ResourceInventory{Entries: []fluxmeta.ResourceRef{a, b, c}}, nil, false},
		{"two left", &fluxmeta.ResourceInventory{Entries: []fluxmeta.ResourceRef{a, b, c}},
			&fluxmeta.ResourceInventory{Entries: []fluxmeta.ResourceRef{b}}, []string{"ConfigMap/ns/a", "Namespace/c"}, false},
		{"no old inventory", nil, &fluxmeta.ResourceInventory{Entries: []fluxmeta.ResourceRef{a}}, nil, false},
		{"no new inventory", &fluxmeta.ResourceInventory{Entries: []fluxmeta.ResourceRef{a}}, nil, []string{"ConfigMap/ns/a"}, false},
		{"bad id", &fluxmeta.ResourceInventory{Entries: []fluxmeta.ResourceRef{{ID: "bad", Version: "v1"}}}, nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Diff(tt.old, tt.cur)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i].String() != tt.want[i] {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestRefAPIVersion(t *testing.T) {
	for ref, want := range map[ObjectRef]string{
		{Group: "apps", Version: "v1", Kind: "Deployment"}: "apps/v1",
		{Version: "v1", Kind: "ConfigMap"}:                 "v1",
	} {
		if got := ref.APIVersion(); got != want {
			t.Errorf("%v.APIVersion() = %q, want %q", ref, got, want)
		}
	}
}
