package action

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"

	helmaction "helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/postrender"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/releaseutil"
	"helm.sh/helm/v3/pkg/storage/driver"
	"sigs.k8s.io/kustomize/kyaml/kio"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
)

// Helm 3 post-renders the templates of a release and never its hooks. The strategies
// combined and separate of spec.postRenderStrategy (Helm 4.2's, helm/helm#32049)
// post-render the hooks too, before Helm sorts them from the templates.
// Helm 3 has no seam there, so for those strategies this package renders the chart itself,
// as Helm's install and upgrade would (same capabilities, values, release options and
// engine), post-renders the result, and gives Helm a chart whose templates print that result
// verbatim. Helm then sorts, stores, hooks and applies it as usual; the release stored keeps
// the user's chart (swapDriver), so history, rollback and `helm get` see the real chart.

// filenameAnnotation carries the template file of each document through a post-renderer,
// so that the post-rendered documents go back to the file they came from (the name Helm 4
// gives it).
const filenameAnnotation = "postrenderer.helm.sh/postrender-filename"

// renderedDir holds the post-rendered files inside the chart handed to Helm.
const renderedDir = "ferry.rendered/"

// notesSuffix ends the name of a chart's notes template.
const notesSuffix = "NOTES.txt"

// hooksPostRendered reports whether strategy post-renders hooks, which Helm 3 cannot do
// by itself.
func hooksPostRendered(strategy string, pr postrender.PostRenderer) bool {
	return pr != nil && (strategy == helmv2.PostRenderStrategyCombined || strategy == helmv2.PostRenderStrategySeparate)
}

// capabilities returns what Helm tells templates of the cluster, found once per Client as
// Helm's own actions find them, and makes Helm's actions use the same.
func (c *Client) capabilities() (*chartutil.Capabilities, error) {
	if c.cfg.Capabilities != nil {
		return c.cfg.Capabilities, nil
	}
	dc := c.shared.discovery
	dc.Invalidate()
	v, err := dc.ServerVersion()
	if err != nil {
		return nil, fmt.Errorf("failed to read the Kubernetes version: %w", err)
	}
	apis, err := helmaction.GetVersionSet(dc)
	if err != nil {
		// A registered but unavailable API service: the set still lists every served
		// version, as Helm's own actions accept.
		c.opts.Log("discovery reported: %s", err)
	}
	c.cfg.Capabilities = &chartutil.Capabilities{
		APIVersions: apis,
		KubeVersion: chartutil.KubeVersion{Version: v.GitVersion, Major: v.Major, Minor: v.Minor},
		HelmVersion: chartutil.DefaultCapabilities.HelmVersion,
	}
	return c.cfg.Capabilities, nil
}

// renderInput is what a render needs besides the chart and values.
type renderInput struct {
	release    chartutil.ReleaseOptions
	skipSchema bool
	pr         postrender.PostRenderer
	strategy   string
}

// prerender renders chrt with vals for in.release, post-renders hooks and templates as
// in.strategy says, and returns the chart that prints the result, for the next action to run
// instead of chrt; the releases it stores carry chrt until unswap. vals are the values the
// templates see, after Helm's reuse rules.
func (c *Client) prerender(chrt *chart.Chart, vals map[string]any, in renderInput) (*chart.Chart, error) {
	caps, err := c.capabilities()
	if err != nil {
		return nil, err
	}
	if err := chartutil.ProcessDependenciesWithMerge(chrt, vals); err != nil {
		return nil, err
	}
	if kv := chrt.Metadata.KubeVersion; kv != "" && !chartutil.IsCompatibleRange(kv, caps.KubeVersion.String()) {
		return nil, fmt.Errorf("chart requires kubeVersion: %s which is incompatible with Kubernetes %s", kv, caps.KubeVersion.String())
	}
	top, err := chartutil.ToRenderValuesWithSchemaValidation(chrt, vals, in.release, caps, in.skipSchema)
	if err != nil {
		return nil, err
	}
	files, err := engine.New(c.shared.config).Render(chrt, top)
	if err != nil {
		return nil, err
	}
	notes := map[string]string{}
	for name, content := range files {
		if strings.HasSuffix(name, notesSuffix) {
			notes[name] = content
			delete(files, name)
		}
	}
	if files, err = postRenderFiles(files, in.pr, in.strategy); err != nil {
		return nil, err
	}
	for name, content := range notes {
		files[name] = content
	}
	printing := printingChart(chrt, files)
	c.swap = swap{printing: printing, user: chrt}
	return printing, nil
}

// postRenderFiles runs pr over the rendered files: all of them as one stream (combined), or
// the hooks and the templates as two streams (separate). A document keeps its file; one the
// post-renderer made up gets a file of its own.
func postRenderFiles(files map[string]string, pr postrender.PostRenderer, strategy string) (map[string]string, error) {
	if strategy == helmv2.PostRenderStrategyCombined {
		return postRenderGroup(files, pr, "", "")
	}
	hooks, manifests, err := releaseutil.SortManifests(files, nil, releaseutil.InstallOrder)
	if err != nil {
		return nil, err
	}
	hookFiles, templateFiles := map[string]string{}, map[string]string{}
	for _, h := range hooks {
		appendDoc(hookFiles, h.Path, h.Manifest)
	}
	for _, m := range manifests {
		appendDoc(templateFiles, m.Name, m.Content)
	}
	out := map[string]string{}
	for _, g := range []struct {
		name  string
		files map[string]string
	}{{"hooks", hookFiles}, {"templates", templateFiles}} {
		if len(g.files) == 0 {
			continue
		}
		done, err := postRenderGroup(g.files, pr, g.name, g.name+"-")
		if err != nil {
			return nil, err
		}
		for name, content := range done {
			appendDoc(out, name, content)
		}
	}
	return out, nil
}

// appendDoc adds the YAML documents content to the file name of files.
func appendDoc(files map[string]string, name, content string) {
	if prev, ok := files[name]; ok {
		content = prev + "\n---\n" + content
	}
	files[name] = content
}

// postRenderGroup post-renders files as one stream; what names the group in errors, and
// prefix the files of the documents the post-renderer added.
func postRenderGroup(files map[string]string, pr postrender.PostRenderer, what, prefix string) (map[string]string, error) {
	in := "the rendered manifests"
	if what != "" {
		in = "the rendered " + what
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	var docs []*kyaml.RNode
	for _, name := range names {
		nodes, err := kio.FromBytes([]byte(files[name]))
		if err != nil {
			return nil, fmt.Errorf("failed to parse %s: %w", name, err)
		}
		for _, n := range nodes {
			if err := n.PipeE(kyaml.SetAnnotation(filenameAnnotation, name)); err != nil {
				return nil, fmt.Errorf("failed to mark the file of a document of %s: %w", name, err)
			}
		}
		docs = append(docs, nodes...)
	}
	if len(docs) == 0 {
		return map[string]string{}, nil
	}
	stream, err := kio.StringAll(docs)
	if err != nil {
		return nil, fmt.Errorf("failed to encode %s: %w", in, err)
	}
	done, err := pr.Run(bytes.NewBufferString(stream))
	if err != nil {
		return nil, fmt.Errorf("error while running post render on %s: %w", in, err)
	}
	nodes, err := kio.FromBytes(done.Bytes())
	if err != nil {
		return nil, fmt.Errorf("failed to parse the post-rendered output of %s: %w", in, err)
	}
	byFile := map[string][]*kyaml.RNode{}
	for i, n := range nodes {
		name := n.GetAnnotations()[filenameAnnotation]
		if name == "" {
			name = "generated-by-postrender-" + prefix + strconv.Itoa(i) + ".yaml"
		}
		// The marker goes, and with it the annotations it alone made.
		if _, err := n.Pipe(kyaml.ClearAnnotation(filenameAnnotation)); err != nil {
			return nil, fmt.Errorf("failed to unmark a post-rendered document of %s: %w", name, err)
		}
		if err := kyaml.ClearEmptyAnnotations(n); err != nil {
			return nil, fmt.Errorf("failed to unmark a post-rendered document of %s: %w", name, err)
		}
		byFile[name] = append(byFile[name], n)
	}
	out := make(map[string]string, len(byFile))
	for name, ns := range byFile {
		s, err := kio.StringAll(ns)
		if err != nil {
			return nil, fmt.Errorf("failed to encode the post-rendered %s: %w", name, err)
		}
		out[name] = s
	}
	return out, nil
}

// printingChart returns a chart named and described as chrt whose templates print files
// verbatim, each under the name Helm gives the template it came from.
func printingChart(chrt *chart.Chart, files map[string]string) *chart.Chart {
	meta := *chrt.Metadata
	meta.Dependencies = nil
	out := &chart.Chart{Metadata: &meta}
	prefix := chrt.Name() + "/"
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for i, name := range names {
		tpl := strings.TrimPrefix(name, prefix)
		if tpl == name {
			tpl = path.Join("templates", name)
		}
		data := renderedDir + strconv.Itoa(i)
		out.Files = append(out.Files, &chart.File{Name: data, Data: []byte(files[name])})
		out.Templates = append(out.Templates, &chart.File{Name: tpl, Data: []byte(`{{ .Files.Get "` + data + `" }}`)})
	}
	return out
}

// upgradeValues returns the values an upgrade of last renders with, as Helm's upgrade
// reuses or resets the values of the current release; with preserve it also gives chrt the
// values of that release's chart, as Helm does.
func (c *Client) upgradeValues(name string, chrt *chart.Chart, vals map[string]any, preserve bool) (map[string]any, *release.Release, *release.Release, error) {
	last, err := c.cfg.Releases.Last(name)
	if err != nil {
		return nil, nil, nil, err
	}
	if last.Info.Status.IsPending() {
		return nil, nil, nil, errors.New("another operation (install/upgrade/rollback) is in progress")
	}
	current := last
	if last.Info.Status != release.StatusDeployed {
		current, err = c.cfg.Releases.Deployed(name)
		if errors.Is(err, driver.ErrNoDeployedReleases) &&
			(last.Info.Status == release.StatusFailed || last.Info.Status == release.StatusSuperseded) {
			current, err = last, nil
		}
		if err != nil {
			return nil, nil, nil, err
		}
	}
	if !preserve {
		return vals, last, current, nil
	}
	old, err := chartutil.CoalesceValues(current.Chart, current.Config)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("failed to rebuild old values: %w", err)
	}
	chrt.Values = old
	return chartutil.CoalesceTables(vals, current.Config), last, current, nil
}

// swap replaces, in the releases Helm stores, the chart that prints a prerendered release
// by the user's chart it was rendered from.
type swap struct {
	printing, user *chart.Chart
}

// swapDriver stores releases through Driver, with the user's chart in place of the printing
// one.
type swapDriver struct {
	driver.Driver
	swap *swap
}

// Create stores rls.
func (d *swapDriver) Create(key string, rls *release.Release) error {
	d.fix(rls)
	return d.Driver.Create(key, rls)
}

// Update stores rls over its previous record.
func (d *swapDriver) Update(key string, rls *release.Release) error {
	d.fix(rls)
	return d.Driver.Update(key, rls)
}

// fix gives rls the user's chart when it carries the printing one.
func (d *swapDriver) fix(rls *release.Release) {
	if d.swap.printing != nil && rls != nil && rls.Chart == d.swap.printing {
		rls.Chart = d.swap.user
	}
}

// unswap ends what prerender started: the next action stores the charts it is given.
func (c *Client) unswap() { c.swap = swap{} }
