package main

import (
	"strings"
	"testing"
)

func TestCheckFile(t *testing.T) {
	long := "func Long() {\n" + strings.Repeat("\t_ = 1\n", maxFuncLines+1) + "}\n"
	tests := []struct {
		name, path, src string
		want            []string
	}{
		{name: "clean", path: "a/x.go", src: `package x

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
)

// F prints.
func F() { fmt.Println(metav1.Now(), sourcev1.GitRepositoryKind) }
`},
		{name: "wrong alias", path: "a/x.go", src: `package x

import (
	meta "github.com/ferry-gitops/ferry/shared/api/meta"
	v1 "k8s.io/api/core/v1"
)
`, want: []string{"alias: import \"github.com/ferry-gitops/ferry/shared/api/meta\" as fluxmeta", "alias: import \"k8s.io/api/core/v1\" as corev1", "imports:"}},
		{name: "api meta keeps its name", path: "shared/api/source/v1/x.go", src: `package v1

import "github.com/ferry-gitops/ferry/shared/api/meta"

var _ = meta.Artifact{}
`},
		{name: "groups out of order", path: "a/x.go", src: `package x

import (
	"k8s.io/apimachinery/pkg/types"

	"fmt"
)
`, want: []string{"imports: \"fmt\" belongs in an earlier group"}},
		{name: "groups not separated", path: "a/x.go", src: `package x

import (
	"fmt"
	"k8s.io/apimachinery/pkg/types"
)
`, want: []string{"imports: \"k8s.io/apimachinery/pkg/types\" starts a new group"}},
		{name: "long function", path: "a/x.go", src: "package x\n\n// Long is long.\n" + long,
			want: []string{"funlen: Long is 81 lines long"}},
		{name: "long function allowed", path: "a/x.go", src: "package x\n\n// Long is long.\n//lint:allow funlen a table of cases reads best in one piece\n" + long},
		{name: "allowance needs a reason", path: "a/x.go", src: "package x\n\n// Long is long.\n//lint:allow funlen\n" + long,
			want: []string{"funlen:"}},
		{name: "long test function", path: "a/x_test.go", src: "package x\n\n" + long},
		{name: "missing docs", path: "a/x.go", src: `package x

func F() {}

type T struct{}

func (T) M() {}

type u struct{}

func (u) M() {}

// Wrong starts elsewhere.
func G() {}

const C = 1

// Group of values.
const (
	D = 2
)
`, want: []string{"doc: exported F has no doc comment", "doc: exported T has no doc comment", "doc: exported M has no doc comment",
			"doc: the doc comment of G should start with its name", "doc: exported C has no doc comment"}},
		{name: "commands need no docs", path: "a/main.go", src: "package main\n\nfunc F() {}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := checkFile(tt.path, []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("findings:\n%s\nwant %d: %q", strings.Join(got, "\n"), len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("finding %d = %q, want it to contain %q", i, got[i], w)
				}
			}
		})
	}
}
