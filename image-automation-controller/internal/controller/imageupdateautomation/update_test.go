package imageupdateautomation

import (
	"context"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
)

// seedDeployment is seed 002's apps/base/my-app/deployment.yaml (image marked for the policy
// flux-system:my-app), with its namespace set by the test.
const seedDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: my-app
  labels:
    app: my-app
spec:
  replicas: 2
  selector:
    matchLabels:
      app: my-app
  template:
    metadata:
      labels:
        app: my-app
    spec:
      containers:
        - name: my-app
          image: ghcr.io/myorg/my-app:v1.0.0 # {"$imagepolicy": "NS:my-app"}
          ports:
            - containerPort: 8080
          # Liveness probe for health checking
          livenessProbe:
            httpGet:
              path: /healthz
              port: 8080
`

// seedAutomation is seed 002's ImageUpdateAutomation (image.toolkit.fluxcd.io/v1beta2) as
// written, in the test's namespace.
const seedAutomation = `apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageUpdateAutomation
metadata:
  name: my-app
  namespace: NS
spec:
  interval: 30m
  sourceRef:
    kind: GitRepository
    name: apps
  git:
    checkout:
      ref:
        branch: main
    commit:
      author:
        name: fluxcdbot
        email: flux@myorg.com
      messageTemplate: "chore: update my-app to {{range .Changed.Changes}}{{.NewValue}}{{end}}"
    push:
      branch: main
  update:
    path: ./apps
    strategy: Setters
`

// applyYAML creates the object of doc (NS replaced by ns) and returns it as
// ImageUpdateAutomation v1, the version the controller reads.
func applyYAML(t *testing.T, ns, doc string) *imagev1.ImageUpdateAutomation {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(strings.ReplaceAll(doc, "NS", ns)), &u.Object); err != nil {
		t.Fatal(err)
	}
	create(t, u)
	return &imagev1.ImageUpdateAutomation{ObjectMeta: *objectMeta(u)}
}

// TestSeedLoop: seed 002 as written. The policy elects v1.2.4: one commit on main with the
// seed's message rewrites only the image in deployment.yaml; the status and the event say
// so. A run with nothing new fetches nothing and commits nothing; the policy electing
// v1.2.5 wakes the automation at once (its interval is 30m).
func TestSeedLoop(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t, nil)
	deployment := strings.ReplaceAll(seedDeployment, "NS", f.ns)
	before := f.repos.Commit(t, "repo", "main", "my-app", map[string]string{"apps/base/my-app/deployment.yaml": deployment, "README.md": "# apps\n"})
	f.policy(t, "my-app", "ghcr.io/myorg/my-app", "v1.2.4", nil)
	obj := applyYAML(t, f.ns, seedAutomation)

	cur := pushed(t, obj, "")
	head := f.head("refs/heads/main")
	g.Expect(cur.Status.LastPushCommit).To(Equal(head))
	g.Expect(f.head(head+"^")).To(Equal(before), "one commit on top of the one checked out")
	g.Expect(f.show(t, head, "apps/base/my-app/deployment.yaml")).To(Equal(
		strings.Replace(deployment, "ghcr.io/myorg/my-app:v1.0.0", "ghcr.io/myorg/my-app:v1.2.4", 1)), "only the image changed")
	msg, _ := gitRaw(f.bare(), "log", "-1", "--format=%an <%ae>%n%B", head)
	g.Expect(msg).To(Equal("fluxcdbot <flux@myorg.com>\nchore: update my-app to ghcr.io/myorg/my-app:v1.2.4\n"))
	g.Expect(cur.Status.ObservedSourceRevision).To(Equal("main@sha1:" + head))
	g.Expect(cur.Status.ObservedPolicies).To(Equal(imagev1.ObservedPolicies{"my-app": {Name: "ghcr.io/myorg/my-app", Tag: "v1.2.4"}}))
	g.Expect(cur.Status.LastPushTime).NotTo(BeNil())
	g.Expect(cur.Status.LastAutomationRunTime).NotTo(BeNil())
	g.Expect(conditions.Get(cur, fluxmeta.ReadyCondition).Message).To(Equal("repository up-to-date"))
	g.Expect(statuscheck.Events(t, k8s, obj, imagev1.ImageUpdateAutomationKind, fluxmeta.SucceededReason)).To(ContainElement(
		"Normal Succeeded: committed and pushed " + head + " to main\nchore: update my-app to ghcr.io/myorg/my-app:v1.2.4"))

	source := &sourcev1.GitRepository{}
	g.Expect(k8s.Get(context.Background(), keyOf(f.ns, "apps"), source)).To(Succeed())
	g.Expect(source.Annotations).To(HaveKey(fluxmeta.ReconcileRequestAnnotation), "the GitRepository is asked to fetch the push at once")

	fetches := f.repos.Fetches("repo")
	cur = statuscheck.RequestReconcile(t, k8s, obj)
	g.Expect(f.repos.Fetches("repo")).To(Equal(fetches), "a run with nothing new fetches nothing")
	g.Expect(f.head("refs/heads/main")).To(Equal(head), "and pushes nothing")
	g.Expect(conditions.IsReady(cur)).To(BeTrue())

	elect(t, policyRef(f.ns, "my-app"), &imagev1.ImageRef{Name: "ghcr.io/myorg/my-app", Tag: "v1.2.5"})
	cur = pushed(t, obj, head)
	g.Expect(f.show(t, cur.Status.LastPushCommit, "apps/base/my-app/deployment.yaml")).To(ContainSubstring("my-app:v1.2.5 # {"))
	g.Expect(f.head(cur.Status.LastPushCommit + "^")).To(Equal(head))
}

// policyRef names an ImagePolicy.
func policyRef(ns, name string) *imagev1.ImagePolicy {
	p := &imagev1.ImagePolicy{}
	p.Namespace, p.Name = ns, name
	return p
}
