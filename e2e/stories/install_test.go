package stories

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	coordinationv1 "k8s.io/api/coordination/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/e2e/fleet"
	"github.com/ferry-gitops/ferry/shared/runtime/manager"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// kubectl runs the kubectl that testbin builds (same version as the API server) against
// the control plane, with stdin, and returns its output.
func kubectl(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	assets, err := testenv.Binaries()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(assets, "kubectl")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("no kubectl in %s (make testbin builds it): %v", assets, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+env.Kubeconfig)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestStoryInstallFromDeploy is `kustomize build deploy | kubectl apply --server-side
// --dry-run=server -f -` against the real API server, followed by a look at the fleet every
// story runs with: each controller runs with its Deployment's flags, answers /readyz, and
// holds its leader-election lease in flux-system. A GitOps pair applied with kubectl is then
// awaited with `kubectl wait`, the way users and CI scripts wait for Flux objects.
func TestStoryInstallFromDeploy(t *testing.T) {
	dumpLogsOnFailure(t)
	g := NewWithT(t)

	step(t, "kubectl kustomize deploy | kubectl apply --server-side --dry-run=server -f -")
	manifests := kubectl(t, "", "kustomize", deployDir)
	out := kubectl(t, manifests, "apply", "--server-side", "--dry-run=server", "-f", "-")
	docs := len(decodeYAML(t, manifests))
	lines := strings.Split(strings.TrimSpace(out), "\n")
	g.Expect(lines).To(HaveLen(docs), "one line per object:\n%s", out)
	for _, l := range lines {
		g.Expect(l).To(HaveSuffix("serverside-applied (server dry run)"))
	}
	step(t, "the API server accepted all %d objects of deploy/", docs)

	step(t, "every controller runs with its Deployment's flags, is ready and leads")
	want, err := fleet.DeployArgs(deployDir)
	g.Expect(err).NotTo(HaveOccurred())
	for _, p := range controllers.Processes {
		for _, a := range fleet.LocalArgs(want[p.Name]) {
			g.Expect(p.Args).To(ContainElement(a), "%s runs without %s", p.Name, a)
		}
		resp, err := http.Get("http://" + p.HealthAddr + "/readyz")
		g.Expect(err).NotTo(HaveOccurred())
		_ = resp.Body.Close()
		g.Expect(resp.StatusCode).To(Equal(http.StatusOK), "%s /readyz", p.Name)
		g.Eventually(func(g Gomega) {
			var lease coordinationv1.Lease
			key := client.ObjectKey{Namespace: fleet.Namespace, Name: manager.LeaderElectionID(p.Name, "")}
			g.Expect(env.Client.Get(context.Background(), key, &lease)).To(Succeed())
			g.Expect(lease.Spec.HolderIdentity).NotTo(BeNil())
		}, timeout, interval).Should(Succeed(), "%s holds no lease", p.Name)
	}

	step(t, "kubectl apply a GitRepository and a Kustomization; kubectl wait --for=condition=Ready")
	const ns = "story-install"
	ensureNamespace(t, ns)
	repos, url := gitRepo(t, "hello", map[string]string{"deploy/greeter.yaml": greeterManifest(ns, 2)})
	repos.Branch(t, "hello", "main", "master")
	kubectl(t, fmt.Sprintf(`apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: hello
  namespace: %[1]s
spec:
  interval: 1m
  url: %[2]s
  ref:
    branch: main
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: hello
  namespace: %[1]s
spec:
  interval: 10m
  path: ./deploy
  prune: true
  wait: true
  sourceRef:
    kind: GitRepository
    name: hello
`, ns, url), "apply", "-f", "-")
	deleteOnCleanup(t, kustomization(ns, "hello", "hello", "./deploy"), gitRepository(ns, "hello", url))
	kubectl(t, "", "wait", "-n", ns, "--for=condition=Ready", "--timeout=2m", "gitrepository/hello", "kustomization/hello")
	waitDeployment(t, ns, "greeter", 2)
	table := kubectl(t, "", "get", "kustomizations", "-n", ns)
	g.Expect(table).To(MatchRegexp(`(?m)^NAME\s+AGE\s+READY\s+STATUS`))
	g.Expect(table).To(MatchRegexp(`(?m)^hello\s+\S+\s+True\s+Applied revision: main@sha1:`))
	step(t, "kubectl get kustomizations:\n%s", table)
}
