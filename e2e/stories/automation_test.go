package stories

import (
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/ferry-gitops/ferry/e2e/fleet"
	"github.com/ferry-gitops/ferry/shared/testing/gitserver"
	"github.com/ferry-gitops/ferry/shared/testing/registry"
)

// seedDeploymentPath is seed 002's Deployment in the seed repository; its image carries the
// marker {"$imagepolicy": "flux-system:my-app"}.
const seedDeploymentPath = "apps/base/my-app/deployment.yaml"

// imageLoop is seed 002's closed loop, running: a local registry holding my-app, the seed
// repository on a Git server with its Deployment's image moved to that registry, and seed
// 002's GitRepository, Kustomization, ImageRepository, ImagePolicy and ImageUpdateAutomation
// as written (URLs and image changed).
type imageLoop struct {
	reg    *registry.Registry
	repos  *gitserver.Repos
	image  string
	source *unstructured.Unstructured
	ks     *unstructured.Unstructured
	repo   *unstructured.Unstructured
	policy *unstructured.Unstructured
	auto   *unstructured.Unstructured
}

// startImageLoop pushes my-app v1.0.0 to a local registry, serves the seed repository with
// the Deployment at <registry>/myorg/my-app:v1.0.0, applies seed 002's objects and waits
// until the Deployment runs v1.0.0 and the automation is Ready with nothing to do.
func startImageLoop(t testing.TB) *imageLoop {
	t.Helper()
	l := &imageLoop{reg: registry.New(t, registry.Options{})}
	l.image = l.reg.Repo("myorg/my-app")
	l.pushTag(t, "v1.0.0")
	files := seedRepoFiles(t)
	files[seedDeploymentPath] = replaceOnce(t, files[seedDeploymentPath], "ghcr.io/myorg/my-app", l.image)
	var url string
	l.repos, url = gitRepo(t, "gitops-repo", files)
	l.repos.Branch(t, "gitops-repo", "main", "master")
	ensureNamespace(t, "production")

	ns := fleet.Namespace
	l.source = seedObject(t, "GitRepository", "apps", ns)
	NewWithT(t).Expect(unstructured.SetNestedField(l.source.Object, url, "spec", "url")).To(Succeed())
	l.ks = seedObject(t, "Kustomization", "apps", ns)
	l.repo = seedObject(t, "ImageRepository", "my-app", ns)
	NewWithT(t).Expect(unstructured.SetNestedField(l.repo.Object, l.image, "spec", "image")).To(Succeed())
	l.policy = seedObject(t, "ImagePolicy", "my-app", ns)
	l.auto = seedObject(t, "ImageUpdateAutomation", "my-app", ns)
	apply(t, l.source, l.ks, l.repo, l.policy, l.auto)
	deleteOnCleanup(t, l.auto, l.policy, l.repo, l.ks, l.source)
	waitReady(t, l.ks)
	l.waitImage(t, "v1.0.0")
	waitLatest(t, l.policy, l.image, "v1.0.0")
	waitReady(t, l.auto)
	return l
}

// pushTag pushes tag of my-app to the registry.
func (l *imageLoop) pushTag(t testing.TB, tag string) {
	t.Helper()
	if _, err := l.reg.PushFiles("myorg/my-app", tag, map[string]string{"version": tag}, "", ""); err != nil {
		t.Fatal(err)
	}
}

// waitImage waits until Deployment production/my-app runs my-app:tag on all 3 replicas,
// and on no others.
func (l *imageLoop) waitImage(t testing.TB, tag string) *appsv1.Deployment {
	t.Helper()
	return waitDeployment(t, "production", "my-app", 3, func(g Gomega, d *appsv1.Deployment) {
		g.Expect(d.Spec.Template.Spec.Containers[0].Image).To(Equal(l.image + ":" + tag))
		g.Expect(d.Status.Replicas).To(BeEquivalentTo(3), "old replicas are gone")
	})
}

// TestStoryImageUpdateClosesTheLoop is seed 002's sequence diagram, with nobody touching
// anything after the tag push: CI pushes v1.2.4 to the registry (and, as a registry webhook
// would, asks the ImageRepository to scan); the ImagePolicy (1.x) elects it; the
// ImageUpdateAutomation (seed 002's v1beta2 object as written) commits the seed's message on
// main; the GitRepository gets the new revision; the Kustomization applies it and the
// Deployment runs v1.2.4, Available.
func TestStoryImageUpdateClosesTheLoop(t *testing.T) {
	dumpLogsOnFailure(t)
	g := NewWithT(t)
	step(t, "apply seed 002's GitRepository, Kustomization, ImageRepository, ImagePolicy and ImageUpdateAutomation (v1beta2) as written")
	l := startImageLoop(t)
	before := l.repos.Commit(t, "gitops-repo", "main", "nothing", nil)
	step(t, "Deployment production/my-app runs %s:v1.0.0; the automation has nothing to do", l.image)

	l.pushTag(t, "v1.2.4")
	requestReconcile(t, l.repo)
	step(t, "CI pushes %s:v1.2.4 and asks the ImageRepository to scan, as a registry webhook would", l.image)
	waitLatest(t, l.policy, l.image, "v1.2.4")
	step(t, "the ImagePolicy elects v1.2.4")
	auto := waitReady(t, l.auto, func(g Gomega, cur *unstructured.Unstructured) {
		commit, _, _ := unstructured.NestedString(cur.Object, "status", "lastPushCommit")
		g.Expect(commit).NotTo(BeEmpty())
	})
	commit, _, _ := unstructured.NestedString(auto.Object, "status", "lastPushCommit")
	bare := l.repos.BarePath("gitops-repo")
	g.Expect(gitserver.Git(t, bare, "rev-parse", "main")).To(Equal(commit))
	g.Expect(gitserver.Git(t, bare, "rev-parse", commit+"^")).To(Equal(before))
	g.Expect(gitserver.Git(t, bare, "log", "-1", "--format=%an <%ae>: %s", commit)).To(Equal(
		"fluxcdbot <flux@myorg.com>: chore: update my-app to " + l.image + ":v1.2.4"))
	g.Expect(gitserver.Git(t, bare, "diff", "--stat", before, commit)).To(ContainSubstring("1 file changed, 1 insertion(+), 1 deletion(-)"))
	step(t, "the automation committed %q on main (%s), changing one line", "chore: update my-app to "+l.image+":v1.2.4", commit[:12])

	waitReady(t, l.source, hasRevision("main@sha1:"+commit))
	waitReady(t, l.ks, hasRevision("main@sha1:"+commit))
	l.waitImage(t, "v1.2.4")
	step(t, "the GitRepository fetched it at once, the Kustomization applied it: production/my-app runs v1.2.4, Available")
}

// TestStoryImageUpdateOlderAPIAndBranch: seed 004's v1beta1 ImageUpdateAutomation, whose
// template uses the older .Updated data, commits on main with a deprecation warning; and an
// automation of another team pushes its updates to a branch of its own, leaving main alone.
func TestStoryImageUpdateOlderAPIAndBranch(t *testing.T) {
	dumpLogsOnFailure(t)
	g := NewWithT(t)
	l := startImageLoop(t)
	ns := fleet.Namespace
	bare := l.repos.BarePath("gitops-repo")

	step(t, "mark deploy/base/deployment.yaml's image as seed 004 does, for the ImagePolicy payment-api")
	files := seedRepoFiles(t)
	payment := replaceOnce(t, files["deploy/base/deployment.yaml"], "image: myapp:latest",
		`image: myacr.azurecr.io/payment-api:v1.0.0 # {"$imagepolicy": "flux-system:payment-api"}`)
	l.repos.Commit(t, "gitops-repo", "main", "mark payment-api", map[string]string{"deploy/base/deployment.yaml": payment})
	for _, tag := range []string{"v1.0.0", "v1.1.0"} {
		if _, err := l.reg.PushFiles("payment-api", tag, map[string]string{"version": tag}, "", ""); err != nil {
			t.Fatal(err)
		}
	}
	fleetInfra := gitRepository(ns, "fleet-infra", l.source.Object["spec"].(map[string]any)["url"].(string))
	repo := seedObject(t, "ImageRepository", "payment-api", ns)
	g.Expect(unstructured.SetNestedField(repo.Object, l.reg.Repo("payment-api"), "spec", "image")).To(Succeed())
	policy := seedObject(t, "ImagePolicy", "payment-api", ns)
	auto := seedObject(t, "ImageUpdateAutomation", "flux-system", ns)
	apply(t, fleetInfra, repo, policy, auto)
	deleteOnCleanup(t, auto, policy, repo, fleetInfra)
	step(t, "apply seed 004's ImageRepository, ImagePolicy (>=1.0.0) and v1beta1 ImageUpdateAutomation as written")
	cur := waitReady(t, auto, func(g Gomega, cur *unstructured.Unstructured) {
		commit, _, _ := unstructured.NestedString(cur.Object, "status", "lastPushCommit")
		g.Expect(commit).NotTo(BeEmpty())
	})
	commit, _, _ := unstructured.NestedString(cur.Object, "status", "lastPushCommit")
	g.Expect(gitserver.Git(t, bare, "log", "-1", "--format=%B", commit)).To(Equal("chore: update image to " + l.reg.Repo("payment-api") + ":v1.1.0"))
	g.Expect(gitserver.Git(t, bare, "show", commit+":deploy/base/deployment.yaml")).To(ContainSubstring(
		"image: " + l.reg.Repo("payment-api") + `:v1.1.0 # {"$imagepolicy": "flux-system:payment-api"}`))
	warning := kubectl(t, "", "get", "events", "--namespace="+ns, "--field-selector=involvedObject.name=flux-system,reason=RemovedTemplateField", "-o=jsonpath={.items[0].message}")
	g.Expect(warning).To(ContainSubstring("use .Changed instead"))
	step(t, "it committed %q rendering .Updated.Images as older Flux did, and warned: %s", "chore: update image to "+l.reg.Repo("payment-api")+":v1.1.0", warning)

	step(t, "another team's automation (namespace team-b) pushes to the branch image-updates")
	l.teamBranch(t, g)
}

// teamBranch runs an automation of namespace team-b, on its own GitRepository of the same
// repository, whose updates go to the branch image-updates.
func (l *imageLoop) teamBranch(t *testing.T, g Gomega) {
	const team = "team-b"
	ensureNamespace(t, team)
	bare := l.repos.BarePath("gitops-repo")
	for _, tag := range []string{"2.0.0", "2.1.0"} {
		if _, err := l.reg.PushFiles("myorg/worker", tag, map[string]string{"version": tag}, "", ""); err != nil {
			t.Fatal(err)
		}
	}
	worker := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: worker\ndata:\n" +
		"  image: " + l.reg.Repo("myorg/worker") + ":2.0.0 # {\"$imagepolicy\": \"team-b:worker\"}\n"
	l.repos.Commit(t, "gitops-repo", "main", "add the worker", map[string]string{"apps/worker/worker.yaml": worker})
	main := gitserver.Git(t, bare, "rev-parse", "main")
	objs := applyYAML(t, team, strings.NewReplacer("URL", l.source.Object["spec"].(map[string]any)["url"].(string),
		"IMAGE", l.reg.Repo("myorg/worker")).Replace(teamBYAML))
	deleteOnCleanup(t, objs...)
	auto := objs[len(objs)-1]
	cur := waitReady(t, auto, func(g Gomega, cur *unstructured.Unstructured) {
		commit, _, _ := unstructured.NestedString(cur.Object, "status", "lastPushCommit")
		g.Expect(commit).NotTo(BeEmpty())
	})
	commit, _, _ := unstructured.NestedString(cur.Object, "status", "lastPushCommit")
	g.Expect(gitserver.Git(t, bare, "rev-parse", "image-updates")).To(Equal(commit))
	g.Expect(gitserver.Git(t, bare, "rev-parse", commit+"^")).To(Equal(main))
	g.Expect(gitserver.Git(t, bare, "rev-parse", "main")).To(Equal(main), "main is left alone")
	g.Expect(gitserver.Git(t, bare, "show", "image-updates:apps/worker/worker.yaml")).To(ContainSubstring("worker:2.1.0 #"))
	step(t, "the branch image-updates holds the update (%s on main's head); main is unchanged", commit[:12])
}

// teamBYAML are team-b's objects: its GitRepository of the repository (URL), its
// ImageRepository (IMAGE) and ImagePolicy, and its automation pushing to image-updates.
const teamBYAML = `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: gitops-repo
spec:
  interval: 1h
  url: URL
  ref:
    branch: main
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: worker
spec:
  image: IMAGE
  interval: 1h
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: worker
spec:
  imageRepositoryRef:
    name: worker
  policy:
    semver:
      range: 2.x
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata:
  name: worker
spec:
  interval: 1h
  sourceRef:
    kind: GitRepository
    name: gitops-repo
  git:
    checkout:
      ref:
        branch: main
    commit:
      author:
        name: team-b-bot
        email: team-b@example.com
      messageTemplate: "team-b: {{ range .Changed.Changes }}{{ .OldValue }} -> {{ .NewValue }}{{ end }}"
    push:
      branch: image-updates
  update:
    path: ./apps/worker
    strategy: Setters
`
