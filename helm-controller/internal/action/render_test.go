package action

import (
	"bytes"
	"context"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"helm.sh/helm/v3/pkg/release"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/helm/postrender"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// annotateConfigMaps is a post-renderer annotating every ConfigMap post=rendered.
func annotateConfigMaps() *postrender.Kustomize {
	return &postrender.Kustomize{Spec: helmv2.Kustomize{Patches: []fluxmeta.Patch{{
		Target: &fluxmeta.Selector{Kind: "ConfigMap"},
		Patch:  `[{"op":"add","path":"/metadata/annotations/post","value":"rendered"}]`,
	}}}}
}

// hookNamed returns the hook of rel whose object is name.
func hookNamed(rel *release.Release, name string) *release.Hook {
	for _, h := range rel.Hooks {
		if h.Name == name {
			return h
		}
	}
	return nil
}

func TestPostRenderStrategies(t *testing.T) {
	ctx := context.Background()
	configMap := func(g Gomega, ns, name string) corev1.ConfigMap {
		var cm corev1.ConfigMap
		g.Expect(env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &cm)).To(Succeed())
		return cm
	}

	t.Run("combined post-renders hooks with the templates", func(t *testing.T) {
		g := NewWithT(t)
		ns := testenv.NewNamespace(t, env.Client)
		c := newClient(t, ns)
		opts := InstallOptions{ReleaseName: "both", PostRenderer: annotateConfigMaps(), PostRenderStrategy: helmv2.PostRenderStrategyCombined}
		rel, err := c.Install(ctxFor(t), packageChart(t, "posthooks"), nil, opts)
		g.Expect(err).NotTo(HaveOccurred())

		for _, name := range []string{"both", "both-sub", "both-hook"} {
			g.Expect(configMap(g, ns, name).Annotations).To(HaveKeyWithValue("post", "rendered"), name)
		}
		g.Expect(configMap(g, ns, "both-hook").Data).To(Equal(map[string]string{"revision": "1", "upgrade": "false"}))
		hook := hookNamed(rel, "both-hook")
		g.Expect(hook).NotTo(BeNil())
		g.Expect(hook.Path).To(Equal("posthooks/templates/hooks.yaml"))
		g.Expect(hook.Events).To(ConsistOf(release.HookPostInstall, release.HookPostUpgrade))
		g.Expect(hook.Manifest).To(ContainSubstring("post: rendered"))
		g.Expect(hook.Manifest).NotTo(ContainSubstring(filenameAnnotation))
		g.Expect(rel.Manifest).To(ContainSubstring("# Source: posthooks/templates/configmap.yaml"))
		g.Expect(rel.Manifest).To(ContainSubstring("# Source: posthooks/charts/sub/templates/configmap.yaml"))
		g.Expect(rel.Info.Notes).To(Equal("release both revision 1\n"))
		g.Expect(rel.Manifest).NotTo(ContainSubstring("annotations: {}"))
		g.Expect(rel.Manifest).NotTo(ContainSubstring("config.kubernetes.io"))

		// The stored release carries the user's chart, not the one printing the result.
		stored, err := c.LastRelease("both")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(stored.Hooks).To(ContainElement(HaveField("Manifest", ContainSubstring("post: rendered"))))
		var templates []string
		for _, f := range stored.Chart.Templates {
			templates = append(templates, f.Name)
		}
		g.Expect(templates).To(ConsistOf("templates/configmap.yaml", "templates/hooks.yaml", "templates/shared.yaml", "templates/NOTES.txt"))
		for _, f := range stored.Chart.Files {
			g.Expect(f.Name).NotTo(HavePrefix(renderedDir))
		}

		// An upgrade renders the hooks for its own revision.
		rel, err = c.Upgrade(ctxFor(t), packageChart(t, "posthooks"), nil, UpgradeOptions{ReleaseName: "both",
			PostRenderer: annotateConfigMaps(), PostRenderStrategy: helmv2.PostRenderStrategyCombined})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(rel.Version).To(Equal(2))
		cm := configMap(g, ns, "both-hook")
		g.Expect(cm.Annotations).To(HaveKeyWithValue("post", "rendered"))
		g.Expect(cm.Data).To(Equal(map[string]string{"revision": "2", "upgrade": "true"}))
		g.Expect(configMap(g, ns, "both").Data).To(HaveKeyWithValue("revision", "2"))
		g.Expect(rel.Info.Notes).To(Equal("release both revision 2\n"))
	})

	t.Run("nohooks leaves hooks alone", func(t *testing.T) {
		g := NewWithT(t)
		ns := testenv.NewNamespace(t, env.Client)
		c := newClient(t, ns)
		rel, err := c.Install(ctxFor(t), packageChart(t, "posthooks"), nil, InstallOptions{ReleaseName: "templates",
			PostRenderer: annotateConfigMaps(), PostRenderStrategy: helmv2.PostRenderStrategyNoHooks})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(configMap(g, ns, "templates").Annotations).To(HaveKeyWithValue("post", "rendered"))
		g.Expect(configMap(g, ns, "templates-hook").Annotations).NotTo(HaveKey("post"))
		g.Expect(hookNamed(rel, "templates-hook").Manifest).NotTo(ContainSubstring("post: rendered"))
	})

	t.Run("an object both hook and template needs separate streams", func(t *testing.T) {
		g := NewWithT(t)
		ns := testenv.NewNamespace(t, env.Client)
		c := newClient(t, ns)
		vals := map[string]any{"shared": true}
		_, err := c.Install(ctxFor(t), packageChart(t, "posthooks"), vals, InstallOptions{ReleaseName: "dup",
			PostRenderer: annotateConfigMaps(), PostRenderStrategy: helmv2.PostRenderStrategyCombined})
		g.Expect(err).To(MatchError(ContainSubstring("error while running post render on the rendered manifests")))
		g.Expect(err).To(MatchError(ContainSubstring("dup-shared")))
		last, err := c.LastRelease("dup")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(last).To(BeNil(), "nothing is stored or applied when post-rendering fails")

		rel, err := c.Install(ctxFor(t), packageChart(t, "posthooks"), vals, InstallOptions{ReleaseName: "apart",
			PostRenderer: annotateConfigMaps(), PostRenderStrategy: helmv2.PostRenderStrategySeparate})
		g.Expect(err).NotTo(HaveOccurred())
		shared := configMap(g, ns, "apart-shared")
		g.Expect(shared.Data).To(HaveKeyWithValue("as", "template"))
		g.Expect(shared.Annotations).To(HaveKeyWithValue("post", "rendered"))
		g.Expect(configMap(g, ns, "apart-hook").Annotations).To(HaveKeyWithValue("post", "rendered"))
		g.Expect(hookNamed(rel, "apart-shared").Manifest).To(ContainSubstring("post: rendered"))
		g.Expect(strings.Count(rel.Manifest, "post: rendered")).To(Equal(3), "the release's three templates")
	})
}

// unchanged is a post-renderer that changes nothing.
type unchanged struct{}

// Run returns the manifests as they are.
func (unchanged) Run(in *bytes.Buffer) (*bytes.Buffer, error) { return in, nil }

func TestPostRenderFiles(t *testing.T) {
	g := NewWithT(t)
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"
	hook := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: h\n  annotations:\n    helm.sh/hook: pre-install\n"
	files := map[string]string{"c/templates/a.yaml": cm, "c/templates/h.yaml": hook}

	// Documents go back to their files, unchanged by the marking.
	for _, strategy := range []string{helmv2.PostRenderStrategyCombined, helmv2.PostRenderStrategySeparate} {
		out, err := postRenderFiles(files, unchanged{}, strategy)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(out).To(Equal(files), strategy)
	}

	// A document the post-renderer adds gets a file of its own, named by its group.
	extra := appendRenderer("apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n")
	out, err := postRenderFiles(files, extra, helmv2.PostRenderStrategyCombined)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(out).To(HaveKeyWithValue("generated-by-postrender-2.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n"))
	out, err = postRenderFiles(files, extra, helmv2.PostRenderStrategySeparate)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(out).To(HaveKey("generated-by-postrender-hooks-1.yaml"))
	g.Expect(out).To(HaveKey("generated-by-postrender-templates-1.yaml"))
	g.Expect(out).To(HaveLen(4))
}
