package policy

import (
	"fmt"
	"testing"

	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
)

// benchTags are 10,000 tags as a busy repository holds them: releases, pre-releases, and
// CI builds named after a branch, a commit and a timestamp.
func benchTags() []string {
	tags := make([]string, 0, 10000)
	for i := range 10000 {
		switch i % 4 {
		case 0:
			tags = append(tags, fmt.Sprintf("%d.%d.%d", i/1000, i/10%100, i%10))
		case 1:
			tags = append(tags, fmt.Sprintf("v%d.%d.%d-rc.%d", i/1000, i/10%100, i%10, i%3))
		case 2:
			tags = append(tags, fmt.Sprintf("main-%07x-%d", i*7919, 1700000000+i))
		default:
			tags = append(tags, fmt.Sprintf("pr-%d-%07x", i, i*104729))
		}
	}
	return tags
}

// BenchmarkSelect10000 elects the latest of 10,000 tags with each kind of policy (the issue
// asks for at most 20 ms per evaluation).
func BenchmarkSelect10000(b *testing.B) {
	tags := benchTags()
	for _, tc := range []struct {
		name string
		spec imagev1.ImagePolicySpec
	}{
		{"semver", imagev1.ImagePolicySpec{Policy: semverPolicy(">=1.0.0 <9.0.0")}},
		{"semver-prerelease", imagev1.ImagePolicySpec{Policy: semverPolicy(">=1.0.0-0")}},
		{"alphabetical-extract", imagev1.ImagePolicySpec{Policy: alphabeticalPolicy("asc"),
			FilterTags: &imagev1.TagFilter{Pattern: `^main-[a-f0-9]+-(?P<ts>[0-9]+)$`, Extract: "$ts"}}},
		{"numerical-extract", imagev1.ImagePolicySpec{Policy: numericalPolicy("asc"),
			FilterTags: &imagev1.TagFilter{Pattern: `^main-[a-f0-9]+-(?P<ts>[0-9]+)$`, Extract: "$ts"}}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s, err := New(tc.spec)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, _, ok := s.Select(tags); !ok {
					b.Fatal("nothing elected")
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/eval")
		})
	}
}
