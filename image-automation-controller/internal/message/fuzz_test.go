package message

import (
	"testing"
)

// FuzzTemplate: any template text parses or fails cleanly, executes over the template data
// without panicking, and never renders more than the limit.
func FuzzTemplate(f *testing.F) {
	for _, s := range []string{
		"chore: update my-app to {{range .Changed.Changes}}{{.NewValue}}{{end}}",
		"{{range .Updated.Images}}{{println .}}{{end}}",
		"{{ range $o, $cs := .Changed.Objects }}{{ $o.Kind }}{{ end }}",
		"{{ .Values.x | upper }}", "{{", "{{ template \"x\" }}", "{{ define \"x\" }}{{ .Updated }}{{ end }}{{ template \"x\" . }}",
	} {
		f.Add(s)
	}
	data := testData()
	f.Fuzz(func(t *testing.T, text string) {
		tmpl, err := Parse("spec.git.commit.messageTemplate", text)
		if err != nil {
			return
		}
		out, err := tmpl.Execute(data)
		if err == nil && len(out) > maxLength {
			t.Fatalf("rendered %d bytes", len(out))
		}
	})
}
