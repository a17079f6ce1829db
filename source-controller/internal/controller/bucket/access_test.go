package bucket_test

import (
	"context"
	"net/http/httptest"
	"net/http/httputil"
	"sync"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// TestProxySecretRef sends the bucket's traffic through the proxy of spec.proxySecretRef,
// with its credentials.
func TestProxySecretRef(t *testing.T) {
	g := NewWithT(t)
	var mu sync.Mutex
	var seen []string
	fwd := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, r.In.Header.Get("Proxy-Authorization")+" "+r.In.URL.Host)
		r.Out.Host = r.In.Host
	}})
	t.Cleanup(fwd.Close)
	ns := testenv.NewNamespace(t, env.Client)
	g.Expect(env.Client.Create(context.Background(), &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "proxy"},
		Data: map[string][]byte{"address": []byte(fwd.URL), "username": []byte("u"), "password": []byte("p")}})).To(Succeed())
	obj := newBucket(t, ns, newS3Bucket(t, s3, map[string]string{"a.yaml": "a"}))
	obj.Spec.Endpoint = s3.Endpoint
	obj.Spec.ProxySecretRef = &fluxmeta.LocalObjectReference{Name: "proxy"}
	obj = statuscheck.Ready(t, env.Client, create(t, obj))
	g.Expect(artifactFiles(t, obj.Status.Artifact)).To(Equal(map[string]string{"a.yaml": "a"}))
	mu.Lock()
	defer mu.Unlock()
	g.Expect(seen).NotTo(BeEmpty())
	g.Expect(seen).To(HaveEach("Basic dTpw " + s3.Endpoint)) // base64("u:p")
	g.Expect(conditions.CheckInvariants(obj)).To(Succeed())
}

// TestRegion signs requests for spec.region: the server refuses a region that is not its own.
func TestRegion(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	obj := newBucket(t, ns, newS3Bucket(t, s3, map[string]string{"a.yaml": "a"}))
	obj.Spec.Region = "eu-north-9"
	obj = statuscheck.NotReady(t, env.Client, create(t, obj), sourcev1.BucketOperationFailedReason, "eu-north-9")
	g.Expect(conditions.CheckInvariants(obj)).To(Succeed())
}
