package substitute

import (
	"testing"

	. "github.com/onsi/gomega"
)

func TestExpand(t *testing.T) {
	vars := map[string]string{
		"name": "podinfo", "empty": "", "path": "a/b/c.tar.gz", "n": "3", "flag": "true",
		"mixed": "hello World",
	}
	tests := []struct {
		name, in, want string
	}{
		{"plain variable", "app: ${name}", "app: podinfo"},
		{"two variables", "${name}-${n}", "podinfo-3"},
		{"unset variable becomes empty", "x: '${missing}'", "x: ''"},
		{"default when unset", "${missing:=fallback}", "fallback"},
		{"default when empty", "${empty:=fallback}", "fallback"},
		{"default not used when set", "${name:=fallback}", "podinfo"},
		{"dash default", "${missing:-fb} ${empty-keep}", "fb "},
		{"equals default only when unset", "${empty=x}${missing=y}", "y"},
		{"default holds a variable", "${missing:=${name}-x}", "podinfo-x"},
		{"escape keeps the expression", "echo $${name}", "echo ${name}"},
		{"dollar without braces untouched", "echo $name $ $$", "echo $name $ $$"},
		{"unterminated expression untouched", "a ${name", "a ${name"},
		{"not a name untouched", "${1abc} ${} ${-x}", "${1abc} ${} ${-x}"},
		{"length", "${#name}", "7"},
		{"substring offset", "${name:3}", "info"},
		{"substring offset and length", "${name:0:3}", "pod"},
		{"substring negative offset", "${name: -4}", "info"},
		{"upper first and all", "${name^} ${name^^}", "Podinfo PODINFO"},
		{"lower first and all", "${mixed,} ${mixed,,}", "hello World hello world"},
		{"shortest prefix removed", "${path#*/}", "b/c.tar.gz"},
		{"longest prefix removed", "${path##*/}", "c.tar.gz"},
		{"shortest suffix removed", "${path%.*}", "a/b/c.tar"},
		{"longest suffix removed", "${path%%.*}", "a/b/c"},
		{"replace first", "${name/o/0}", "p0dinfo"},
		{"replace all", "${name//o/0}", "p0dinf0"},
		{"replace prefix", "${name/#pod/svc}", "svcinfo"},
		{"replace suffix", "${name/%info/cast}", "podcast"},
		{"replace with nothing", "${name/info}", "pod"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			got, err := Expand(tt.in, vars, false)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got).To(Equal(tt.want))
		})
	}
}

func TestExpandStrict(t *testing.T) {
	vars := map[string]string{"set": "v"}
	tests := []struct {
		name, in, want, wantErr string
	}{
		{name: "set variable", in: "${set}", want: "v"},
		{name: "missing with default", in: "${missing:=d}", want: "d"},
		{name: "missing", in: "a: ${missing}", wantErr: `variable "missing" is not set`},
		{name: "missing in an operator", in: "${missing^^}", wantErr: `variable "missing" is not set`},
		{name: "missing inside a default", in: "${other:=${missing}}", wantErr: `variable "missing" is not set`},
		{name: "escaped is not a variable", in: "$${missing}", want: "${missing}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			got, err := Expand(tt.in, vars, true)
			if tt.wantErr != "" {
				g.Expect(err).To(MatchError(ContainSubstring(tt.wantErr)))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got).To(Equal(tt.want))
		})
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true}, {"*", "anything", true}, {"a*c", "abbbc", true}, {"a?c", "abc", true},
		{"a?c", "ac", false}, {"*.gz", "x.tar.gz", true}, {"*.gz", "x.tar", false}, {"a", "b", false},
		{"**", "", true}, {"*b*", "aaabaaa", true},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+"|"+tt.s, func(t *testing.T) {
			NewWithT(t).Expect(glob(tt.pattern, tt.s)).To(Equal(tt.want))
		})
	}
}
