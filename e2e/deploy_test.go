package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/ferry-gitops/ferry/e2e/fleet"
	"github.com/ferry-gitops/ferry/shared/runtime/manager"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

const (
	deployDir       = "../deploy"
	partOfLabel     = "app.kubernetes.io/part-of"
	installNS       = "flux-system"
	shardDeployment = "kustomize-controller-shard1"
)

// kustomizeBuild runs kustomize on dir the way `kustomize build dir` does.
func kustomizeBuild(t *testing.T, dir string) []*unstructured.Unstructured {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	rm, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("failed to build %s: %v", dir, err)
	}
	var objs []*unstructured.Unstructured
	for _, r := range rm.Resources() {
		data, err := r.MarshalJSON()
		if err != nil {
			t.Fatalf("failed to encode %s: %v", r.CurId(), err)
		}
		o := &unstructured.Unstructured{}
		if err := o.UnmarshalJSON(data); err != nil {
			t.Fatalf("failed to decode %s: %v", r.CurId(), err)
		}
		objs = append(objs, o)
	}
	return objs
}

// buildDeployOverlay builds an overlay of deploy/, written to a temporary directory (an overlay
// inside deploy/ could not refer to its parent): resources deploy/, then extra, in which
// DEPLOY stands for the path of deploy/.
func buildDeployOverlay(t *testing.T, extra string) []*unstructured.Unstructured {
	t.Helper()
	dir := t.TempDir()
	abs, err := filepath.Abs(deployDir)
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(dir, abs)
	if err != nil {
		t.Fatal(err)
	}
	k := "resources:\n  - " + rel + "\n" + strings.ReplaceAll(extra, "DEPLOY", rel)
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(k), 0o644); err != nil {
		t.Fatal(err)
	}
	return kustomizeBuild(t, dir)
}

// buildDeployWithSharding builds deploy/ with the sharding component.
func buildDeployWithSharding(t *testing.T) []*unstructured.Unstructured {
	t.Helper()
	return buildDeployOverlay(t, "components:\n  - DEPLOY/sharding\n")
}

func deploymentsIn(t *testing.T, objs []*unstructured.Unstructured) map[string]*appsv1.Deployment {
	t.Helper()
	res := map[string]*appsv1.Deployment{}
	for _, o := range objs {
		if o.GetKind() != "Deployment" {
			continue
		}
		d := &appsv1.Deployment{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, d); err != nil {
			t.Fatalf("failed to convert Deployment %s: %v", o.GetName(), err)
		}
		res[d.Name] = d
	}
	return res
}

func kindNames(objs []*unstructured.Unstructured, kind string) []string {
	var res []string
	for _, o := range objs {
		if o.GetKind() == kind {
			res = append(res, o.GetName())
		}
	}
	slices.Sort(res)
	return res
}

func TestDeployBaseHoldsEveryPiece(t *testing.T) {
	g := NewWithT(t)
	objs := kustomizeBuild(t, deployDir)
	for _, o := range objs {
		g.Expect(o.GetLabels()).To(HaveKeyWithValue(partOfLabel, "ferry"), "%s/%s", o.GetKind(), o.GetName())
		if o.GetKind() != "Namespace" && o.GetKind() != "CustomResourceDefinition" &&
			!strings.HasPrefix(o.GetKind(), "Cluster") {
			g.Expect(o.GetNamespace()).To(Equal(installNS), "%s/%s", o.GetKind(), o.GetName())
		}
	}
	ctrls := slices.Sorted(slices.Values(controllers))
	g.Expect(kindNames(objs, "Deployment")).To(Equal(ctrls))
	g.Expect(kindNames(objs, "ServiceAccount")).To(Equal(ctrls))
	g.Expect(kindNames(objs, "ClusterRole")).To(Equal(ctrls))
	g.Expect(kindNames(objs, "Role")).To(HaveLen(len(ctrls)))
	g.Expect(kindNames(objs, "ClusterRoleBinding")).To(ContainElements(
		"kustomize-controller-cluster-reconciler", "helm-controller-cluster-reconciler"))
	g.Expect(kindNames(objs, "ClusterRoleBinding")).To(HaveLen(len(ctrls) + 2))
	g.Expect(kindNames(objs, "Service")).To(Equal([]string{"notification-controller", "source-controller", "webhook-receiver"}))
	g.Expect(kindNames(objs, "NetworkPolicy")).To(ConsistOf("allow-egress", "allow-same-namespace", "allow-scraping", "allow-webhooks"))
	// 13 toolkit kinds, ExternalArtifact and ArtifactGenerator.
	g.Expect(kindNames(objs, "CustomResourceDefinition")).To(HaveLen(15))
	g.Expect(kindNames(objs, "Namespace")).To(Equal([]string{installNS}))

	deps := deploymentsIn(t, objs)
	for _, name := range controllers {
		t.Run(name, func(t *testing.T) { checkControllerDeployment(t, deps[name]) })
	}
	g.Expect(deps["source-controller"].Spec.Template.Spec.Containers[0].Args).To(ContainElements(
		"--storage-path=/data", "--storage-adv-addr=source-controller.$(RUNTIME_NAMESPACE).svc.cluster.local."))
	image := deps["image-reflector-controller"].Spec.Template.Spec
	g.Expect(image.Containers[0].Args).To(ContainElement("--storage-path=/data"), "the tag store")
	g.Expect(image.Containers[0].VolumeMounts).To(ContainElement(HaveField("MountPath", "/data")))
}

// checkControllerDeployment asserts what every controller Deployment must hold: non-root, read-only
// root filesystem, no capabilities, probes on the healthz port, resources, Flux's flags.
func checkControllerDeployment(t *testing.T, d *appsv1.Deployment) {
	g := NewWithT(t)
	g.Expect(d).NotTo(BeNil())
	pod := d.Spec.Template.Spec
	g.Expect(d.Spec.Template.Labels).To(HaveKeyWithValue(partOfLabel, "ferry"))
	g.Expect(d.Spec.Selector.MatchLabels).To(Equal(map[string]string{"app": d.Name}))
	g.Expect(pod.SecurityContext.RunAsNonRoot).To(HaveValue(BeTrue()))
	g.Expect(pod.SecurityContext.RunAsUser).To(HaveValue(BeEquivalentTo(65534)))
	g.Expect(pod.SecurityContext.SeccompProfile.Type).To(Equal(corev1.SeccompProfileTypeRuntimeDefault))
	g.Expect(pod.Containers).To(HaveLen(1))
	c := pod.Containers[0]
	g.Expect(c.Image).To(HavePrefix("ghcr.io/ferry-gitops/"))
	sc := c.SecurityContext
	g.Expect(sc.AllowPrivilegeEscalation).To(HaveValue(BeFalse()))
	g.Expect(sc.ReadOnlyRootFilesystem).To(HaveValue(BeTrue()))
	g.Expect(sc.Capabilities.Drop).To(Equal([]corev1.Capability{"ALL"}))
	g.Expect(sc.Capabilities.Add).To(BeEmpty())
	g.Expect(c.LivenessProbe.HTTPGet.Path).To(Equal("/healthz"))
	g.Expect(c.ReadinessProbe.HTTPGet.Path).To(Equal("/readyz"))
	g.Expect(c.LivenessProbe.HTTPGet.Port.String()).To(Equal("healthz"))
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	g.Expect(ports).To(HaveKeyWithValue("healthz", int32(9440)))
	g.Expect(ports).To(HaveKeyWithValue("http-prom", int32(8080)))
	g.Expect(c.Resources.Requests.Cpu().IsZero()).To(BeFalse())
	g.Expect(c.Resources.Requests.Memory().IsZero()).To(BeFalse())
	g.Expect(c.Resources.Limits.Memory().IsZero()).To(BeFalse())
	g.Expect(c.VolumeMounts).To(ContainElement(HaveField("MountPath", "/tmp")))
	g.Expect(c.Env).To(ContainElement(HaveField("ValueFrom.FieldRef.FieldPath", "metadata.namespace")))
	g.Expect(c.Args).To(ContainElements("--watch-all-namespaces=true", "--log-level=info", "--log-encoding=json"))
	g.Expect(c.Args).To(ContainElement(HavePrefix("--concurrent=")))
	g.Expect(c.Args).To(ContainElement("--enable-leader-election"))
}

func TestDeployShardingComponent(t *testing.T) {
	g := NewWithT(t)
	objs := buildDeployWithSharding(t)
	deps := deploymentsIn(t, objs)
	g.Expect(deps).To(HaveLen(len(controllers) + 1))
	checkControllerDeployment(t, deps[shardDeployment])
	g.Expect(deps[shardDeployment].Namespace).To(Equal(installNS))
	g.Expect(deps[shardDeployment].Spec.Template.Spec.Containers[0].Args).To(
		ContainElement("--watch-label-selector=sharding.fluxcd.io/key=shard1"))
	g.Expect(deps["kustomize-controller"].Spec.Template.Spec.Containers[0].Args).To(
		ContainElement("--watch-label-selector=!sharding.fluxcd.io/key"))
}

// TestDeployImagesRetarget checks that `kustomize edit set image` (an images: entry) moves a
// controller to another registry and tag.
func TestDeployImagesRetarget(t *testing.T) {
	g := NewWithT(t)
	deps := deploymentsIn(t, buildDeployOverlay(t, "images:\n"+
		"  - name: ghcr.io/ferry-gitops/source-controller\n    newName: registry.example.com/ferry/source-controller\n    newTag: v1.2.3\n"))
	g.Expect(deps["source-controller"].Spec.Template.Spec.Containers[0].Image).To(
		Equal("registry.example.com/ferry/source-controller:v1.2.3"))
	g.Expect(deps["helm-controller"].Spec.Template.Spec.Containers[0].Image).To(
		Equal("ghcr.io/ferry-gitops/helm-controller:latest"))
}

func TestDeployMonitoring(t *testing.T) {
	g := NewWithT(t)
	objs := kustomizeBuild(t, filepath.Join(deployDir, "monitoring"))
	g.Expect(kindNames(objs, "PodMonitor")).To(Equal([]string{"ferry-controllers"}))
	g.Expect(kindNames(objs, "ConfigMap")).To(Equal([]string{"ferry-grafana-dashboards"}))
	for _, o := range objs {
		g.Expect(o.GetNamespace()).To(Equal(installNS))
		if o.GetKind() != "ConfigMap" {
			continue
		}
		g.Expect(o.GetLabels()).To(HaveKeyWithValue("grafana_dashboard", "1"))
		data, _, _ := unstructured.NestedStringMap(o.Object, "data")
		g.Expect(data).To(HaveLen(1))
		for file, text := range data {
			var dash struct {
				Panels []struct {
					Title   string
					Targets []struct{ Expr string }
				}
			}
			g.Expect(json.Unmarshal([]byte(text), &dash)).To(Succeed(), file)
			var exprs []string
			for _, p := range dash.Panels {
				for _, tg := range p.Targets {
					exprs = append(exprs, tg.Expr)
				}
			}
			for _, metric := range []string{"gotk_reconcile_duration_seconds", "gotk_reconcile_condition", "gotk_suspend_status", "workqueue_depth"} {
				g.Expect(exprs).To(ContainElement(ContainSubstring(metric)), metric)
			}
		}
	}
}

// TestDeployServerSideDryRun applies the CRDs, the namespace and the RBAC for real, then
// every other object of deploy/ (with the sharding component, and the monitoring ConfigMap)
// as a server-side apply dry run: the API server validates them all. It then asks the API
// server what each controller's ServiceAccount may do.
func TestDeployServerSideDryRun(t *testing.T) {
	g := NewWithT(t)
	env, err := testenv.Start(testenv.Options{})
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Error(err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*testenv.Timeout)
	defer cancel()
	objs := buildDeployWithSharding(t)
	for _, o := range kustomizeBuild(t, filepath.Join(deployDir, "monitoring")) {
		if o.GetKind() != "PodMonitor" { // monitoring.coreos.com is not installed
			objs = append(objs, o)
		}
	}
	apply := func(o *unstructured.Unstructured, opts ...client.PatchOption) error {
		o = o.DeepCopy()
		opts = append(opts, client.FieldOwner("ferry-e2e"), client.ForceOwnership)
		return env.Client.Patch(ctx, o, client.Apply, opts...)
	}
	var rest []*unstructured.Unstructured
	for _, o := range objs {
		if applyForReal[o.GetKind()] {
			g.Expect(apply(o)).To(Succeed(), o.GetName())
			continue
		}
		rest = append(rest, o)
	}
	waitDeployCRDsEstablished(t, env.Client, kindNames(objs, "CustomResourceDefinition"))
	for _, o := range rest {
		g.Expect(apply(o, client.DryRunAll)).To(Succeed(), "%s/%s", o.GetKind(), o.GetName())
	}
	g.Expect(kindNames(rest, "Deployment")).To(HaveLen(len(controllers) + 1))
	checkControllerAccess(t, env.Client)
}

// applyForReal are the kinds the dry run needs in place (namespace, CRDs) and the RBAC that
// checkControllerAccess asks about.
var applyForReal = map[string]bool{
	"CustomResourceDefinition": true, "Namespace": true, "ServiceAccount": true,
	"ClusterRole": true, "ClusterRoleBinding": true, "Role": true, "RoleBinding": true,
}

// accessCase is one question to the authorizer: may controller do verb on resource (group,
// subresource) in namespace ("" for every namespace)?
type accessCase struct {
	controller, verb, group, resource, subresource, namespace string
	allowed                                                   bool
}

var accessCases = []accessCase{
	{"source-controller", "patch", "source.toolkit.fluxcd.io", "gitrepositories", "status", "", true},
	{"source-controller", "update", "source.toolkit.fluxcd.io", "helmcharts", "finalizers", "apps", true},
	{"source-controller", "watch", "", "secrets", "", "", true},
	{"source-controller", "create", "", "events", "", "apps", true},
	{"source-controller", "update", "coordination.k8s.io", "leases", "", installNS, true},
	{"source-controller", "update", "coordination.k8s.io", "leases", "", "apps", false},
	{"source-controller", "delete", "", "secrets", "", "apps", false},
	{"source-controller", "create", "apps", "deployments", "", "apps", false},
	{"kustomize-controller", "list", "source.toolkit.fluxcd.io", "ocirepositories", "", "", true},
	{"kustomize-controller", "create", "apps", "deployments", "", "apps", true}, // cluster-reconciler
	{"kustomize-controller", "get", "", "serviceaccounts", "", "apps", true},    // decryption identity
	{"helm-controller", "create", "source.toolkit.fluxcd.io", "helmcharts", "", "apps", true},
	{"helm-controller", "impersonate", "", "serviceaccounts", "", "apps", true},
	{"helm-controller", "patch", "helm.toolkit.fluxcd.io", "helmreleases", "status", "apps", true},
	{"notification-controller", "patch", "kustomize.toolkit.fluxcd.io", "kustomizations", "", "apps", true},
	{"notification-controller", "create", "apps", "deployments", "", "apps", false},
	{"notification-controller", "delete", "kustomize.toolkit.fluxcd.io", "kustomizations", "", "apps", false},
	{"notification-controller", "watch", "", "events", "", "", true},
	{"notification-controller", "update", "", "configmaps", "", installNS, true},
	{"notification-controller", "update", "", "configmaps", "", "apps", false},
	{"image-automation-controller", "get", "image.toolkit.fluxcd.io", "imagepolicies", "", "apps", true},
	{"image-automation-controller", "patch", "image.toolkit.fluxcd.io", "imagepolicies", "status", "apps", false},
	{"image-reflector-controller", "patch", "image.toolkit.fluxcd.io", "imagerepositories", "status", "apps", true},
	{"image-reflector-controller", "get", "source.toolkit.fluxcd.io", "gitrepositories", "", "apps", false},
	{"image-reflector-controller", "get", "", "secrets", "", "apps", true},
	{"image-reflector-controller", "list", "", "secrets", "", "apps", false},
	{"image-reflector-controller", "get", "", "serviceaccounts", "", "apps", true},
	{"image-reflector-controller", "get", "", "namespaces", "", "", true},
}

// checkControllerAccess asks the API server's RBAC authorizer each of accessCases with a
// SubjectAccessReview for the controller's ServiceAccount.
func checkControllerAccess(t *testing.T, c client.Client) {
	for _, a := range accessCases {
		name := strings.TrimSuffix(fmt.Sprintf("%s %s %s/%s", a.controller, a.verb, a.resource, a.subresource), "/")
		name += fmt.Sprintf(" in %q", a.namespace)
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
				User:   "system:serviceaccount:" + installNS + ":" + a.controller,
				Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + installNS, "system:authenticated"},
				ResourceAttributes: &authorizationv1.ResourceAttributes{
					Namespace: a.namespace, Verb: a.verb, Group: a.group, Resource: a.resource, Subresource: a.subresource,
				},
			}}
			g.Expect(c.Create(context.Background(), sar)).To(Succeed())
			g.Expect(sar.Status.Allowed).To(Equal(a.allowed), sar.Status.Reason)
		})
	}
}

func waitDeployCRDsEstablished(t *testing.T, c client.Client, crds []string) {
	t.Helper()
	g := NewWithT(t)
	scheme := c.Scheme()
	if !scheme.IsGroupRegistered(apiextensionsv1.GroupName) {
		g.Expect(apiextensionsv1.AddToScheme(scheme)).To(Succeed())
	}
	for _, name := range crds {
		g.Eventually(func(g Gomega) {
			crd := &apiextensionsv1.CustomResourceDefinition{}
			g.Expect(c.Get(context.Background(), client.ObjectKey{Name: name}, crd)).To(Succeed())
			g.Expect(crd.Status.Conditions).To(ContainElement(And(
				HaveField("Type", apiextensionsv1.Established),
				HaveField("Status", apiextensionsv1.ConditionTrue))))
		}, testenv.Timeout, testenv.Interval).Should(Succeed(), name)
	}
}

// TestDeployControllersRun builds every controller binary, runs each with its Deployment's
// arguments and --help (a binary exits 0 only when it knows every flag; an unknown one exits
// 2), then starts each with those arguments against a real API server, on 127.0.0.1 ports,
// and waits until it is ready.
func TestDeployControllersRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	bin, err := fleet.Binaries(ctx, "..", t.TempDir(), logWriter{t})
	if err != nil {
		t.Fatal(err)
	}
	deps := deploymentsIn(t, buildDeployWithSharding(t))
	for name, d := range deps {
		t.Run("parse "+name, func(t *testing.T) {
			args := append(slices.Clone(d.Spec.Template.Spec.Containers[0].Args), "--help")
			cmd := exec.CommandContext(ctx, filepath.Join(bin, binaryOfDeployment(name)), args...)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%s %s: %v\n%s", binaryOfDeployment(name), strings.Join(args, " "), err, headLines(out, 3))
			}
		})
	}
	env, err := testenv.Start(testenv.Options{CRDDirectoryPaths: []string{filepath.Join(deployDir, "crds")}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Error(err)
		}
	})
	ns := &corev1.Namespace{}
	ns.Name = installNS
	NewWithT(t).Expect(env.Client.Create(ctx, ns)).To(Succeed())
	for name, d := range deps {
		t.Run("run "+name, func(t *testing.T) { runDeployedController(t, env, bin, name, d) })
	}
}

func binaryOfDeployment(deployment string) string { return strings.TrimSuffix(deployment, "-shard1") }

// runDeployedController starts the controller of Deployment d as a process with d's arguments (the
// listen addresses moved to free 127.0.0.1 ports, storage to a temporary directory, as
// e2e/fleet runs the fleet), waits until it is ready and holds its lease, and stops it when
// the test ends.
func runDeployedController(t *testing.T, env *testenv.Env, bin, name string, d *appsv1.Deployment) {
	g := NewWithT(t)
	opts := fleet.Options{Bin: bin, Kubeconfig: env.Kubeconfig, Dir: t.TempDir()}
	ctx, cancel := context.WithTimeout(context.Background(), 2*testenv.Timeout)
	defer cancel()
	p, err := fleet.StartOne(ctx, opts, name, binaryOfDeployment(name), d.Spec.Template.Spec.Containers[0].Args)
	if err != nil {
		t.Fatalf("%v\n%s", err, readLog(opts.Dir, name))
	}
	t.Cleanup(func() {
		if err := p.Stop(); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", name, readLog(opts.Dir, name))
		}
	})
	// Leader election is on in every Deployment: the lease (one per shard) is taken in
	// RUNTIME_NAMESPACE.
	selector := ""
	for _, a := range p.Args {
		if v, ok := strings.CutPrefix(a, "--watch-label-selector="); ok {
			selector = v
		}
	}
	leaseName := manager.LeaderElectionID(binaryOfDeployment(name), selector)
	g.Eventually(func(g Gomega) {
		var lease coordinationv1.Lease
		g.Expect(env.Client.Get(context.Background(), client.ObjectKey{Namespace: installNS, Name: leaseName}, &lease)).To(Succeed())
		g.Expect(lease.Spec.HolderIdentity).NotTo(BeNil())
	}, 2*testenv.Timeout, testenv.Interval).Should(Succeed())
}

// readLog returns the output of the process name run in dir by e2e/fleet.
func readLog(dir, name string) string {
	data, _ := os.ReadFile(filepath.Join(dir, name+".log"))
	return string(data)
}

type logWriter struct{ t *testing.T }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func headLines(out []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return strings.Join(lines[:min(n, len(lines))], "\n")
}
