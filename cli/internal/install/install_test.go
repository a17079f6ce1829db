package install_test

import (
	"context"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// TestInstallCheckUninstall installs into a namespace, checks the installation, installs
// again (nothing changes), and uninstalls: the finalizer of a toolkit object does not hang
// the uninstall and what that object stood for stays.
func TestInstallCheckUninstall(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	const ns = "ferry-install"

	res := ferry(t, "check", "--pre")
	g.Expect(res.RunErr).NotTo(HaveOccurred())
	g.Expect(res.Err).To(ContainSubstring("✔ Kubernetes 1."))
	g.Expect(res.Err).To(ContainSubstring("✔ prerequisites checks passed"))

	res = ferry(t, "check", "-n", ns)
	g.Expect(res.RunErr).To(MatchError("check failed"), "check before install")
	g.Expect(res.Err).To(ContainSubstring("✗ no controllers found in ferry-install namespace"))

	res = ferry(t, "install", "-n", ns, "--components-extra=image-reflector-controller,image-automation-controller")
	g.Expect(res.RunErr).NotTo(HaveOccurred())
	g.Expect(res.Err).To(ContainSubstring("► installing components in ferry-install namespace"))
	g.Expect(res.Err).To(ContainSubstring("CustomResourceDefinition/gitrepositories.source.toolkit.fluxcd.io created"))
	for _, c := range []string{"source-controller", "kustomize-controller", "helm-controller", "notification-controller",
		"image-reflector-controller", "image-automation-controller"} {
		g.Expect(res.Err).To(ContainSubstring("✔ " + c + ": deployment ready"))
	}
	g.Expect(res.Err).To(HaveSuffix("✔ install finished\n"))

	res = ferry(t, "check", "-n", ns)
	g.Expect(res.RunErr).NotTo(HaveOccurred())
	g.Expect(res.Err).To(ContainSubstring("► checking version in cluster\n✔ distribution: ferry-test\n✔ bootstrapped: false\n"))
	g.Expect(res.Err).To(ContainSubstring("✔ source-controller: deployment ready"))
	g.Expect(res.Err).To(ContainSubstring("► ghcr.io/ferry-gitops/source-controller:latest"))
	g.Expect(res.Err).To(ContainSubstring("✔ kustomizations.kustomize.toolkit.fluxcd.io/v1"))
	g.Expect(res.Err).To(HaveSuffix("✔ all checks passed\n"))

	res = ferry(t, "version", "-n", ns)
	g.Expect(res.RunErr).NotTo(HaveOccurred())
	g.Expect(res.Out).To(HavePrefix("ferry: test\n"))
	g.Expect(res.Out).To(ContainSubstring("\nsource-controller: latest\n"))
	g.Expect(res.Out).To(ContainSubstring("\nimage-automation-controller: latest\n"))

	// KWOK plays the kubelet without serving logs: the command finds the controllers' pods
	// and names each one whose log it cannot read.
	res = ferry(t, "logs", "--flux-namespace", ns, "--timeout", "20s")
	g.Expect(res.RunErr).To(MatchError(ContainSubstring("failed to get the logs of pod " + ns + "/source-controller-")))
	res = ferry(t, "logs", "--flux-namespace", "default")
	g.Expect(res.RunErr).To(MatchError("no controller pods found in default namespace"))

	res = ferry(t, "install", "-n", ns, "--components-extra=image-reflector-controller,image-automation-controller")
	g.Expect(res.RunErr).NotTo(HaveOccurred())
	g.Expect(res.Err).NotTo(ContainSubstring(" created"), "a second install creates nothing")
	g.Expect(res.Err).NotTo(ContainSubstring(" configured"), "a second install changes nothing")

	// A toolkit object with a finalizer and no controller to remove it, and the
	// workload it stands for.
	repo := &sourcev1.GitRepository{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "app",
		Finalizers: []string{sourcev1.SourceFinalizer}}}
	repo.Spec.URL = "https://git.example.com/app"
	repo.Spec.Interval = metav1.Duration{Duration: time.Minute}
	g.Expect(env.Client.Create(ctx, repo)).To(Succeed())
	workload := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "applied-by-ferry"}}
	g.Expect(env.Client.Create(ctx, workload)).To(Succeed())

	res = ferry(t, "uninstall", "-n", ns, "--dry-run")
	g.Expect(res.RunErr).NotTo(HaveOccurred())
	g.Expect(res.Err).To(ContainSubstring("✔ Deployment/ferry-install/source-controller deleted (dry run)"))
	g.Expect(env.Client.Get(ctx, client.ObjectKeyFromObject(repo), repo)).To(Succeed(), "dry run deleted nothing")

	res = ferry(t, "uninstall", "-n", ns)
	g.Expect(res.RunErr).To(MatchError("uninstall cancelled"), "no confirmation, no uninstall")

	res = ferry(t, "uninstall", "-n", ns, "--silent")
	g.Expect(res.RunErr).NotTo(HaveOccurred())
	g.Expect(res.Err).To(ContainSubstring("✔ GitRepository/ferry-install/app finalizers deleted"))
	g.Expect(res.Err).To(ContainSubstring("✔ CustomResourceDefinition/gitrepositories.source.toolkit.fluxcd.io deleted"))
	g.Expect(res.Err).To(ContainSubstring("✔ Namespace/ferry-install deleted"))
	// The API server deletes a CRD's objects before the CRD, polling for up to a minute per
	// attempt: on a loaded machine that outlasts a rollout's deadline. What is left is named,
	// with the API server's Terminating condition (why it waits).
	g.Eventually(func() []string {
		var crds apiextensionsv1.CustomResourceDefinitionList
		g.Expect(env.Client.List(ctx, &crds)).To(Succeed())
		var left []string
		for _, crd := range crds.Items {
			if !strings.HasSuffix(crd.Name, ".toolkit.fluxcd.io") {
				continue
			}
			why := "not terminating"
			for _, c := range crd.Status.Conditions {
				if c.Type == apiextensionsv1.Terminating {
					why = c.Reason + ": " + c.Message
				}
			}
			left = append(left, crd.Name+" ("+why+")")
		}
		return left
	}, 3*testenv.RolloutTimeout, testenv.Interval).Should(BeEmpty(), "the CRDs are gone")
	g.Expect(env.Client.Get(ctx, client.ObjectKeyFromObject(workload), workload)).To(Succeed(), "the workload stays")
	g.Eventually(func() bool {
		return apierrors.IsNotFound(env.Client.Get(ctx, client.ObjectKey{Name: ns}, &corev1.Namespace{}))
	}, testenv.RolloutTimeout, testenv.Interval).Should(BeTrue(), "the namespace is gone")
}
