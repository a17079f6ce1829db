package action

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
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
