package imageupdateautomation

import (
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
)

// seed004Automation is seed 004's ImageUpdateAutomation (image.toolkit.fluxcd.io/v1beta1,
// re-indented), pointed at the test's GitRepository: its template uses .Updated.Images.
const seed004Automation = `apiVersion: image.toolkit.fluxcd.io/v1beta1
kind: ImageUpdateAutomation
metadata:
  name: flux-system
  namespace: NS
spec:
  interval: 5m
  sourceRef:
    kind: GitRepository
    name: apps
  git:
    checkout:
      ref: { branch: main }
    commit:
      author:
        email: flux@company.com
        name: Flux
      messageTemplate: "chore: update image to {{range .Updated.Images}}{{println .}}{{end}}"
    push:
      branch: main
`

// TestSeed004UpdatedTemplate: seed 004's v1beta1 automation, with no spec.update (the whole
// repository), renders the older .Updated data as older Flux did, and warns once that it is
// deprecated.
func TestSeed004UpdatedTemplate(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t, nil)
	f.repos.Commit(t, "repo", "main", "payment", map[string]string{
		"deploy/base/deployment.yaml": "spec:\n  containers:\n  - name: payment-api\n" +
			"    image: myacr.azurecr.io/payment-api:v1.0.0 # {\"$imagepolicy\": \"" + f.ns + ":payment-api\"}\n",
		"deploy/overlays/production/patch.yaml": "image: myacr.azurecr.io/payment-api:v1.0.0 # {\"$imagepolicy\": \"" + f.ns + ":payment-api\"}\n",
	})
	f.policy(t, "payment-api", "myacr.azurecr.io/payment-api", "v1.1.0", nil)
	obj := applyYAML(t, f.ns, seed004Automation)
	cur := pushed(t, obj, "")
	msg, _ := gitRaw(f.bare(), "log", "-1", "--format=%B", cur.Status.LastPushCommit)
	g.Expect(msg).To(Equal("chore: update image to myacr.azurecr.io/payment-api:v1.1.0\n\n"), "one image, printed once")
	for _, p := range []string{"deploy/base/deployment.yaml", "deploy/overlays/production/patch.yaml"} {
		g.Expect(f.show(t, cur.Status.LastPushCommit, p)).To(ContainSubstring("payment-api:v1.1.0 # {"))
	}
	warnings := statuscheck.Events(t, k8s, obj, imagev1.ImageUpdateAutomationKind, imagev1.RemovedTemplateFieldReason)
	g.Expect(warnings).To(HaveLen(1))
	g.Expect(warnings[0]).To(And(HavePrefix("Warning RemovedTemplateField:"), ContainSubstring("use .Changed instead")))
	pushedEvents := statuscheck.Events(t, k8s, obj, imagev1.ImageUpdateAutomationKind, fluxmeta.SucceededReason)
	g.Expect(strings.Join(pushedEvents, "\n")).To(ContainSubstring("committed and pushed " + cur.Status.LastPushCommit + " to main"))
}
