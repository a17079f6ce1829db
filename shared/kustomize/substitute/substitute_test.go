package substitute

import (
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// object decodes a YAML manifest.
func object(t *testing.T, manifest string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	raw, err := yaml.YAMLToJSON([]byte(manifest))
	if err != nil {
		t.Fatal(err)
	}
	if err := u.UnmarshalJSON(raw); err != nil {
		t.Fatal(err)
	}
	return u
}

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-${env}
  namespace: apps
  labels:
    tier: ${tier:=backend}
spec:
  replicas: ${replicas}
  paused: ${paused}
  template:
    spec:
      containers:
      - name: app
        image: ghcr.io/org/app:${tag}
        args: ["--version", "${tag}", "$${HOME}"]
        env:
        - name: PORT
          value: "${port}"
        - name: PORT_STRING
          value: ${quote}${port}${quote}
`

func TestApply(t *testing.T) {
	vars := map[string]string{
		"env": "prod", "replicas": "3", "paused": "false", "tag": "1.2.3", "port": "8080", "quote": `"`,
	}
	tests := []struct {
		name     string
		manifest string
		vars     map[string]string
		strict   bool
		check    func(g *WithT, u *unstructured.Unstructured)
		wantErr  []string
	}{
		{
			name: "numbers and booleans keep their YAML type", manifest: deployment, vars: vars,
			check: func(g *WithT, u *unstructured.Unstructured) {
				g.Expect(u.GetName()).To(Equal("app-prod"))
				g.Expect(u.GetLabels()).To(HaveKeyWithValue("tier", "backend"))
				g.Expect(u.Object["spec"]).To(HaveKeyWithValue("replicas", int64(3)))
				g.Expect(u.Object["spec"]).To(HaveKeyWithValue("paused", false))
				containers, _, _ := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "containers")
				c := containers[0].(map[string]any)
				g.Expect(c["image"]).To(Equal("ghcr.io/org/app:1.2.3"))
				g.Expect(c["args"]).To(Equal([]any{"--version", "1.2.3", "${HOME}"}))
				// Quoting in the source does not survive the build (as with Flux); quotes in
				// the text do.
				g.Expect(c["env"]).To(Equal([]any{
					map[string]any{"name": "PORT", "value": int64(8080)},
					map[string]any{"name": "PORT_STRING", "value": "8080"},
				}))
			},
		},
		{
			name: "disabled annotation leaves the object alone",
			manifest: `apiVersion: v1
kind: ConfigMap
metadata:
  name: script
  annotations:
    kustomize.toolkit.fluxcd.io/substitute: disabled
data:
  run.sh: echo ${env}
`, vars: vars, strict: true,
			check: func(g *WithT, u *unstructured.Unstructured) {
				g.Expect(u.Object["data"]).To(HaveKeyWithValue("run.sh", "echo ${env}"))
			},
		},
		{
			name: "disabled label leaves the object alone",
			manifest: `apiVersion: v1
kind: ConfigMap
metadata:
  name: script
  labels:
    kustomize.toolkit.fluxcd.io/substitute: disabled
data:
  run.sh: echo ${missing}
`, vars: vars, strict: true,
			check: func(g *WithT, u *unstructured.Unstructured) {
				g.Expect(u.Object["data"]).To(HaveKeyWithValue("run.sh", "echo ${missing}"))
			},
		},
		{
			name: "strict mode names the variable and the object", manifest: deployment,
			vars: map[string]string{"env": "prod"}, strict: true,
			wantErr: []string{`variable "paused" is not set`, "Deployment/apps/app-${env}"},
		},
		{
			name: "missing variables become empty when not strict",
			manifest: `apiVersion: v1
kind: ConfigMap
metadata:
  name: cm
data:
  a: ${missing:=""}
  b: x${missing}y
`, vars: map[string]string{},
			check: func(g *WithT, u *unstructured.Unstructured) {
				g.Expect(u.Object["data"]).To(Equal(map[string]any{"a": "", "b": "xy"}))
			},
		},
		{
			name: "invalid variable name", manifest: deployment, vars: map[string]string{"bad-name": "x"},
			wantErr: []string{`"bad-name" is not a valid variable name`},
		},
		{
			name: "a value that breaks the YAML is reported",
			manifest: `apiVersion: v1
kind: ConfigMap
metadata:
  name: cm
data:
  a: ${v}
`, vars: map[string]string{"v": "[unclosed"},
			wantErr: []string{"ConfigMap/cm", "not valid YAML"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			u := object(t, tt.manifest)
			err := Apply([]*unstructured.Unstructured{u}, tt.vars, tt.strict)
			if tt.wantErr != nil {
				g.Expect(err).To(HaveOccurred())
				for _, s := range tt.wantErr {
					g.Expect(err.Error()).To(ContainSubstring(s))
				}
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			tt.check(g, u)
		})
	}
}

func TestMergeVars(t *testing.T) {
	g := NewWithT(t)
	got := MergeVars([]map[string]string{
		{"a": "cm", "b": "cm"},
		SecretVars(map[string][]byte{"b": []byte("secret"), "c": []byte("secret")}),
	}, map[string]string{"c": "inline"})
	g.Expect(got).To(Equal(map[string]string{"a": "cm", "b": "secret", "c": "inline"}))
}

func TestMergeVarsRemovesLineBreaks(t *testing.T) {
	g := NewWithT(t)
	got := MergeVars([]map[string]string{
		{"file": "from-a-file\n"},
		SecretVars(map[string][]byte{"token": []byte("abc\ndef\n")}),
	}, map[string]string{"inline": "one\ntwo"})
	g.Expect(got).To(Equal(map[string]string{"file": "from-a-file", "token": "abcdef", "inline": "onetwo"}))
}
