package verify

import (
	"context"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/ferry-gitops/ferry/shared/testing/registry"
	"github.com/ferry-gitops/ferry/source-controller/internal/verify/verifytest"
)

// BenchmarkVerify measures one verification of a signed artifact on a local registry, with
// the registry requests it costs (manifest and blob requests per verification).
func BenchmarkVerify(b *testing.B) {
	r, err := registry.Start(registry.Options{Referrers: true})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	reg := Registry{Remote: r.Options()}
	pushed := func(tag string) name.Digest {
		d, err := r.PushFiles("app", tag, map[string]string{"app.yaml": tag}, "", "")
		if err != nil {
			b.Fatal(err)
		}
		ref, err := name.NewDigest(r.Repo("app") + "@" + d)
		if err != nil {
			b.Fatal(err)
		}
		return ref
	}
	key, sigstore, notary := verifytest.NewCosignKey(b), verifytest.NewSigstore(b), verifytest.NewNotary(b, "bench")
	legacy, bundle, keyless, notation := pushed("legacy"), pushed("bundle"), pushed("keyless"), pushed("notation")
	key.Sign(b, legacy, r.Options())
	key.SignBundle(b, bundle, r.Options())
	sigstore.Sign(b, keyless, "https://issuer.example.com", "dev@example.com", r.Options())
	notary.Sign(b, notation)
	keys, err := NewCosignKeys([]PublicKey{{Name: "cosign.pub", PEM: key.PublicPEM}}, reg)
	if err != nil {
		b.Fatal(err)
	}
	ids, err := NewCosignKeyless(sigstore.TrustedRoot(b), []Identity{{Issuer: ".*", Subject: "^dev@example.com$"}}, reg)
	if err != nil {
		b.Fatal(err)
	}
	policy, err := NewNotation(verifytest.TrustPolicy("strict"), []Certificate{{Name: "ca.crt", Data: notary.CACertPEM}}, reg)
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		v    Verifier
		ref  name.Digest
	}{
		{"cosign-key-sig-tag", keys, legacy},
		{"cosign-key-bundle", keys, bundle},
		{"cosign-keyless-bundle", ids, keyless},
		{"notation", policy, notation},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r.ResetCounts()
			for b.Loop() {
				if out, err := bc.v.Verify(context.Background(), bc.ref); err != nil || !out.Verified {
					b.Fatalf("Verify = %+v, %v", out, err)
				}
			}
			c := r.Counts()
			b.ReportMetric(float64(c.ManifestGets+c.ManifestHeads)/float64(b.N), "manifest-requests/op")
			b.ReportMetric(float64(c.BlobGets+c.BlobHeads)/float64(b.N), "blob-requests/op")
		})
	}
}
