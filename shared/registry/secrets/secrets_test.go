package secrets

import (
	"context"
	"os"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	os.Exit(testenv.Run(m, testenv.Options{Setup: func(e *testenv.Env) error { env = e; return nil }}))
}

// TestConfig reads the credentials of spec.secretRef and of the service account's image pull
// secrets (the Secret first), the TLS material and the proxy, from a real API server.
func TestConfig(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, env.Client)
	secret := func(name string, data map[string]string) *corev1.Secret {
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, StringData: data}
		g.Expect(env.Client.Create(ctx, s)).To(Succeed())
		return s
	}
	secret("creds", map[string]string{corev1.DockerConfigJsonKey: `{"auths":{"a":{}}}`})
	secret("pull", map[string]string{corev1.DockerConfigJsonKey: `{"auths":{"b":{}}}`})
	secret("certs", map[string]string{"ca.crt": "ca", corev1.TLSCertKey: "cert", corev1.TLSPrivateKeyKey: "key"})
	secret("proxy", map[string]string{"address": "http://proxy.example:3128", "username": "u", "password": "p4ss"})
	secret("empty", map[string]string{"other": "x"})
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "puller", Namespace: ns},
		ImagePullSecrets: []corev1.LocalObjectReference{{Name: "pull"}}}
	g.Expect(env.Client.Create(ctx, sa)).To(Succeed())

	cfg, err := Config(ctx, env.Client, Refs{Namespace: ns, Secret: "creds", ServiceAccount: "puller", CertSecret: "certs", ProxySecret: "proxy"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cfg.DockerConfigs).To(Equal([][]byte{[]byte(`{"auths":{"a":{}}}`), []byte(`{"auths":{"b":{}}}`)}))
	g.Expect(string(cfg.CAData) + string(cfg.CertData) + string(cfg.KeyData)).To(Equal("cacertkey"))
	g.Expect(cfg.Proxy.String()).To(Equal("http://u:p4ss@proxy.example:3128"))

	for _, tc := range []struct {
		refs Refs
		msg  string
	}{
		{Refs{Secret: "missing"}, "failed to get secret '" + ns + "/missing': not found"},
		{Refs{Secret: "empty"}, "failed to read registry credentials from secret '" + ns + "/empty': it has no .dockerconfigjson key"},
		{Refs{ServiceAccount: "missing"}, "failed to get service account '" + ns + "/missing': not found"},
		{Refs{CertSecret: "empty"}, "it has none of ca.crt, tls.crt, tls.key"},
		{Refs{ProxySecret: "empty"}, "failed to read the proxy from secret '" + ns + "/empty': it has no address key"},
		{Refs{ProxySecret: "creds"}, "it has no address key"},
	} {
		tc.refs.Namespace = ns
		_, err := Config(ctx, env.Client, tc.refs)
		g.Expect(err).To(MatchError(ContainSubstring(tc.msg)))
		g.Expect(err.Error()).NotTo(ContainSubstring("p4ss"))
	}
}
