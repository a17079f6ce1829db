package action

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

func TestSharedValidator(t *testing.T) {
	g := NewWithT(t)
	shared, err := NewCache(0).get(env.Config)
	g.Expect(err).NotTo(HaveOccurred())
	v := shared.validator
	cm := []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v\n")

	g.Expect(v.ValidateBytes(cm)).To(Succeed())
	first := v.schema
	g.Expect(v.ValidateBytes(cm)).To(Succeed())
	g.Expect(v.schema).To(BeIdenticalTo(first), "the validator is reused")

	g.Expect(v.ValidateBytes([]byte("metadata:\n  name: a\n"))).To(MatchError(ContainSubstring("kind not set")))
	g.Expect(v.schema).To(BeNil(), "an error drops the validator, so nothing it cached survives a failure")
	g.Expect(v.ValidateBytes(cm)).To(Succeed())
	g.Expect(v.schema).NotTo(BeNil())

	v.built = time.Now().Add(-validatorTTL - time.Second)
	old := v.schema
	g.Expect(v.ValidateBytes(cm)).To(Succeed())
	g.Expect(v.schema).NotTo(BeIdenticalTo(old), "an old validator is rebuilt")
}

func TestOpenAPIValidationOption(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	cache := NewCache(0)
	c, err := New(Config{RESTConfig: env.Config, StorageNamespace: ns, Namespace: ns, Cache: cache})
	g.Expect(err).NotTo(HaveOccurred())
	shared, err := cache.get(env.Config)
	g.Expect(err).NotTo(HaveOccurred())

	// Disabled, the manifest is built without asking the validator.
	_, err = c.Install(ctxFor(t), packageChart(t, "schema"), nil, InstallOptions{ReleaseName: "lax", DisableOpenAPIValidation: true})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(shared.validator.schema).To(BeNil())

	// Enabled, it is asked (and keeps the schema it built).
	_, err = c.Upgrade(ctxFor(t), packageChart(t, "schema"), nil, UpgradeOptions{ReleaseName: "lax"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(shared.validator.schema).NotTo(BeNil())
}
