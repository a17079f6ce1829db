package kubeconfig_test

import (
	"context"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/kubeconfig"
	"github.com/ferry-gitops/ferry/shared/testing/cloudtest"
	"github.com/ferry-gitops/ferry/shared/testing/clusterproxy"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	os.Exit(testenv.Run(m, testenv.Options{Setup: func(e *testenv.Env) error { env = e; return nil }}))
}

// grant lets subject create and read ConfigMaps, and nothing else, in ns.
func grant(t *testing.T, ns string, subject rbacv1.Subject) {
	t.Helper()
	ctx := context.Background()
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "configmaps"}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get", "list", "create"}},
	}}
	binding := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "configmaps"}, Subjects: []rbacv1.Subject{subject},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name}}
	for _, o := range []client.Object{role, binding} {
		if err := env.Client.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
}

// configMap creates the kubeconfig ConfigMap "remote" in ns.
func configMap(t *testing.T, ns string, data map[string]string) *fluxmeta.KubeConfigReference {
	t.Helper()
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "remote"}, Data: data}
	if err := env.Client.Create(context.Background(), cm); err != nil {
		t.Fatal(err)
	}
	return &fluxmeta.KubeConfigReference{ConfigMapRef: &fluxmeta.LocalObjectReference{Name: cm.Name}}
}

// actsAs checks that the cluster's configuration creates a ConfigMap in ns and is refused a
// Secret as user.
func actsAs(t *testing.T, c *kubeconfig.Cluster, ns, user string) {
	t.Helper()
	ctx := context.Background()
	cl, err := client.New(c.Config, client.Options{Scheme: env.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{GenerateName: "applied-", Namespace: ns}}
	if err := cl.Create(ctx, cm); err != nil {
		t.Fatalf("failed to create a ConfigMap through the remote configuration: %v", err)
	}
	err = cl.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "forbidden", Namespace: ns}})
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), `User "`+user+`"`) {
		t.Fatalf("creating a Secret: %v, want Forbidden for %s", err, user)
	}
}

// TestGeneric: a ConfigMap of provider generic authenticates with tokens of its
// ServiceAccount (or the default one), requested once and reused across loads.
func TestGeneric(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	ctx := context.Background()
	if err := env.Client.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "deployer"}}); err != nil {
		t.Fatal(err)
	}
	grant(t, ns, rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: "deployer"})
	var requests atomic.Int64
	direct, err := client.NewWithWatch(env.Config, client.Options{Scheme: env.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	counting := interceptor.NewClient(direct, interceptor.Funcs{
		SubResourceCreate: func(ctx context.Context, c client.Client, sub string, obj, sr client.Object, opts ...client.SubResourceCreateOption) error {
			requests.Add(1)
			return c.SubResource(sub).Create(ctx, obj, sr, opts...)
		},
	})
	ref := configMap(t, ns, map[string]string{"provider": "generic", "address": env.Config.Host,
		"ca.crt": string(env.Config.CAData), "serviceAccountName": "deployer"})
	l := &kubeconfig.Loader{Reader: env.Client, Client: counting}
	first, err := l.Load(ctx, ns, ref)
	if err != nil {
		t.Fatal(err)
	}
	if first.Config.BearerToken != "" {
		t.Fatal("the configuration carries a token instead of getting one per request")
	}
	actsAs(t, first, ns, "system:serviceaccount:"+ns+":deployer")
	again, err := l.Load(ctx, ns, ref)
	if err != nil {
		t.Fatal(err)
	}
	if again.Fingerprint != first.Fingerprint {
		t.Fatal("the same ConfigMap gave another fingerprint")
	}
	actsAs(t, again, ns, "system:serviceaccount:"+ns+":deployer")
	if got := requests.Load(); got != 1 {
		t.Fatalf("%d token requests, want 1: the token is reused until it is due", got)
	}

	// No serviceAccountName: the controller's default, which does not exist here.
	other := testenv.NewNamespace(t, env.Client)
	ref = configMap(t, other, map[string]string{"provider": "generic", "address": env.Config.Host, "ca.crt": string(env.Config.CAData)})
	if _, err := l.Load(ctx, other, ref); err == nil || !strings.Contains(err.Error(), "no --default-kubeconfig-service-account") {
		t.Fatalf("without a service account: %v", err)
	}
	l = &kubeconfig.Loader{Reader: env.Client, Client: env.Client, DefaultServiceAccount: "missing"}
	c, err := l.Load(ctx, other, ref)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := client.New(c.Config, client.Options{Scheme: env.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	err = cl.Get(ctx, client.ObjectKey{Namespace: other, Name: "remote"}, &corev1.ConfigMap{})
	if err == nil || !strings.Contains(err.Error(), "failed to request a token of ServiceAccount '"+other+"/missing'") {
		t.Fatalf("with a missing default service account: %v", err)
	}
}

// TestSecret: a kubeconfig Secret is read from "value", then "value.yaml", or the key named,
// and its fingerprint changes with its content.
func TestSecret(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	ctx := context.Background()
	raw, err := os.ReadFile(env.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	l := &kubeconfig.Loader{Reader: env.Client}
	ref := &fluxmeta.KubeConfigReference{SecretRef: &fluxmeta.SecretKeyReference{Name: "kubeconfig"}}
	if _, err := l.Load(ctx, ns, ref); err == nil || !strings.Contains(err.Error(), "failed to get kubeconfig Secret '"+ns+"/kubeconfig'") {
		t.Fatalf("without the Secret: %v", err)
	}
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "kubeconfig"},
		Data: map[string][]byte{"value.yaml": raw, "other": []byte("not a kubeconfig")}}
	if err := env.Client.Create(ctx, secret); err != nil {
		t.Fatal(err)
	}
	c, err := l.Load(ctx, ns, ref)
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSuffix(c.Config.Host, "/") != strings.TrimSuffix(env.Config.Host, "/") || c.Ref != "secret/"+ns+"/kubeconfig" {
		t.Fatalf("loaded %s from %s, want %s", c.Config.Host, c.Ref, env.Config.Host)
	}
	ref.SecretRef.Key = "other"
	if _, err := l.Load(ctx, ns, ref); err == nil || !strings.Contains(err.Error(), "key 'other'") {
		t.Fatalf("a broken kubeconfig: %v", err)
	}
	ref.SecretRef.Key = "missing"
	if _, err := l.Load(ctx, ns, ref); err == nil || !strings.Contains(err.Error(), "has no key [missing]") {
		t.Fatalf("a missing key: %v", err)
	}
	cfg, err := clientcmd.Load(raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range cfg.AuthInfos {
		a.Impersonate = "someone"
	}
	rotated, err := clientcmd.Write(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	secret.Data["value"] = rotated
	if err := env.Client.Update(ctx, secret); err != nil {
		t.Fatal(err)
	}
	ref.SecretRef.Key = ""
	after, err := l.Load(ctx, ns, ref)
	if err != nil {
		t.Fatal(err)
	}
	if after.Fingerprint == c.Fingerprint || after.Config.Impersonate.UserName != "someone" {
		t.Fatal("the key value, tried first, did not replace value.yaml")
	}
}

// TestCloudProviders: the controller's own identity on each cloud authenticates to a front
// end that accepts only that cloud's tokens, which maps them to a user.
func TestCloudProviders(t *testing.T) {
	const eksCluster = "arn:aws:eks:us-east-1:012345678901:cluster/ferry-test"
	for _, provider := range []string{cloud.AWS, cloud.Azure, cloud.GCP} {
		t.Run(provider, func(t *testing.T) {
			ns := testenv.NewNamespace(t, env.Client)
			var auth clusterproxy.Authenticate
			var stsURL string
			user := "ferry-" + provider
			data := map[string]string{"provider": provider}
			switch provider {
			case cloud.AWS:
				stsURL = cloudtest.AWS(t).AWS.URL()
				auth = clusterproxy.EKS(stsURL, "ferry-test")
				user = "arn:aws:sts::012345678901:assumed-role/ferry-source-controller/ferry"
				data["cluster"] = eksCluster
			case cloud.Azure:
				auth = clusterproxy.AKS(cloudtest.AzureIdentity(t, cloud.TestCAFileEnv), kubeconfig.AKSScope, user)
			case cloud.GCP:
				auth = clusterproxy.GKE(cloudtest.GCP(t).GCP, user)
			}
			proxy := clusterproxy.New(t, env.Config, auth)
			data["address"], data["ca.crt"] = proxy.URL, string(proxy.CACert)
			grant(t, ns, rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user})
			tokens := cloud.NewCache(cloud.DefaultCacheSize, cloud.DefaultCacheDuration)
			l := &kubeconfig.Loader{Reader: env.Client, Client: env.Client, Tokens: tokens}
			c, err := l.Load(context.Background(), ns, configMap(t, ns, data))
			if err != nil {
				t.Fatal(err)
			}
			actsAs(t, c, ns, user)
			if proxy.Refused() != 0 || proxy.Accepted() == 0 {
				t.Fatalf("the front end accepted %d requests and refused %d", proxy.Accepted(), proxy.Refused())
			}
			if tokens.Len() != 1 {
				t.Fatalf("%d tokens cached, want the one of the cluster", tokens.Len())
			}
			if provider == cloud.AWS {
				// The token names its cluster in a signed header: another cluster's STS call fails.
				tok, err := tokens.EKSToken(context.Background(), eksCluster)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := clusterproxy.EKS(stsURL, "another-cluster")(tok.Password); err == nil {
					t.Fatal("an EKS token for ferry-test was accepted by another cluster")
				}
			}
		})
	}
}
