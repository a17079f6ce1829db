package index

import (
	"errors"
	"strings"
	"testing"
)

const getIndex = `apiVersion: v1
entries:
  app:
  - {version: 1.0.0, urls: [app-1.0.0.tgz]}
  - {version: 1.1.0, urls: [app-1.1.0.tgz]}
  - {version: 1.2.0-rc.1, urls: [app-1.2.0-rc.1.tgz]}
  - {version: 2.0.0+build.1, urls: [app-2.0.0.tgz], digest: d2}
  empty: []
`

func TestGet(t *testing.T) {
	x, err := Parse(strings.NewReader(getIndex))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		chart, constraint, want string
		err                     error
	}{
		{"app", "", "2.0.0+build.1", nil},
		{"app", "*", "2.0.0+build.1", nil},
		{"app", "1.x", "1.1.0", nil},
		{"app", ">=1.0.0-0 <2.0.0", "1.2.0-rc.1", nil},
		{"app", "1.0.0", "1.0.0", nil},
		{"app", "2.0.0+build.1", "2.0.0+build.1", nil},
		{"app", "3.x", "", ErrVersionNotFound},
		{"app", "latest", "", ErrInvalidConstraint},
		{"nope", "*", "", ErrChartNotFound},
		{"empty", "*", "", ErrVersionNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.chart+"@"+tt.constraint, func(t *testing.T) {
			v, err := x.Get(tt.chart, tt.constraint)
			if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
				t.Fatalf("error = %v, want %v", err, tt.err)
			}
			if v.Version != tt.want {
				t.Errorf("version = %q, want %q", v.Version, tt.want)
			}
		})
	}
}

func TestGetMessagesNameChartAndRange(t *testing.T) {
	x, err := Parse(strings.NewReader(getIndex))
	if err != nil {
		t.Fatal(err)
	}
	_, err = x.Get("app", "9.x")
	want := `no version of chart "app" matches "9.x" (newest: 2.0.0+build.1, 1.2.0-rc.1, 1.1.0, 1.0.0)`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error = %v, want %q", err, want)
	}
	if got := strings.Join(x.Charts(), ","); got != "app,empty" || x.Len() != 4 || x.Size() <= 0 {
		t.Errorf("Charts = %s, Len = %d, Size = %d", got, x.Len(), x.Size())
	}
}
