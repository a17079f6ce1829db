package receiver

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/ferry-gitops/ferry/notification-controller/internal/hook"
	"github.com/ferry-gitops/ferry/notification-controller/internal/webhook"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	notificationv1 "github.com/ferry-gitops/ferry/shared/api/notification/v1"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/manager"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/shared/testing/ctrltest"
	"github.com/ferry-gitops/ferry/shared/testing/freeport"
	"github.com/ferry-gitops/ferry/shared/testing/oidcissuer"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/surface"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

var (
	env *testenv.Env
	// receiverURL is where the suite's webhook server listens.
	receiverURL string
	// issuer signs the ID tokens of gcr requests, standing in for Google.
	issuer *localIssuer
	// oidcIssuer is the OIDC issuer of generic-oidc Receivers, on HTTPS.
	oidcIssuer *oidcissuer.Issuer
)

func TestMain(m *testing.M) {
	addr, err := freeport.Addr()
	if err != nil {
		os.Exit(1)
	}
	receiverURL = "http://" + addr
	if issuer, err = newLocalIssuer(); err != nil {
		os.Exit(1)
	}
	defer issuer.server.Close()
	if oidcIssuer, err = oidcissuer.Start(); err != nil {
		os.Exit(1)
	}
	defer oidcIssuer.Close()
	googleKeys := webhook.NewKeySet(issuer.server.URL, nil)
	register := func(mgr ctrl.Manager, rt *reconcile.Runtime, o *manager.Options) error {
		srv, err := hook.New(mgr, ctrlmetrics.Registry, hook.Options{Addr: addr, NoCrossNamespaceRefs: o.NoCrossNamespaceRefs, GoogleKeys: googleKeys,
			OIDCClient: oidcIssuer.Client()},
			ctrl.Log.WithName("receiver"))
		if err != nil {
			return err
		}
		if err := mgr.Add(srv); err != nil {
			return err
		}
		return Setup(mgr, rt, o)
	}
	os.Exit(ctrltest.RunSuite(m, ctrltest.SuiteOptions{
		AddToScheme:       []func(*runtime.Scheme) error{notificationv1.AddToScheme, sourcev1.AddToScheme},
		CRDDirectoryPaths: []string{"../../../../deploy/crds"},
		Manager:           ctrltest.Options{Name: "notification-controller", Register: register, Kinds: []client.Object{&notificationv1.Receiver{}}},
		Started:           func(e *testenv.Env, _ *ctrltest.Manager) { env = e },
	}))
}

// TestRefusedFields: every field docs/api-compatibility.md lists as refused stalls the
// Receiver, naming the field.
func TestRefusedFields(t *testing.T) {
	surface.CheckRefused(t, env.Client, testenv.NewNamespace(t, env.Client), "Receiver")
}

// gitRepository creates a GitRepository for a Receiver to trigger.
func gitRepository(t *testing.T, ns, name string, labels map[string]string) *sourcev1.GitRepository {
	t.Helper()
	g := &sourcev1.GitRepository{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels},
		Spec: sourcev1.GitRepositorySpec{URL: "https://127.0.0.1:1/repo.git", Interval: metav1.Duration{Duration: time.Hour}}}
	if err := env.Client.Create(context.Background(), g); err != nil {
		t.Fatal(err)
	}
	return g
}

// newReceiver creates a token Secret and a Receiver of typ for the resources, and waits until
// it is Ready.
func newReceiver(t *testing.T, ns, typ string, secret map[string]string, mutate func(*notificationv1.Receiver),
	resources ...notificationv1.ReceiverResource) *notificationv1.Receiver {
	t.Helper()
	ctx := context.Background()
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: typ + "-token", Namespace: ns}, StringData: secret}
	if err := env.Client.Create(ctx, s); err != nil {
		t.Fatal(err)
	}
	r := &notificationv1.Receiver{ObjectMeta: metav1.ObjectMeta{Name: typ, Namespace: ns},
		Spec: notificationv1.ReceiverSpec{Type: typ, SecretRef: &fluxmeta.LocalObjectReference{Name: s.Name}, Resources: resources}}
	if mutate != nil {
		mutate(r)
	}
	if err := env.Client.Create(ctx, r); err != nil {
		t.Fatal(err)
	}
	return statuscheck.Ready(t, env.Client, r)
}

// byName is a resource naming one GitRepository.
func byName(name string) notificationv1.ReceiverResource {
	return notificationv1.ReceiverResource{CrossNamespaceObjectReference: notificationv1.CrossNamespaceObjectReference{
		APIVersion: sourcev1.GroupVersion.String(), Kind: sourcev1.GitRepositoryKind, Name: name}}
}

// send makes a request to a Receiver's path and returns the status code.
func send(t *testing.T, path string, body []byte, header map[string]string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, receiverURL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// requestedAt reads the reconcile request annotation of a GitRepository.
func requestedAt(t *testing.T, ns, name string) string {
	t.Helper()
	var g sourcev1.GitRepository
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &g); err != nil {
		t.Fatal(err)
	}
	return g.Annotations[fluxmeta.ReconcileRequestAnnotation]
}

// eventually is Gomega's Eventually with the suite's timeouts.
func eventually(t *testing.T, f any) AsyncAssertion {
	return NewWithT(t).Eventually(f, testenv.Timeout, testenv.Interval)
}
