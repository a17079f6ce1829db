package chart

import (
	"strings"

	helmchart "helm.sh/helm/v3/pkg/chart"
)

// ociDigestLength is how many hex characters of an OCI artifact digest are appended to the
// chart version, so that a new artifact under an unchanged version is a new release.
const ociDigestLength = 12

// OCIDigest returns the 'sha256:<hex>' digest in an OCI artifact revision such as
// '1.2.3@sha256:<hex>', or nothing when the revision has none.
func OCIDigest(revision string) string {
	if _, d, ok := strings.Cut(revision, "@"); ok && strings.Contains(d, ":") {
		return d
	}
	if strings.HasPrefix(revision, "sha256:") {
		return revision
	}
	return ""
}

// AddOCIDigest appends the first 12 hex characters of digest to the version of c as build
// metadata ('1.2.3+0123456789ab'), and returns the new version. A digest without a hex part
// leaves c unchanged.
func AddOCIDigest(c *helmchart.Chart, digest string) string {
	_, hex, _ := strings.Cut(digest, ":")
	if len(hex) < ociDigestLength {
		return c.Metadata.Version
	}
	sep := "+"
	if strings.Contains(c.Metadata.Version, "+") {
		sep = "."
	}
	c.Metadata.Version += sep + hex[:ociDigestLength]
	return c.Metadata.Version
}
