package verifytest

import (
	"context"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/digitorus/timestamp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/sign"
)

// Fulcio's certificate extensions: the OIDC issuer of the identity token, as Fulcio writes it
// (v2, a DER UTF8String; v1, raw bytes).
var (
	oidIssuerV1 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 1}
	oidIssuerV2 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 8}
	oidEKU      = asn1.ObjectIdentifier{2, 5, 29, 37}
)

// Sigstore is a private Sigstore deployment for tests: a Fulcio-like certificate authority
// (root and intermediate) issuing short-lived code-signing certificates to OIDC identities,
// and an RFC 3161 timestamp authority served over HTTP on 127.0.0.1. It has no transparency
// log, so its trusted root asks verifiers for signed timestamps.
type Sigstore struct {
	fulcioRoot, fulcio *cert
	tsaRoot, tsa       *cert
	tsaURL             string
}

// NewSigstore starts a test Sigstore; its timestamp authority stops when the test ends.
func NewSigstore(tb testing.TB) *Sigstore {
	tb.Helper()
	s := &Sigstore{fulcioRoot: newCA(tb, "fulcio root")}
	s.fulcio = newIntermediate(tb, "fulcio intermediate", s.fulcioRoot, x509.ExtKeyUsageCodeSigning)
	s.tsaRoot = newCA(tb, "tsa root")
	tsaKey := newKey(tb)
	eku, err := asn1.Marshal([]asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 8}})
	if err != nil {
		tb.Fatal(err)
	}
	s.tsa = &cert{key: tsaKey, cert: issue(tb, &x509.Certificate{
		Subject:         pkix.Name{CommonName: "tsa", Organization: []string{"Ferry Test"}},
		KeyUsage:        x509.KeyUsageDigitalSignature,
		ExtraExtensions: []pkix.Extension{{Id: oidEKU, Critical: true, Value: eku}}, // RFC 3161: critical timeStamping EKU
	}, &tsaKey.PublicKey, s.tsaRoot, nil)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(s.serveTimestamp), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	tb.Cleanup(func() { _ = srv.Close() })
	s.tsaURL = "http://" + ln.Addr().String() + "/api/v1/timestamp"
	return s
}

// serveTimestamp answers an RFC 3161 time-stamp query as Sigstore's timestamp authority does:
// a DER TimeStampReq POSTed as application/timestamp-query, a signed TimeStampResp back.
func (s *Sigstore) serveTimestamp(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/api/v1/timestamp" {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	if r.Header.Get("Content-Type") != "application/timestamp-query" {
		http.Error(w, "want Content-Type application/timestamp-query", http.StatusUnsupportedMediaType)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req, err := timestamp.ParseRequest(body)
	if err != nil {
		http.Error(w, "invalid time-stamp query: "+err.Error(), http.StatusBadRequest)
		return
	}
	ts := timestamp.Timestamp{
		HashAlgorithm: req.HashAlgorithm, HashedMessage: req.HashedMessage, Nonce: req.Nonce,
		Time: time.Now(), Policy: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 2}, AddTSACertificate: req.Certificates,
		ExtraExtensions: req.Extensions,
	}
	resp, err := ts.CreateResponseWithOpts(s.tsa.cert, s.tsa.key, crypto.SHA256)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/timestamp-reply")
	_, _ = w.Write(resp)
}

// TrustedRoot is the deployment's trusted_root.json, as `cosign trusted-root create` writes
// one: its certificate authority and its timestamp authority.
func (s *Sigstore) TrustedRoot(tb testing.TB) []byte {
	tb.Helper()
	start, end := time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour)
	ca := &root.FulcioCertificateAuthority{Root: s.fulcioRoot.cert, Intermediates: []*x509.Certificate{s.fulcio.cert},
		ValidityPeriodStart: start, ValidityPeriodEnd: end, URI: "https://fulcio.ferry.test"}
	tsa := &root.SigstoreTimestampingAuthority{Root: s.tsaRoot.cert, Leaf: s.tsa.cert,
		ValidityPeriodStart: start, ValidityPeriodEnd: end, URI: s.tsaURL}
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01, []root.CertificateAuthority{ca}, nil,
		[]root.TimestampingAuthority{tsa}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	data, err := tr.MarshalJSON()
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// Sign signs ref keyless as cosign 3 does: an ephemeral key, a certificate for the identity
// subject of issuer, a signed timestamp, all in a Sigstore bundle attached as a referrer.
func (s *Sigstore) Sign(tb testing.TB, ref name.Digest, issuer, subject string, opts []remote.Option) {
	tb.Helper()
	kp, err := sign.NewEphemeralKeypair(nil)
	if err != nil {
		tb.Fatal(err)
	}
	b, err := sign.Bundle(statement(tb, ref), kp, sign.BundleOptions{
		CertificateProvider:  &certificateProvider{s: s, issuer: issuer, subject: subject},
		TimestampAuthorities: []*sign.TimestampAuthority{sign.NewTimestampAuthority(&sign.TimestampAuthorityOptions{URL: s.tsaURL})},
	})
	if err != nil {
		tb.Fatal(err)
	}
	attachBundle(tb, ref, b, opts)
}

// certificateProvider issues certificates as Fulcio does for an identity token of issuer.
type certificateProvider struct {
	s               *Sigstore
	issuer, subject string
}

// GetCertificate issues a ten-minute code-signing certificate for the keypair's public key,
// naming the identity in its subject alternative name and the issuer in Fulcio's extensions.
func (p *certificateProvider) GetCertificate(_ context.Context, kp sign.Keypair, _ *sign.CertificateProviderOptions) ([]byte, error) {
	v2, err := asn1.MarshalWithParams(p.issuer, "utf8")
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		NotBefore:   time.Now().Add(-time.Minute),
		NotAfter:    time.Now().Add(10 * time.Minute),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		ExtraExtensions: []pkix.Extension{
			{Id: oidIssuerV1, Value: []byte(p.issuer)},
			{Id: oidIssuerV2, Value: v2},
		},
	}
	if strings.Contains(p.subject, "://") {
		u, err := url.Parse(p.subject)
		if err != nil {
			return nil, fmt.Errorf("invalid subject URI: %w", err)
		}
		tmpl.URIs = []*url.URL{u}
	} else {
		tmpl.EmailAddresses = []string{p.subject}
	}
	c, err := issueFor(tmpl, kp.GetPublicKey(), p.s.fulcio)
	if err != nil {
		return nil, err
	}
	return c.Raw, nil
}
