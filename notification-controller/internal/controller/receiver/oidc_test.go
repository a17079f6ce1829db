package receiver

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	notificationv1 "github.com/ferry-gitops/ferry/shared/api/notification/v1"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// oidcReceiver is a generic-oidc Receiver of the suite's issuer for audience "ferry" that
// accepts subjects of the org "acme" (not created).
func oidcReceiver(ns, name string, resources ...notificationv1.ReceiverResource) *notificationv1.Receiver {
	r := &notificationv1.Receiver{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}
	r.Spec = notificationv1.ReceiverSpec{Type: notificationv1.GenericOIDCReceiver, Resources: resources,
		OIDCProviders: []notificationv1.OIDCProvider{{
			IssuerURL: oidcIssuer.URL(), Audience: "ferry",
			Variables: []notificationv1.OIDCVariable{{Name: "org", Expression: `claims.sub.split("/")[0]`}},
			Validations: []notificationv1.OIDCValidation{
				{Expression: `vars.org == "acme"`, Message: "only acme may trigger this receiver"},
			},
		}}}
	return r
}

// oidcToken signs a token of the suite's issuer for subject, after mutate.
func oidcToken(t *testing.T, subject string, mutate func(map[string]any)) string {
	t.Helper()
	c := oidcIssuer.Claims("ferry", subject)
	if mutate != nil {
		mutate(c)
	}
	tok, err := oidcIssuer.Sign(c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// sendBearer posts body to path with the bearer token tok ("" for none) and returns the
// status code and the answer.
func sendBearer(t *testing.T, path, tok string, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, receiverURL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(answer))
}

// TestGenericOIDC: a generic-oidc Receiver has no Secret and serves /hook/<sha256 of its name
// and namespace>; a request is refused (401, or 403 with the validation's message) and
// reconciles nothing unless its bearer token is signed by the issuer of spec.oidcProviders
// (keys through OIDC discovery), for its audience, unexpired, and passes the validations;
// the token's claims reach spec.resourceFilter as 'claims'.
func TestGenericOIDC(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	gitRepository(t, ns, "app", nil)
	gitRepository(t, ns, "other", nil)
	obj := oidcReceiver(ns, "ci", byName("app"), byName("other"))
	obj.Spec.ResourceFilter = `res.metadata.name == claims.target`
	g := NewWithT(t)
	g.Expect(env.Client.Create(t.Context(), obj)).To(Succeed())
	recv := statuscheck.Ready(t, env.Client, obj)
	g.Expect(recv.Status.WebhookPath).To(Equal(recv.GetWebhookPath("")))
	path := recv.Status.WebhookPath

	forged, err := oidcIssuer.SignUnpublished(oidcIssuer.Claims("ferry", "acme/app"))
	g.Expect(err).NotTo(HaveOccurred())
	withTarget := func(c map[string]any) { c["target"] = "app" }
	refused := []struct {
		name, tok string
		code      int
		answer    string
	}{
		{"no token", "", http.StatusUnauthorized, "unauthorized"},
		{"wrong signature", forged, http.StatusUnauthorized, "unauthorized"},
		{"wrong issuer", oidcToken(t, "acme/app", func(c map[string]any) { c["iss"] = "https://issuer.example.com" }), http.StatusUnauthorized, "unauthorized"},
		{"wrong audience", oidcToken(t, "acme/app", func(c map[string]any) { c["aud"] = "notification-controller" }), http.StatusUnauthorized, "unauthorized"},
		{"expired", oidcToken(t, "acme/app", func(c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() }), http.StatusUnauthorized, "unauthorized"},
		{"failing validation", oidcToken(t, "evil/app", withTarget), http.StatusForbidden, "only acme may trigger this receiver"},
	}
	for _, r := range refused {
		code, answer := sendBearer(t, path, r.tok, []byte(`{}`))
		g.Expect(code).To(Equal(r.code), r.name)
		g.Expect(answer).To(ContainSubstring(r.answer), r.name)
	}
	g.Expect(requestedAt(t, ns, "app")).To(BeEmpty(), "a refused request reconciled")
	g.Expect(requestedAt(t, ns, "other")).To(BeEmpty(), "a refused request reconciled")

	code, answer := sendBearer(t, path, oidcToken(t, "acme/app", withTarget), []byte(`{}`))
	g.Expect(code).To(Equal(http.StatusOK), answer)
	g.Expect(requestedAt(t, ns, "app")).NotTo(BeEmpty())
	g.Expect(requestedAt(t, ns, "other")).To(BeEmpty(), "the filter over the claims let other through")
}

// TestGenericOIDCInvalid: an OIDC validation that does not compile, a generic-oidc Receiver
// with a Secret, and OIDC providers on another type stall the Receiver, naming the field.
func TestGenericOIDCInvalid(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	g := NewWithT(t)
	bad := oidcReceiver(ns, "bad-cel", byName("app"))
	bad.Spec.OIDCProviders[0].Validations[0].Expression = `vars.org ==`
	g.Expect(env.Client.Create(t.Context(), bad)).To(Succeed())
	cur := statuscheck.Stalled(t, env.Client, bad, notificationv1.InvalidConfigReason,
		`spec.oidcProviders[0].validations[0].expression "vars.org ==" does not compile`)
	g.Expect(cur.Status.WebhookPath).To(BeEmpty())

	badVar := oidcReceiver(ns, "bad-var", byName("app"))
	badVar.Spec.OIDCProviders[0].Variables[0].Expression = `claims.(`
	g.Expect(env.Client.Create(t.Context(), badVar)).To(Succeed())
	statuscheck.Stalled(t, env.Client, badVar, notificationv1.InvalidConfigReason, `spec.oidcProviders[0].variables[0].expression`)

	withSecret := oidcReceiver(ns, "with-secret", byName("app"))
	withSecret.Spec.SecretRef = &fluxmeta.LocalObjectReference{Name: "token"}
	g.Expect(env.Client.Create(t.Context(), withSecret)).To(Succeed())
	statuscheck.Stalled(t, env.Client, withSecret, notificationv1.InvalidConfigReason, "spec.secretRef cannot be set")

	generic := newReceiverObject(ns, "generic-with-oidc", "absent")
	generic.Spec.OIDCProviders = oidcReceiver(ns, "x").Spec.OIDCProviders
	g.Expect(env.Client.Create(t.Context(), generic)).To(Succeed())
	statuscheck.Stalled(t, env.Client, generic, notificationv1.InvalidConfigReason, "spec.oidcProviders can only be set")
}
