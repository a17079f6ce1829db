package chart

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"time"

	"github.com/Masterminds/semver/v3"
	helmchart "helm.sh/helm/v3/pkg/chart"
	"sigs.k8s.io/yaml"
)

// VersionWithMetadata returns version with its build metadata replaced ("1.2.3" with "abc"
// becomes "1.2.3+abc").
func VersionWithMetadata(version, metadata string) (string, error) {
	v, err := semver.NewVersion(version)
	if err != nil {
		return "", fmt.Errorf("chart version %q is not semver: %w", version, err)
	}
	nv, err := v.SetMetadata(metadata)
	if err != nil {
		return "", fmt.Errorf("failed to set build metadata %q on version %s: %w", metadata, version, err)
	}
	return nv.String(), nil
}

// epoch is the modification time of every packaged file, so that packaging is deterministic.
var epoch = time.Unix(0, 0).UTC()

// Package writes the chart as <name>-<version>.tgz into dir, in the layout Helm packages
// (dependencies under charts/), and returns the file's path. The same chart always gives the
// same bytes, so an unchanged chart gets the same digest.
func Package(c *helmchart.Chart, dir string) (string, error) {
	if err := c.Validate(); err != nil {
		return "", fmt.Errorf("failed to package chart %q: invalid chart: %w", c.Name(), err)
	}
	p := filepath.Join(dir, fmt.Sprintf("%s-%s.tgz", c.Name(), c.Metadata.Version))
	f, err := os.Create(p)
	if err != nil {
		return "", fmt.Errorf("failed to package chart %q: %w", c.Name(), err)
	}
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	err = writeChart(tw, c, "")
	err = errors.Join(err, tw.Close(), gz.Close(), f.Close())
	if err != nil {
		_ = os.Remove(p)
		return "", fmt.Errorf("failed to package chart %q: %w", c.Name(), err)
	}
	return p, nil
}

// writeChart writes the files of c, and of its dependencies, below prefix.
func writeChart(tw *tar.Writer, c *helmchart.Chart, prefix string) error {
	base := path.Join(prefix, c.Name())
	md := *c.Metadata
	if md.APIVersion == helmchart.APIVersionV1 {
		md.Dependencies = nil // v1 charts declare them in requirements.yaml
	}
	data, err := yaml.Marshal(&md)
	if err != nil {
		return err
	}
	files := []*helmchart.File{{Name: "Chart.yaml", Data: data}}
	if c.Lock != nil && md.APIVersion == helmchart.APIVersionV2 {
		lock, err := yaml.Marshal(c.Lock)
		if err != nil {
			return err
		}
		files = append(files, &helmchart.File{Name: "Chart.lock", Data: lock})
	}
	for _, f := range c.Raw {
		if f.Name == valuesFile {
			files = append(files, f)
		}
	}
	if c.Schema != nil {
		files = append(files, &helmchart.File{Name: "values.schema.json", Data: c.Schema})
	}
	files = append(append(files, c.Templates...), c.Files...)
	for _, f := range files {
		hdr := &tar.Header{Name: path.Join(base, f.Name), Mode: 0o644, Size: int64(len(f.Data)), ModTime: epoch, Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(f.Data); err != nil {
			return err
		}
	}
	for _, dep := range c.Dependencies() {
		if err := writeChart(tw, dep, path.Join(base, "charts")); err != nil {
			return err
		}
	}
	return nil
}
