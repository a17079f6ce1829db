package demo

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"

	"github.com/ferry-gitops/ferry/shared/testing/helmrepo"
)

// ChartVersions are the versions of the chart hello the chart repository serves; the
// HelmRelease asks for 1.x, so it installs the last one.
var ChartVersions = []string{"1.0.0", "1.1.0"}

// chartVersionLine matches the version and appVersion lines of a Chart.yaml.
var chartVersionLine = regexp.MustCompile(`(?m)^(version|appVersion): .*$`)

// publishCharts starts a chart repository serving the chart in dir once per ChartVersions
// (its Chart.yaml's version and appVersion set to each).
func publishCharts(dir string) (*helmrepo.Server, error) {
	files := map[string]string{}
	err := fs.WalkDir(os.DirFS(dir), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		files[p] = string(data)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("failed to read the demo chart: %w", err)
	}
	if _, ok := files["Chart.yaml"]; !ok {
		return nil, fmt.Errorf("failed to read the demo chart: %s holds no Chart.yaml", dir)
	}
	repo, err := helmrepo.New(helmrepo.Options{})
	if err != nil {
		return nil, err
	}
	chart := files["Chart.yaml"]
	for _, v := range ChartVersions {
		files["Chart.yaml"] = chartVersionLine.ReplaceAllString(chart, `$1: "`+v+`"`)
		if _, err := repo.AddChart(files); err != nil {
			repo.Close()
			return nil, fmt.Errorf("failed to package the demo chart %s: %w", v, err)
		}
	}
	if err := repo.WriteGeneratedIndex(""); err != nil {
		repo.Close()
		return nil, fmt.Errorf("failed to index the demo charts: %w", err)
	}
	return repo, nil
}
