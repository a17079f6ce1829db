package message

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/types"

	"github.com/ferry-gitops/ferry/image-automation-controller/internal/setters"
	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
)

// testData is an update of two files: a Deployment whose image moved to v1.2.4 and a
// HelmRelease whose tag and name fields moved.
func testData() Data {
	dep := setters.ObjectID{APIVersion: "apps/v1", Kind: "Deployment", Name: "my-app"}
	hr := setters.ObjectID{APIVersion: "helm.toolkit.fluxcd.io/v2", Kind: "HelmRelease", Name: "podinfo", Namespace: "apps"}
	changes := []setters.Change{
		{File: "apps/base/my-app/deployment.yaml", Line: 20, Object: dep, Marker: setters.Marker{Namespace: "flux-system", Name: "my-app"},
			OldValue: "ghcr.io/myorg/my-app:v1.0.0", NewValue: "ghcr.io/myorg/my-app:v1.2.4"},
		{File: "apps/podinfo.yaml", Line: 9, Object: hr, Marker: setters.Marker{Namespace: "flux-system", Name: "podinfo", Field: setters.FieldTag},
			OldValue: "6.0.0", NewValue: "6.5.0"},
		{File: "apps/podinfo.yaml", Line: 10, Object: hr, Marker: setters.Marker{Namespace: "flux-system", Name: "podinfo", Field: setters.FieldName},
			OldValue: "ghcr.io/old/podinfo", NewValue: "ghcr.io/stefanprodan/podinfo"},
	}
	images := map[string]imagev1.ImageRef{
		"flux-system/my-app":  {Name: "ghcr.io/myorg/my-app", Tag: "v1.2.4"},
		"flux-system/podinfo": {Name: "ghcr.io/stefanprodan/podinfo", Tag: "6.5.0", Digest: "sha256:abc"},
	}
	return New(types.NamespacedName{Namespace: "flux-system", Name: "my-app"}, changes, images, map[string]string{"cluster": "prod"})
}

func TestExecute(t *testing.T) {
	tests := []struct {
		name, template, want string
		updated              bool
	}{
		{name: "seed 002", template: "chore: update my-app to {{range .Changed.Changes}}{{.NewValue}}{{end}}",
			want: "chore: update my-app to ghcr.io/myorg/my-app:v1.2.4" + "6.5.0" + "ghcr.io/stefanprodan/podinfo"},
		{name: "seed 004 (older data)", template: "chore: update image to {{range .Updated.Images}}{{println .}}{{end}}", updated: true,
			want: "chore: update image to ghcr.io/myorg/my-app:v1.2.4\nghcr.io/stefanprodan/podinfo:6.5.0\n"},
		{name: "default", template: DefaultTemplate, want: "Update from image update automation"},
		{name: "automation and values", template: "{{ .AutomationObject }} on {{ .Values.cluster }} ({{ .Values.missing }})",
			want: "flux-system/my-app on prod (<no value>)"},
		{name: "files", template: "{{ range $f, $_ := .Changed.FileChanges -}}\n- {{ $f }}\n{{ end -}}",
			want: "- apps/base/my-app/deployment.yaml\n- apps/podinfo.yaml\n"},
		{name: "objects", template: "{{ range $o, $cs := .Changed.Objects }}{{ $o.Kind | lower }}/{{ $o.Name }}:{{ range $cs }} {{ .Setter }} {{ .OldValue }}->{{ .NewValue }};{{ end }}\n{{ end }}",
			want: "deployment/my-app: flux-system:my-app ghcr.io/myorg/my-app:v1.0.0->ghcr.io/myorg/my-app:v1.2.4;\n" +
				"helmrelease/podinfo: flux-system:podinfo:tag 6.0.0->6.5.0; flux-system:podinfo:name ghcr.io/old/podinfo->ghcr.io/stefanprodan/podinfo;\n"},
		{name: "image result", template: "{{ range .Changed.ImageResult.Images }}{{ .Registry }} {{ .Repository }} {{ .Identifier }} {{ .Policy }}\n{{ end }}",
			want: "ghcr.io myorg/my-app v1.2.4 flux-system/my-app\nghcr.io stefanprodan/podinfo 6.5.0 flux-system/podinfo\n"},
		{name: "older objects", template: "{{ range $o, $imgs := $.Updated.Objects }}{{ $o.Kind }}={{ len $imgs }} {{ end }}", updated: true,
			want: "Deployment=1 HelmRelease=1 "},
		{name: "older files in a branch", template: "{{ if true }}{{ range $f, $_ := .Updated.Files }}{{ $f }} {{ end }}{{ end }}", updated: true,
			want: "apps/base/my-app/deployment.yaml apps/podinfo.yaml "},
		{name: "sprig", template: `{{ printf "%s" .AutomationObject | sha256sum | trunc 8 }}`, want: "5f45e6bb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, err := Parse("spec.git.commit.messageTemplate", tt.template)
			if err != nil {
				t.Fatal(err)
			}
			if tmpl.UsesUpdated() != tt.updated {
				t.Errorf("UsesUpdated = %v", tmpl.UsesUpdated())
			}
			got, err := tmpl.Execute(testData())
			if err != nil || got != tt.want {
				t.Errorf("Execute = %q, %v\nwant %q", got, err, tt.want)
			}
		})
	}
}

func TestTemplateErrors(t *testing.T) {
	for text, want := range map[string]string{
		"{{ .Changed":                              "failed to parse spec.git.commit.messageTemplate",
		"{{ env \"HOME\" }}":                       `function "env" not defined`,
		"{{ expandenv \"$HOME\" }}":                `function "expandenv" not defined`,
		"{{ getHostByName \"example.com\" }}":      `function "getHostByName" not defined`,
		"{{ .Nope }}":                              "failed to execute spec.git.commit.messageTemplate",
		"{{ fail \"stop\" }}":                      "stop",
		"{{ range until 10000 }}0123456789{{end}}": "longer than 64 KiB",
	} {
		tmpl, err := Parse("spec.git.commit.messageTemplate", text)
		if err == nil {
			_, err = tmpl.Execute(testData())
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error = %v, want %q", text, err, want)
		}
	}
}

// TestBoundedFunctions: until, untilStep and repeat behave as Sprig's within the bound and
// fail beyond it instead of allocating.
func TestBoundedFunctions(t *testing.T) {
	for text, want := range map[string]string{
		"{{ until 3 }}": "[0 1 2]", "{{ until -2 }}": "[0 -1]", "{{ untilStep 1 7 2 }}": "[1 3 5]", "{{ untilStep 5 0 -2 }}": "[5 3 1]",
		"{{ untilStep 0 3 0 }}": "[]", `{{ repeat 3 "ab" }}`: "ababab",
	} {
		tmpl, err := Parse("t", text)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := tmpl.Execute(testData()); err != nil || got != want {
			t.Errorf("%s = %q, %v; want %q", text, got, err, want)
		}
	}
	for _, text := range []string{"{{ until 100000000 }}", `{{ repeat 100000000 "x" }}`, "{{ untilStep 0 1000000000 1 }}"} {
		tmpl, _ := Parse("t", text)
		if _, err := tmpl.Execute(testData()); err == nil {
			t.Errorf("%s must fail", text)
		}
	}
}
