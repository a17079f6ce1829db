package index

import (
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	f.Add(getIndex)
	f.Add(`{"apiVersion":"v1","entries":{"a":[{"version":"1.0.0"}]}}`)
	f.Add("apiVersion: v1\nentries:\n  a: [{version: 1.0.0}]\n")
	f.Fuzz(func(t *testing.T, s string) {
		x, err := Parse(strings.NewReader(s))
		if err != nil {
			return
		}
		for _, name := range x.Charts() {
			_, _ = x.Get(name, "*")
		}
	})
}
