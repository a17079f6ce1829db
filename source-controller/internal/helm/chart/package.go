package chart

import (
	"fmt"

	"github.com/Masterminds/semver/v3"
	helmchart "helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
)

// SetVersionMetadata replaces the build metadata of the chart's version ("1.2.3" with
// "abc" becomes "1.2.3+abc").
func SetVersionMetadata(c *helmchart.Chart, metadata string) error {
	v, err := semver.NewVersion(c.Metadata.Version)
	if err != nil {
		return fmt.Errorf("chart version %q is not semver: %w", c.Metadata.Version, err)
	}
	nv, err := v.SetMetadata(metadata)
	if err != nil {
		return fmt.Errorf("failed to set build metadata %q on version %s: %w", metadata, c.Metadata.Version, err)
	}
	c.Metadata.Version = nv.String()
	return nil
}

// Package writes the chart as <name>-<version>.tgz into dir and returns the file's path.
func Package(c *helmchart.Chart, dir string) (string, error) {
	p, err := chartutil.Save(c, dir)
	if err != nil {
		return "", fmt.Errorf("failed to package chart %q: %w", c.Name(), err)
	}
	return p, nil
}
