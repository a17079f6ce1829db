// Package index reads Helm repository indexes (index.yaml) into a compact form that holds only
// what resolving a chart needs: for every chart name, its versions with their download URLs
// and digests, newest first. Parse streams the index one chart version at a time, so reading a
// large index takes memory in proportion to the compact result, not to the file; Cache shares
// one parsed index per content digest between all the charts that resolve from it.
package index

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"unsafe"

	"github.com/Masterminds/semver/v3"
)

// ErrChartNotFound is matched (with errors.Is) by errors reporting that the index has no
// chart of the requested name.
var ErrChartNotFound = errors.New("chart not found")

// ErrVersionNotFound is matched (with errors.Is) by errors reporting that no version of the
// chart matches the requested version or range.
var ErrVersionNotFound = errors.New("chart version not found")

// ErrInvalidConstraint is matched (with errors.Is) by errors reporting that the requested
// version is neither a version nor a semver range.
var ErrInvalidConstraint = errors.New("invalid version constraint")

// Version is one version of a chart in an index.
type Version struct {
	// Name is the chart's name.
	Name string
	// Version is the chart's version as the index writes it.
	Version string
	// URLs are where the packaged chart can be downloaded, absolute or relative to the
	// repository URL.
	URLs []string
	// Digest is the SHA-256 hex digest of the packaged chart the index records, if any.
	Digest string

	semver *semver.Version
}

// Index is a parsed repository index. It is read-only once parsed and safe for concurrent use.
type Index struct {
	// APIVersion is the index's apiVersion.
	APIVersion string

	entries map[string][]Version
	size    int64
}

// Len returns the number of chart versions in the index.
func (x *Index) Len() int {
	n := 0
	for _, v := range x.entries {
		n += len(v)
	}
	return n
}

// Charts returns the chart names in the index, sorted.
func (x *Index) Charts() []string {
	names := make([]string, 0, len(x.entries))
	for name := range x.entries {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Size estimates the memory the parsed index takes, in bytes.
func (x *Index) Size() int64 { return x.size }

// Get returns the newest version of chart name that matches constraint: an exact version
// (as written in the index, build metadata included) or a semver range such as "1.2.x" or
// ">=1.0.0 <2.0.0". An empty constraint means "*", the newest stable version.
func (x *Index) Get(name, constraint string) (Version, error) {
	versions, ok := x.entries[name]
	if !ok {
		return Version{}, fmt.Errorf("no chart named %q in the repository index: %w", name, ErrChartNotFound)
	}
	if constraint == "" {
		constraint = "*"
	}
	for _, v := range versions {
		if v.Version == constraint {
			return v, nil
		}
	}
	c, err := semver.NewConstraint(constraint)
	if err != nil {
		return Version{}, fmt.Errorf("version %q of chart %q is not a semver range: %w", constraint, name, ErrInvalidConstraint)
	}
	for _, v := range versions {
		if c.Check(v.semver) {
			return v, nil
		}
	}
	return Version{}, fmt.Errorf("no version of chart %q matches %q (%s): %w", name, constraint, describe(versions), ErrVersionNotFound)
}

// describe names the newest few versions, for error messages.
func describe(versions []Version) string {
	const shown = 5
	if len(versions) == 0 {
		return "the index lists no versions"
	}
	names := make([]string, 0, shown)
	for _, v := range versions[:min(shown, len(versions))] {
		names = append(names, v.Version)
	}
	s := "newest: " + strings.Join(names, ", ")
	if len(versions) > shown {
		s += fmt.Sprintf(" and %d more", len(versions)-shown)
	}
	return s
}

// add records a version of a chart; versions that are not semver are left out, as Helm does.
func (x *Index) add(chart string, r rawVersion) {
	if r.Version == "" {
		return
	}
	sv, err := semver.NewVersion(r.Version)
	if err != nil {
		return
	}
	v := Version{Name: chart, Version: r.Version, URLs: r.URLs, Digest: r.Digest, semver: sv}
	x.entries[chart] = append(x.entries[chart], v)
	x.size += versionSize(v)
}

// sortEntries orders every chart's versions newest first (stable, so equal versions keep the
// index's order).
func (x *Index) sortEntries() {
	for _, versions := range x.entries {
		sort.SliceStable(versions, func(i, j int) bool { return versions[i].semver.GreaterThan(versions[j].semver) })
	}
}

// versionSize estimates the bytes one Version holds.
func versionSize(v Version) int64 {
	n := int64(unsafe.Sizeof(v)) + int64(unsafe.Sizeof(semver.Version{})) + 2*int64(len(v.Version))
	n += int64(len(v.Digest)) + int64(len(v.URLs))*16
	for _, u := range v.URLs {
		n += int64(len(u))
	}
	return n
}

// rawVersion is what Parse reads of one chart version.
type rawVersion struct {
	Version string   `yaml:"version" json:"version"`
	URLs    []string `yaml:"urls" json:"urls"`
	Digest  string   `yaml:"digest" json:"digest"`
}
