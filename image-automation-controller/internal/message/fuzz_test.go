package message

import (
	"runtime"
	"strings"
	"testing"
)

// maxAlloc is the most one execution of a fuzzed template may allocate.
const maxAlloc = 256 << 20

// fuzzEnv is a value only the controller's environment holds: no template may render it.
const fuzzEnv = "controller-environment-value"

// FuzzTemplate: any spec.git.commit.messageTemplate parses or fails cleanly; executing it
// over the template data does not panic, never renders more than 64 KiB, never renders the
// controller's environment (env and expandenv are withheld), and never allocates more than
// maxAlloc on the way (the functions that build a value as large as their argument asks are
// bounded); a template whose text never names Updated is not reported as using it.
func FuzzTemplate(f *testing.F) {
	f.Setenv("FERRY_FUZZ_SECRET", fuzzEnv)
	for _, s := range []string{
		"chore: update my-app to {{range .Changed.Changes}}{{.NewValue}}{{end}}",
		"{{range .Updated.Images}}{{println .}}{{end}}",
		"{{ range $o, $cs := .Changed.Objects }}{{ $o.Kind }}{{ end }}",
		"{{ .Values.x | upper }}", "{{", "{{ template \"x\" }}", "{{ define \"x\" }}{{ .Updated }}{{ end }}{{ template \"x\" . }}",
		`{{ env "FERRY_FUZZ_SECRET" }}`, `{{ expandenv "$FERRY_FUZZ_SECRET" }}`, `{{ repeat 100000 "x" }}`,
		`{{ indent 100000000 "x" }}`, `{{ randAlpha 100000000 }}`, `{{ until 100000000 }}`,
		`{{ repeat 60000 "x" | replace "x" (repeat 60000 "y") }}`, `{{ until 65536 | join (repeat 65536 "x") }}`,
		`{{ regexReplaceAll "" (repeat 60000 "x") (repeat 60000 "y") }}`, `{{ wrapWith 1 (repeat 60000 "y") (repeat 60000 "x") }}`,
		`{{ seq 100000000 }}`, `{{ randBytes 100000000 }}`, `{{ nindent 100000000 "x" }}`,
	} {
		f.Add(s)
	}
	data := testData()
	f.Fuzz(func(t *testing.T, text string) {
		tmpl, err := Parse("spec.git.commit.messageTemplate", text)
		if err != nil {
			return
		}
		if !strings.Contains(text, "Updated") && tmpl.UsesUpdated() {
			t.Fatalf("%q is reported as using .Updated", text)
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		out, err := tmpl.Execute(data)
		runtime.ReadMemStats(&after)
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > maxAlloc {
			t.Fatalf("executing %q allocated %d MiB", text, alloc>>20)
		}
		if err != nil {
			return
		}
		if len(out) > maxLength {
			t.Fatalf("rendered %d bytes", len(out))
		}
		if strings.Contains(out, fuzzEnv) {
			t.Fatalf("%q rendered the controller's environment: %q", text, out)
		}
	})
}
