package verifytest

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/cosign/v3/pkg/oci"
	"github.com/sigstore/cosign/v3/pkg/oci/mutate"
	ociremote "github.com/sigstore/cosign/v3/pkg/oci/remote"
	"github.com/sigstore/cosign/v3/pkg/oci/static"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	"github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/payload"
	"google.golang.org/protobuf/encoding/protojson"
)

// CosignSignPredicate is the predicate type of the in-toto statement cosign 3 signs to sign
// an image.
const CosignSignPredicate = "https://sigstore.dev/cosign/sign/v1"

// CosignKey is a cosign key pair, as `cosign generate-key-pair` makes one.
type CosignKey struct {
	key *ecdsa.PrivateKey
	// PublicPEM is the public key, as cosign.pub holds it.
	PublicPEM []byte
}

// NewCosignKey returns a new ECDSA P-256 cosign key pair.
func NewCosignKey(tb testing.TB) *CosignKey {
	tb.Helper()
	k := newKey(tb)
	pub, err := cryptoutils.MarshalPublicKeyToPEM(&k.PublicKey)
	if err != nil {
		tb.Fatal(err)
	}
	return &CosignKey{key: k, PublicPEM: pub}
}

// Sign signs ref as `cosign sign --key` of cosign 2 does: a simple-signing payload naming the
// digest, signed with the key and attached under the sha256-<digest>.sig tag.
func (k *CosignKey) Sign(tb testing.TB, ref name.Digest, opts []remote.Option) {
	tb.Helper()
	sv, err := signature.LoadECDSASignerVerifier(k.key, crypto.SHA256)
	if err != nil {
		tb.Fatal(err)
	}
	p, err := (&payload.Cosign{Image: ref}).MarshalJSON()
	if err != nil {
		tb.Fatal(err)
	}
	sig, err := sv.SignMessage(bytes.NewReader(p))
	if err != nil {
		tb.Fatal(err)
	}
	s, err := static.NewSignature(p, base64.StdEncoding.EncodeToString(sig))
	if err != nil {
		tb.Fatal(err)
	}
	attachSignature(tb, ref, s, opts)
}

// SignBundle signs ref as cosign 3 does by default: an in-toto statement whose subject is the
// digest, in a DSSE envelope signed with the key, in a Sigstore bundle attached as a referrer.
func (k *CosignKey) SignBundle(tb testing.TB, ref name.Digest, opts []remote.Option) {
	tb.Helper()
	b, err := sign.Bundle(statement(tb, ref), &keypair{key: k.key}, sign.BundleOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	attachBundle(tb, ref, b, opts)
}

// attachSignature adds a signature under the .sig tag of ref, keeping those already there.
func attachSignature(tb testing.TB, ref name.Digest, sig oci.Signature, opts []remote.Option) {
	tb.Helper()
	ro := ociremote.WithRemoteOptions(opts...)
	se, err := ociremote.SignedEntity(ref, ro)
	if err != nil {
		tb.Fatal(err)
	}
	if se, err = mutate.AttachSignatureToEntity(se, sig); err != nil {
		tb.Fatal(err)
	}
	if err := ociremote.WriteSignatures(ref.Context(), se, ro); err != nil {
		tb.Fatal(err)
	}
}

// attachBundle attaches a Sigstore bundle to ref as an OCI referrer, as cosign 3 does (the
// registry must serve the referrers API).
func attachBundle(tb testing.TB, ref name.Digest, b *protobundle.Bundle, opts []remote.Option) {
	tb.Helper()
	data, err := protojson.Marshal(b)
	if err != nil {
		tb.Fatal(err)
	}
	if err := ociremote.WriteAttestationNewBundleFormat(ref, data, CosignSignPredicate, ociremote.WithRemoteOptions(opts...)); err != nil {
		tb.Fatal(err)
	}
}

// statement is the DSSE content cosign 3 signs for ref.
func statement(tb testing.TB, ref name.Digest) *sign.DSSEData {
	tb.Helper()
	st := map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []any{map[string]any{"name": ref.Context().Name(), "digest": map[string]string{"sha256": ref.DigestStr()[len("sha256:"):]}}},
		"predicateType": CosignSignPredicate,
		"predicate":     map[string]any{},
	}
	data, err := json.Marshal(st)
	if err != nil {
		tb.Fatal(err)
	}
	return &sign.DSSEData{Data: data, PayloadType: "application/vnd.in-toto+json"}
}

// keypair is sigstore-go's signing interface over a cosign key.
type keypair struct{ key *ecdsa.PrivateKey }

func (k *keypair) GetHashAlgorithm() protocommon.HashAlgorithm {
	return protocommon.HashAlgorithm_SHA2_256
}

func (k *keypair) GetSigningAlgorithm() protocommon.PublicKeyDetails {
	return protocommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256
}

func (k *keypair) GetHint() []byte {
	der, _ := cryptoutils.MarshalPublicKeyToDER(&k.key.PublicKey)
	h := sha256.Sum256(der)
	return []byte(base64.StdEncoding.EncodeToString(h[:]))
}

func (k *keypair) GetKeyAlgorithm() string        { return "ECDSA" }
func (k *keypair) GetPublicKey() crypto.PublicKey { return &k.key.PublicKey }

func (k *keypair) GetPublicKeyPem() (string, error) {
	pub, err := cryptoutils.MarshalPublicKeyToPEM(&k.key.PublicKey)
	return string(pub), err
}

func (k *keypair) SignData(_ context.Context, data []byte) ([]byte, []byte, error) {
	digest := sha256.Sum256(data)
	sig, err := ecdsa.SignASN1(rand.Reader, k.key, digest[:])
	return sig, digest[:], err
}
