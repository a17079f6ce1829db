package kustomization

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/runtime/dependency"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"

	"github.com/ferry-gitops/ferry/kustomize-controller/internal/decrypt/sopstest"
)

func rev(n int) string { return "main@sha1:" + fmt.Sprintf("%040d", n) }

func TestDependsOn(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	a := publish(t, ns, rev(1), map[string]string{"db/cm.yaml": configMap("db", "1"), "app/cm.yaml": configMap("app", "1")})
	repo := gitRepository(t, ns, "repo", &a)
	db := kustomization(t, ns, "db", "db-source", func(k *kustomizev1.Kustomization) { k.Spec.Path = "./db"; k.Spec.TargetNamespace = ns })
	app := kustomization(t, ns, "app", repo.Name, func(k *kustomizev1.Kustomization) {
		k.Spec.Path = "./app"
		k.Spec.TargetNamespace = ns
		k.Spec.DependsOn = []fluxmeta.DependencyReference{{Name: "db"}}
	})
	cur := statuscheck.NotReady(t, env.Client, app, fluxmeta.DependencyNotReadyReason, "dependency '"+ns+"/db' is not ready")
	g.Expect(readyMessage(cur)).To(Equal("dependency '" + ns + "/db' is not ready"))
	g.Expect(object(t, "v1", "ConfigMap", ns, "app")).To(BeNil())

	// The dependency becomes Ready: the dependent follows (its interval is an hour).
	statuscheck.Update(t, env.Client, db, func(k *kustomizev1.Kustomization) { k.Spec.SourceRef.Name = repo.Name })
	readyAt(t, db, a.Revision)
	readyAt(t, app, a.Revision)
}

// TestDependsOnSameSourceRevision: a dependency in another namespace that takes its artifact
// from the same source must have applied the new revision before its dependent applies it:
// the dependent waits while the dependency checks the health of the revision (Reconciling,
// Ready Unknown), and the dependency's applying the revision wakes the dependent.
func TestDependsOnSameSourceRevision(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	depNS := testenv.NewNamespace(t, env.Client)
	// db is healthy while the gate, which the test and not the source holds, says so.
	gate := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: depNS, Name: "gate"}, Data: map[string]string{"ready": "yes"}}
	g.Expect(env.Client.Create(ctxT(t), gate)).To(Succeed())
	setGate := func(v string) {
		gate.Data["ready"] = v
		g.Expect(env.Client.Update(ctxT(t), gate)).To(Succeed())
	}
	files := func(n int) map[string]string {
		return map[string]string{"db/cm.yaml": configMap("db", fmt.Sprint(n)), "app/cm.yaml": configMap("app", fmt.Sprint(n))}
	}
	appData := func() any { return object(t, "v1", "ConfigMap", ns, "app").Object["data"] }
	a := publish(t, ns, rev(1), files(1))
	repo := gitRepository(t, ns, "repo", &a)
	db := kustomization(t, depNS, "db", repo.Name, func(k *kustomizev1.Kustomization) {
		k.Spec.SourceRef.Namespace = ns
		k.Spec.Path = "./db"
		k.Spec.TargetNamespace = depNS
		k.Spec.Timeout = &metav1.Duration{Duration: 5 * time.Minute}
		k.Spec.HealthChecks = []fluxmeta.NamespacedObjectKindReference{{APIVersion: "v1", Kind: "ConfigMap", Name: "gate"}}
		k.Spec.HealthCheckExprs = []fluxmeta.CustomHealthCheck{{APIVersion: "v1", Kind: "ConfigMap", Current: "data.ready == 'yes'"}}
	})
	app := kustomization(t, ns, "app", repo.Name, func(k *kustomizev1.Kustomization) {
		k.Spec.Path = "./app"
		k.Spec.TargetNamespace = ns
		k.Spec.DependsOn = []fluxmeta.DependencyReference{{Name: "db", Namespace: depNS}}
	})
	readyAt(t, db, a.Revision)
	readyAt(t, app, a.Revision)

	// db's health check for revision 2 waits for the gate: db shows it is reconciling, at
	// revision 1 still, and app waits for it.
	setGate("no")
	b := publish(t, ns, rev(2), files(2))
	setArtifact(t, repo, b)
	g.Eventually(func() any { return object(t, "v1", "ConfigMap", depNS, "db").Object["data"] }, testenv.Timeout, testenv.Interval).
		Should(HaveKeyWithValue("key", "2"), "db applies revision 2 and checks its health")
	statuscheck.Wait(t, env.Client, db, func(g Gomega, cur *kustomizev1.Kustomization) {
		g.Expect(conditions.IsTrue(cur, fluxmeta.ReconcilingCondition)).To(BeTrue())
		g.Expect(cur.Status.LastAppliedRevision).To(Equal(a.Revision))
	})
	statuscheck.NotReady(t, env.Client, app, fluxmeta.DependencyNotReadyReason, "dependency '"+depNS+"/db' is not ready")
	g.Expect(appData()).To(HaveKeyWithValue("key", "1"))

	// The gate opens: db records revision 2, and app follows at once (its interval is an hour).
	setGate("yes")
	readyAt(t, db, b.Revision)
	readyAt(t, app, b.Revision)
	g.Expect(appData()).To(HaveKeyWithValue("key", "2"))
}

// TestDependencyRevision: a Ready dependency that takes its artifact from the same source
// and has not applied the revision yet holds its dependent back (the dependent's source step
// reads it from the API server); one at the revision, or on another source, does not.
func TestDependencyRevision(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	// No controller serves this shard: the test writes the dependencies' status itself.
	dep := func(name, source, applied string) {
		k := kustomization(t, ns, name, source, func(k *kustomizev1.Kustomization) { k.Labels = map[string]string{shardLabel: "none"} })
		k.Status.ObservedGeneration = k.Generation
		k.Status.LastAppliedRevision = applied
		conditions.MarkTrue(k, fluxmeta.ReadyCondition, fluxmeta.ReconciliationSucceededReason, "Applied revision: "+applied)
		g.Expect(env.Client.Status().Update(ctxT(t), k)).To(Succeed())
	}
	dep("behind", "repo", rev(1))
	dep("current", "repo", rev(2))
	dep("elsewhere", "other", rev(1))
	app := &kustomizev1.Kustomization{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "app"}}
	app.Spec.SourceRef = kustomizev1.CrossNamespaceSourceReference{Kind: sourcev1.GitRepositoryKind, Name: "repo"}
	tests := []struct {
		dependsOn string
		waiting   string
	}{
		{"behind", "dependency '" + ns + "/behind' revision is not up to date"},
		{"current", ""},
		{"elsewhere", ""},
		{"missing", "dependency '" + ns + "/missing' not found"},
	}
	for _, tt := range tests {
		app.Spec.DependsOn = []fluxmeta.DependencyReference{{Name: tt.dependsOn}}
		res := dependenciesAt(ctxT(t), &scope{Obj: app, Client: env.Client}, dependency.Appliers(dependency.Kustomizations, false), rev(2))
		if tt.waiting == "" {
			g.Expect(res.IsDone()).To(BeTrue(), "%s: %v", tt.dependsOn, res.Err)
			continue
		}
		g.Expect(res.IsWaiting()).To(BeTrue(), tt.dependsOn)
		g.Expect(res.Reason).To(Equal(fluxmeta.DependencyNotReadyReason))
		g.Expect(res.Err).To(MatchError(tt.waiting))
	}
}

func TestDeletionPolicies(t *testing.T) {
	tests := []struct {
		policy string
		prune  bool
		kept   bool
	}{
		{kustomizev1.DeletionPolicyMirrorPrune, true, false},
		{kustomizev1.DeletionPolicyMirrorPrune, false, true},
		{kustomizev1.DeletionPolicyDelete, false, false},
		{kustomizev1.DeletionPolicyWaitForTermination, true, false},
		{kustomizev1.DeletionPolicyOrphan, true, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s prune=%v", tt.policy, tt.prune), func(t *testing.T) {
			g := NewWithT(t)
			ns := testenv.NewNamespace(t, env.Client)
			a := publish(t, ns, rev(1), map[string]string{"cm.yaml": configMap("cm", "1")})
			repo := gitRepository(t, ns, "repo", &a)
			k := kustomization(t, ns, "app", repo.Name, func(k *kustomizev1.Kustomization) {
				k.Spec.TargetNamespace = ns
				k.Spec.Prune = tt.prune
				k.Spec.DeletionPolicy = tt.policy
			})
			readyAt(t, k, a.Revision)
			g.Expect(env.Client.Delete(ctxT(t), k)).To(Succeed())
			g.Eventually(func() bool {
				return apierrors.IsNotFound(env.Client.Get(ctxT(t), client.ObjectKeyFromObject(k), &kustomizev1.Kustomization{}))
			}, testenv.Timeout, testenv.Interval).Should(BeTrue())
			cm := object(t, "v1", "ConfigMap", ns, "cm")
			if tt.kept {
				g.Expect(cm).NotTo(BeNil())
			} else {
				g.Expect(cm == nil || cm.GetDeletionTimestamp() != nil).To(BeTrue(), "the object is deleted")
			}
		})
	}
}

// TestWaitForTerminationGivesUp: objects that never terminate hold the deletion of a
// WaitForTermination Kustomization for spec.timeout only, as in Flux: one deadline for all of
// them, after which the warning names every object still there.
func TestWaitForTerminationGivesUp(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	const hold = "ferry.test/hold"
	held := []string{"held-a", "held-b", "held-c"}
	files := map[string]string{}
	for _, name := range held {
		files[name+".yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n  finalizers: [" + hold + "]\n"
	}
	a := publish(t, ns, rev(1), files)
	repo := gitRepository(t, ns, "repo", &a)
	k := kustomization(t, ns, "app", repo.Name, func(k *kustomizev1.Kustomization) {
		k.Spec.TargetNamespace = ns
		k.Spec.DeletionPolicy = kustomizev1.DeletionPolicyWaitForTermination
		k.Spec.Timeout = &metav1.Duration{Duration: 30 * time.Second}
	})
	readyAt(t, k, a.Revision)
	t.Cleanup(func() {
		for _, name := range held {
			if cm := object(t, "v1", "ConfigMap", ns, name); cm != nil {
				cm.SetFinalizers(nil)
				_ = env.Client.Update(context.Background(), cm)
			}
		}
	})
	start := time.Now()
	g.Expect(env.Client.Delete(ctxT(t), k)).To(Succeed())
	g.Eventually(func() bool {
		return apierrors.IsNotFound(env.Client.Get(ctxT(t), client.ObjectKeyFromObject(k), &kustomizev1.Kustomization{}))
	}, testenv.RolloutTimeout, testenv.Interval).Should(BeTrue(), "the deletion goes on after spec.timeout")
	g.Expect(time.Since(start)).To(BeNumerically(">=", 25*time.Second), "it waited for the objects first")
	for _, name := range held {
		cm := object(t, "v1", "ConfigMap", ns, name)
		g.Expect(cm).NotTo(BeNil())
		g.Expect(cm.GetDeletionTimestamp()).NotTo(BeNil())
	}
	// One deadline: the wait gave up on the three objects at once.
	g.Eventually(func() []string {
		return statuscheck.Events(t, env.Client, k, kustomizev1.KustomizationKind, kustomizev1.PruneFailedReason)
	}, testenv.Timeout, testenv.Interval).Should(ConsistOf(And(
		ContainSubstring("3 of 3 objects within 30s"),
		ContainSubstring("ConfigMap/"+ns+"/held-a, ConfigMap/"+ns+"/held-b, ConfigMap/"+ns+"/held-c"))))
}

func TestPostBuildSubstitution(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	g.Expect(env.Client.Create(ctxT(t), &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "vars"}, Data: map[string]string{"region": "eu-1", "tier": "from-configmap"},
	})).To(Succeed())
	g.Expect(env.Client.Create(ctxT(t), &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "secret-vars"}, Data: map[string][]byte{"token": []byte("s3cr3t\n"), "region": []byte("eu-2")},
	})).To(Succeed())
	a := publish(t, ns, rev(1), map[string]string{
		"cm.yaml":  "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  region: ${region}\n  tier: ${tier}\n  size: ${size:=small}\n  missing: \"[${nothing}]\"\n  token: \"[${token}]\"\n",
		"raw.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: raw\n  annotations:\n    kustomize.toolkit.fluxcd.io/substitute: disabled\ndata:\n  text: ${region}\n",
	})
	repo := gitRepository(t, ns, "repo", &a)
	k := kustomization(t, ns, "app", repo.Name, func(k *kustomizev1.Kustomization) {
		k.Spec.TargetNamespace = ns
		k.Spec.PostBuild = &kustomizev1.PostBuild{
			Substitute: map[string]string{"tier": "from-spec"},
			SubstituteFrom: []kustomizev1.SubstituteReference{
				{Kind: "ConfigMap", Name: "vars"}, {Kind: "Secret", Name: "absent", Optional: true}, {Kind: "Secret", Name: "secret-vars"},
			},
		}
	})
	readyAt(t, k, a.Revision)
	// The Secret, later in the list, overrides the ConfigMap; its value's line break is dropped.
	g.Expect(object(t, "v1", "ConfigMap", ns, "settings").Object["data"]).To(Equal(map[string]any{
		"region": "eu-2", "tier": "from-spec", "size": "small", "missing": "[]", "token": "[s3cr3t]",
	}))
	g.Expect(object(t, "v1", "ConfigMap", ns, "raw").Object["data"]).To(HaveKeyWithValue("text", "${region}"))
}

// TestPostBuildSubstituteStrategy: with no variable defined, substitution runs only with
// substituteStrategy Always, as in Flux (WithVariables, the default, leaves ${...} as written).
func TestPostBuildSubstituteStrategy(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	a := publish(t, ns, rev(1), map[string]string{
		"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  size: ${size:=small}\n",
	})
	repo := gitRepository(t, ns, "repo", &a)
	strategies := map[string]string{
		"default": "", "withvariables": kustomizev1.SubstituteWithVariables, "always": kustomizev1.SubstituteAlways,
	}
	for name, strategy := range strategies {
		k := kustomization(t, ns, name, repo.Name, func(k *kustomizev1.Kustomization) {
			k.Spec.TargetNamespace = ns
			k.Spec.NameSuffix = "-" + name
			// No variable: the optional ConfigMap does not exist.
			k.Spec.PostBuild = &kustomizev1.PostBuild{
				SubstituteStrategy: strategy,
				SubstituteFrom:     []kustomizev1.SubstituteReference{{Kind: "ConfigMap", Name: "absent", Optional: true}},
			}
		})
		readyAt(t, k, a.Revision)
	}
	size := func(name string) any { return object(t, "v1", "ConfigMap", ns, "settings-"+name).Object["data"] }
	g.Expect(size("default")).To(HaveKeyWithValue("size", "${size:=small}"))
	g.Expect(size("withvariables")).To(HaveKeyWithValue("size", "${size:=small}"))
	g.Expect(size("always")).To(HaveKeyWithValue("size", "small"))
}

func TestStrictSubstitutionMissingVariable(t *testing.T) {
	startController(t, "strict", "--strict")
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	a := publish(t, ns, rev(1), map[string]string{"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  region: ${region}\n"})
	repo := gitRepository(t, ns, "repo", &a)
	k := kustomization(t, ns, "app", repo.Name, func(k *kustomizev1.Kustomization) {
		k.Labels = map[string]string{shardLabel: "strict"}
		k.Spec.TargetNamespace = ns
		k.Spec.PostBuild = &kustomizev1.PostBuild{Substitute: map[string]string{"other": "x"}}
	})
	statuscheck.NotReady(t, env.Client, k, fluxmeta.BuildFailedReason, "region")
	g.Expect(object(t, "v1", "ConfigMap", ns, "settings")).To(BeNil())
}

func TestDecryption(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	id := sopstest.NewIdentity(t)
	secret := "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: s3cr3t\n"
	enc := sopstest.Encrypt(t, "secret.yaml", []byte(secret), "^(data|stringData)$", id.Recipient)
	g.Expect(string(enc)).NotTo(ContainSubstring("s3cr3t"))
	g.Expect(env.Client.Create(ctxT(t), &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "sops-age"}, Data: map[string][]byte{"age.agekey": []byte(id.Secret)},
	})).To(Succeed())
	a := publish(t, ns, rev(1), map[string]string{"secret.yaml": string(enc)})
	repo := gitRepository(t, ns, "repo", &a)
	k := kustomization(t, ns, "app", repo.Name, func(k *kustomizev1.Kustomization) {
		k.Spec.TargetNamespace = ns
		k.Spec.Decryption = &kustomizev1.Decryption{Provider: "sops", SecretRef: &fluxmeta.LocalObjectReference{Name: "sops-age"}}
	})
	readyAt(t, k, a.Revision)
	var s corev1.Secret
	g.Expect(env.Client.Get(ctxT(t), client.ObjectKey{Namespace: ns, Name: "db"}, &s)).To(Succeed())
	g.Expect(string(s.Data["password"])).To(Equal("s3cr3t"))
	g.Expect(object(t, "v1", "Secret", ns, "db").Object).NotTo(HaveKey("sops"))
}

func TestCrossNamespaceSourceRefused(t *testing.T) {
	startController(t, "nocross", "--no-cross-namespace-refs")
	srcNS := testenv.NewNamespace(t, env.Client)
	ns := testenv.NewNamespace(t, env.Client)
	a := publish(t, srcNS, rev(1), map[string]string{"cm.yaml": configMap("cm", "1")})
	gitRepository(t, srcNS, "shared", &a)
	refused := kustomization(t, ns, "refused", "shared", func(k *kustomizev1.Kustomization) {
		k.Labels = map[string]string{shardLabel: "nocross"}
		k.Spec.SourceRef.Namespace = srcNS
		k.Spec.TargetNamespace = ns
	})
	statuscheck.Stalled(t, env.Client, refused, fluxmeta.AccessDeniedReason, "cross-namespace references have been disabled")

	// The suite's controller allows cross-namespace references. sourceRef.apiVersion is
	// accepted and, as in Flux, the source is found by kind and name.
	allowed := kustomization(t, ns, "allowed", "shared", func(k *kustomizev1.Kustomization) {
		k.Spec.SourceRef.Namespace = srcNS
		k.Spec.SourceRef.APIVersion = "source.toolkit.fluxcd.io/v1"
		k.Spec.TargetNamespace = ns
	})
	readyAt(t, allowed, a.Revision)
}

func TestRemoteKubeConfig(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	kubeconfig, err := os.ReadFile(env.Kubeconfig)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(env.Client.Create(ctxT(t), &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "remote"}, Data: map[string][]byte{"value.yaml": kubeconfig},
	})).To(Succeed())
	// A kubeconfig under another key, and a broken one under the default keys.
	g.Expect(env.Client.Create(ctxT(t), &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "keyed"}, Data: map[string][]byte{"cluster.conf": kubeconfig, "value": []byte("not a kubeconfig")},
	})).To(Succeed())
	a := publish(t, ns, rev(1), map[string]string{"cm.yaml": configMap("remote-cm", "1")})
	repo := gitRepository(t, ns, "repo", &a)
	k := kustomization(t, ns, "app", repo.Name, func(k *kustomizev1.Kustomization) {
		k.Spec.TargetNamespace = ns
		k.Spec.KubeConfig = &fluxmeta.KubeConfigReference{SecretRef: &fluxmeta.SecretKeyReference{Name: "remote"}}
	})
	readyAt(t, k, a.Revision)
	g.Expect(object(t, "v1", "ConfigMap", ns, "remote-cm")).NotTo(BeNil())

	keyed := kustomization(t, ns, "keyed", repo.Name, func(k *kustomizev1.Kustomization) {
		k.Spec.TargetNamespace = ns
		k.Spec.NameSuffix = "-keyed"
		k.Spec.KubeConfig = &fluxmeta.KubeConfigReference{SecretRef: &fluxmeta.SecretKeyReference{Name: "keyed", Key: "cluster.conf"}}
	})
	readyAt(t, keyed, a.Revision)
	g.Expect(object(t, "v1", "ConfigMap", ns, "remote-cm-keyed")).NotTo(BeNil())
}

func TestObjectAnnotationsAndSuspend(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	annotated := func(name, key, value string) string {
		return fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n  annotations: {%q: %q}\ndata:\n  key: v1\n", name, key, value)
	}
	a := publish(t, ns, rev(1), map[string]string{
		"ignored.yaml": annotated("ignored", kustomizev1.SSAAnnotation, kustomizev1.SSAIgnoreValue),
		"kept.yaml":    annotated("kept", kustomizev1.PruneAnnotation, kustomizev1.DisabledValue),
		"plain.yaml":   configMap("plain", "v1"),
	})
	repo := gitRepository(t, ns, "repo", &a)
	k := kustomization(t, ns, "app", repo.Name, func(k *kustomizev1.Kustomization) { k.Spec.TargetNamespace = ns })
	readyAt(t, k, a.Revision)
	g.Expect(object(t, "v1", "ConfigMap", ns, "ignored")).To(BeNil())

	b := publish(t, ns, rev(2), map[string]string{"plain.yaml": configMap("plain", "v2")})
	setArtifact(t, repo, b)
	readyAt(t, k, b.Revision)
	g.Expect(object(t, "v1", "ConfigMap", ns, "kept")).NotTo(BeNil(), "prune: disabled keeps the object")

	// Suspended: a new revision is not applied.
	statuscheck.Update(t, env.Client, k, func(k *kustomizev1.Kustomization) { k.Spec.Suspend = true })
	c := publish(t, ns, rev(3), map[string]string{"plain.yaml": configMap("plain", "v3")})
	setArtifact(t, repo, c)
	g.Consistently(func() any { return object(t, "v1", "ConfigMap", ns, "plain").Object["data"] }, "2s", testenv.Interval).
		Should(HaveKeyWithValue("key", "v2"))
	statuscheck.Update(t, env.Client, k, func(k *kustomizev1.Kustomization) { k.Spec.Suspend = false })
	readyAt(t, k, c.Revision)
	g.Expect(object(t, "v1", "ConfigMap", ns, "plain").Object["data"]).To(HaveKeyWithValue("key", "v3"))
}

// TestForce: an update that changes an immutable field fails, and spec.force recreates the
// object instead.
func TestForce(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	frozen := func(v string) string {
		return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: frozen\nimmutable: true\ndata:\n  key: " + v + "\n"
	}
	a := publish(t, ns, rev(1), map[string]string{"cm.yaml": frozen("v1")})
	repo := gitRepository(t, ns, "repo", &a)
	k := kustomization(t, ns, "app", repo.Name, func(k *kustomizev1.Kustomization) { k.Spec.TargetNamespace = ns })
	readyAt(t, k, a.Revision)
	uid := object(t, "v1", "ConfigMap", ns, "frozen").GetUID()

	b := publish(t, ns, rev(2), map[string]string{"cm.yaml": frozen("v2")})
	setArtifact(t, repo, b)
	statuscheck.NotReady(t, env.Client, k, fluxmeta.ReconciliationFailedReason, "immutable")

	statuscheck.Update(t, env.Client, k, func(k *kustomizev1.Kustomization) { k.Spec.Force = true })
	readyAt(t, k, b.Revision)
	cm := object(t, "v1", "ConfigMap", ns, "frozen")
	g.Expect(cm.Object["data"]).To(HaveKeyWithValue("key", "v2"))
	g.Expect(cm.GetUID()).NotTo(Equal(uid), "recreated")
}

// TestRetryInterval: a failed apply is retried after spec.retryInterval, not after the hour of
// spec.interval; nothing else wakes it here (namespaces are not watched).
func TestRetryInterval(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	later := ns + "-later"
	a := publish(t, ns, rev(1), map[string]string{"cm.yaml": configMap("cm", "1")})
	repo := gitRepository(t, ns, "repo", &a)
	k := kustomization(t, ns, "app", repo.Name, func(k *kustomizev1.Kustomization) {
		k.Spec.TargetNamespace = later
		k.Spec.RetryInterval = &metav1.Duration{Duration: time.Second}
	})
	statuscheck.NotReady(t, env.Client, k, fluxmeta.ReconciliationFailedReason, later)

	nsObj := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: later}}
	g.Expect(env.Client.Create(ctxT(t), nsObj)).To(Succeed())
	t.Cleanup(func() { _ = env.Client.Delete(context.Background(), nsObj) })
	readyAt(t, k, a.Revision)
	g.Expect(object(t, "v1", "ConfigMap", later, "cm")).NotTo(BeNil())
}
