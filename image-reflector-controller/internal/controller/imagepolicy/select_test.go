package imagepolicy

import (
	"testing"

	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/client"

	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/testing/registry"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
)

func keyOf(o client.Object) client.ObjectKey { return client.ObjectKeyFromObject(o) }

// TestSelectLatest elects the highest tag of a semver range from the stored tags (no
// registry call), follows the repository's next set of tags at once (a watch), keeps the
// previous image, and tells of each change with an event.
func TestSelectLatest(t *testing.T) {
	g := NewWithT(t)
	r := registry.New(t, registry.Options{})
	ns := namespace(t)
	repo := newRepo(t, ns, "app", r.Repo("app"))
	scanned(t, repo, "1.0.0", "1.1.0", "2.0.0-rc.1", "latest")
	obj := newPolicy(t, ns, "app", semver("app", "1.x"))
	got := waitTag(t, obj, "1.1.0")
	g.Expect(*got.Status.LatestRef).To(Equal(imagev1.ImageRef{Name: r.Repo("app"), Tag: "1.1.0"}))
	g.Expect(got.Status.LatestImage).To(Equal(r.Repo("app") + ":1.1.0"))
	g.Expect(got.Status.ObservedPreviousRef).To(BeNil())
	g.Expect(readyMessage(got)).To(Equal("Latest image tag for '" + r.Repo("app") + "' resolved to 1.1.0"))

	scanned(t, repo, "1.0.0", "1.1.0", "1.2.0", "2.0.0-rc.1", "latest")
	got = waitTag(t, obj, "1.2.0")
	g.Expect(*got.Status.ObservedPreviousRef).To(Equal(imagev1.ImageRef{Name: r.Repo("app"), Tag: "1.1.0"}))
	g.Expect(got.Status.ObservedPreviousImage).To(Equal(r.Repo("app") + ":1.1.0"))
	g.Eventually(func() []string {
		return statuscheck.Events(t, suite.Env.Client, obj, imagev1.ImagePolicyKind, fluxmeta.SucceededReason)
	}, statuscheck.Timeout).Should(Equal([]string{
		"Normal Succeeded: Latest image tag for '" + r.Repo("app") + "' resolved to 1.1.0",
		"Normal Succeeded: Latest image tag for '" + r.Repo("app") + "' updated from 1.1.0 to 1.2.0",
	}))

	statuscheck.Update(t, suite.Env.Client, obj, func(p *imagev1.ImagePolicy) { p.Spec.Policy.SemVer.Range = ">=2.0.0-0" })
	waitTag(t, obj, "2.0.0-rc.1")
	g.Expect(r.Counts()).To(Equal(registry.Counts{}), "a policy is evaluated without calling the registry")
}

// TestPolicies runs each order with and without a filter on the controller.
func TestPolicies(t *testing.T) {
	ns := namespace(t)
	repo := newRepo(t, ns, "builds", "127.0.0.1:1/builds")
	scanned(t, repo, "1.0.0", "v1.3.0", "main-abc-1700000300", "main-def-1700000100", "dev-fff-1800000000", "42", "7")
	for _, tc := range []struct {
		name   string
		policy imagev1.ImagePolicyChoice
		filter *imagev1.TagFilter
		want   string
	}{
		{"semver", imagev1.ImagePolicyChoice{SemVer: &imagev1.SemVerPolicy{Range: ">=1.0.0 <2"}}, nil, "v1.3.0"},
		{"alphabetical", imagev1.ImagePolicyChoice{Alphabetical: &imagev1.AlphabeticalPolicy{Order: imagev1.OrderAsc}}, nil, "v1.3.0"},
		{"alphabetical-desc", imagev1.ImagePolicyChoice{Alphabetical: &imagev1.AlphabeticalPolicy{Order: imagev1.OrderDesc}}, nil, "1.0.0"},
		{"numerical", imagev1.ImagePolicyChoice{Numerical: &imagev1.NumericalPolicy{Order: imagev1.OrderAsc}}, nil, "42"},
		{"numerical-desc", imagev1.ImagePolicyChoice{Numerical: &imagev1.NumericalPolicy{Order: imagev1.OrderDesc}}, nil, "7"},
		{"filter-extract", imagev1.ImagePolicyChoice{Numerical: &imagev1.NumericalPolicy{Order: imagev1.OrderAsc}},
			&imagev1.TagFilter{Pattern: `^main-[a-f0-9]+-(?P<ts>[0-9]+)$`, Extract: "$ts"}, "main-abc-1700000300"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := imagev1.ImagePolicySpec{ImageRepositoryRef: fluxmeta.NamespacedObjectReference{Name: "builds"}, Policy: tc.policy, FilterTags: tc.filter}
			waitTag(t, newPolicy(t, ns, tc.name, spec), tc.want)
		})
	}
}

// TestNoMatchThenMatch: no tag in the range is Ready=False naming the policy and how many tags
// were considered; the repository's next tags wake the policy.
func TestNoMatchThenMatch(t *testing.T) {
	ns := namespace(t)
	repo := newRepo(t, ns, "app", "127.0.0.1:1/app")
	scanned(t, repo, "1.0.0", "1.1.0", "latest")
	obj := newPolicy(t, ns, "app", semver("app", ">=2.0.0"))
	statuscheck.NotReady(t, suite.Env.Client, obj, fluxmeta.ReconciliationFailedReason,
		"no tag of ImageRepository '"+ns+"/app' satisfies the semver range '>=2.0.0' of ImagePolicy '"+ns+"/app' (3 tags considered)")
	filtered := semver("app", ">=2.0.0")
	filtered.FilterTags = &imagev1.TagFilter{Pattern: `^1\.`}
	statuscheck.NotReady(t, suite.Env.Client, newPolicy(t, ns, "filtered", filtered), fluxmeta.ReconciliationFailedReason,
		"(2 of 3 tags pass spec.filterTags)")
	scanned(t, repo, "1.0.0", "1.1.0", "2.0.0", "latest")
	waitTag(t, obj, "2.0.0")
}

// TestRepositoryNotReady waits for a missing repository, then for its first scan.
func TestRepositoryNotReady(t *testing.T) {
	ns := namespace(t)
	obj := newPolicy(t, ns, "app", semver("later", "*"))
	statuscheck.NotReady(t, suite.Env.Client, obj, fluxmeta.DependencyNotReadyReason, "ImageRepository '"+ns+"/later' not found")
	repo := newRepo(t, ns, "later", "127.0.0.1:1/later")
	statuscheck.NotReady(t, suite.Env.Client, obj, fluxmeta.DependencyNotReadyReason, "ImageRepository '"+ns+"/later' has not been scanned yet")
	scanned(t, repo, "3.0.0")
	waitTag(t, obj, "3.0.0")
}

// TestInvalidPolicy stalls on a policy that cannot work, naming the field.
func TestInvalidPolicy(t *testing.T) {
	ns := namespace(t)
	scanned(t, newRepo(t, ns, "app", "127.0.0.1:1/app"), "1.0.0")
	badRange := semver("app", "one point oh")
	statuscheck.Stalled(t, suite.Env.Client, newPolicy(t, ns, "range", badRange), imagev1.InvalidPolicyReason,
		"invalid spec.policy.semver.range: 'one point oh' is not a semver range")
	badPattern := semver("app", "*")
	badPattern.FilterTags = &imagev1.TagFilter{Pattern: "^(v"}
	statuscheck.Stalled(t, suite.Env.Client, newPolicy(t, ns, "pattern", badPattern), imagev1.InvalidPolicyReason,
		"invalid spec.filterTags.pattern")
	badExtract := semver("app", "*")
	badExtract.FilterTags = &imagev1.TagFilter{Pattern: "^(?P<v>.*)$", Extract: "$version"}
	statuscheck.Stalled(t, suite.Env.Client, newPolicy(t, ns, "extract", badExtract), imagev1.InvalidPolicyReason,
		"invalid spec.filterTags.extract")
}

func readyMessage(obj *imagev1.ImagePolicy) string {
	for _, c := range obj.Status.Conditions {
		if c.Type == fluxmeta.ReadyCondition {
			return c.Message
		}
	}
	return ""
}
