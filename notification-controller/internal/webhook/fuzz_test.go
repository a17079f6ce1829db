package webhook

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"
)

// Fuzz tests for every Receiver type's parser and signature check. Whatever the body and
// headers: Validate does not panic; an error is one of the two the server maps to a status
// and a refused request never acts; a request that acts names an event spec.events lists.
// For the signed types: a body changed after signing, or signed with another key, is never
// accepted, and the genuine signature of the body sent is never refused as unauthorized.
// For the token types: only the Receiver's token is accepted.

// fuzzEvents is the spec.events of every fuzzed Receiver.
var fuzzEvents = []string{"push", "Push Hook", "repo:refs_changed"}

// fuzzValidate runs one request through typ and checks the invariants every type shares;
// it returns whether the request was accepted, and the error.
func fuzzValidate(t *testing.T, typ string, r Request) (bool, error) {
	v, err := Validate(typ, r, Secret{Token: token}, fuzzEvents, Options{})
	if err != nil {
		if !errors.Is(err, ErrUnauthorized) && !errors.Is(err, ErrBadRequest) {
			t.Fatalf("%s: error %v is neither unauthorized nor bad request", typ, err)
		}
		if v.Act {
			t.Fatalf("%s: a refused request acts", typ)
		}
		if strings.Contains(err.Error(), token) {
			t.Fatalf("%s: the error quotes the token: %v", typ, err)
		}
		return false, err
	}
	filters := typ == "github" || typ == "gitlab" || typ == "bitbucket"
	if filters && v.Act && !slices.Contains(fuzzEvents, v.Event) {
		t.Fatalf("%s: acts on event %q, which spec.events does not list", typ, v.Event)
	}
	return true, nil
}

// signedTypes sign the body: each returns the headers of a request whose body key signed.
var signedTypes = map[string]func(body []byte, key, event string) []string{
	"generic-hmac": func(body []byte, key, _ string) []string {
		return []string{"X-Signature", "sha512=" + mac(sha512.New, key, string(body))}
	},
	"github": func(body []byte, key, event string) []string {
		ct := "application/json"
		if bytes.HasPrefix(body, []byte("payload=")) {
			ct = "application/x-www-form-urlencoded"
		}
		if strings.HasPrefix(event, "sha1") { // the older header GitHub still sends
			return []string{"X-GitHub-Event", event, "Content-Type", ct, "X-Hub-Signature", "sha1=" + mac(sha1.New, key, string(body))}
		}
		return []string{"X-GitHub-Event", event, "Content-Type", ct, "X-Hub-Signature-256", "sha256=" + mac(sha256.New, key, string(body))}
	},
	"bitbucket": func(body []byte, key, event string) []string {
		return []string{"X-Event-Key", event, "X-Hub-Signature", "sha256=" + mac(sha256.New, key, string(body))}
	},
	"nexus": func(body []byte, key, _ string) []string {
		return []string{"X-Nexus-Webhook-Signature", mac(sha1.New, key, string(body))}
	},
}

// signedFuzz fuzzes a signed type: body is signed with the Receiver's token (or another key
// when forged) and sent is what reaches the Receiver (body itself when empty).
func signedFuzz(f *testing.F, typ, payload string) {
	for _, s := range []string{payload, "", "{", "[]", "null", `{"a":`, "payload=%7B%7D"} {
		f.Add([]byte(s), []byte{}, "push", false)
		f.Add([]byte(s), []byte(s+" "), "push", false)
		f.Add([]byte(s), []byte{}, "ping", true)
	}
	sign := signedTypes[typ]
	f.Fuzz(func(t *testing.T, body, sent []byte, event string, forged bool) {
		key := token
		if forged {
			key = "other"
		}
		if len(sent) == 0 {
			sent = body
		}
		r := req(string(sent), sign(body, key, event)...)
		ok, err := fuzzValidate(t, typ, r)
		if ok && forged {
			t.Fatalf("%s: a request signed with another key was accepted", typ)
		}
		if ok && !bytes.Equal(sent, body) {
			t.Fatalf("%s: a body changed after signing was accepted:\nsigned %q\nsent   %q", typ, body, sent)
		}
		if !forged && bytes.Equal(sent, body) && errors.Is(err, ErrUnauthorized) {
			t.Fatalf("%s: the genuine signature was refused: %v", typ, err)
		}
	})
}

func FuzzGenericHMAC(f *testing.F) { signedFuzz(f, "generic-hmac", `{"a":1}`) }
func FuzzGitHub(f *testing.F)      { signedFuzz(f, "github", githubPush) }
func FuzzBitbucket(f *testing.F)   { signedFuzz(f, "bitbucket", bitbucketPush) }
func FuzzNexus(f *testing.F)       { signedFuzz(f, "nexus", nexusPush) }

// tokenFuzz fuzzes a type that authenticates by a token header: only the Receiver's token
// is accepted.
func tokenFuzz(f *testing.F, typ, header, payload string, eventHeader ...string) {
	for _, s := range []string{payload, "", "{", "[]", "null"} {
		f.Add([]byte(s), token, "Push Hook")
		f.Add([]byte(s), token+" ", "push")
		f.Add([]byte(s), "", "push")
	}
	f.Fuzz(func(t *testing.T, body []byte, presented, event string) {
		kv := []string{header, presented}
		if len(eventHeader) > 0 {
			kv = append(kv, eventHeader[0], event)
		}
		ok, _ := fuzzValidate(t, typ, req(string(body), kv...))
		if ok && presented != token {
			t.Fatalf("%s: accepted the token %q", typ, presented)
		}
	})
}

func FuzzGitLab(f *testing.F) { tokenFuzz(f, "gitlab", "X-Gitlab-Token", gitlabPush, "X-Gitlab-Event") }
func FuzzHarbor(f *testing.F) { tokenFuzz(f, "harbor", "Authorization", harborPush) }

// unsignedFuzz fuzzes a type that signs nothing (the secret path is its authentication):
// only the parser and the shared invariants are exercised.
func unsignedFuzz(f *testing.F, typ, payload string, headers ...string) {
	for _, s := range []string{payload, "", "{", "[]", "null", `{"push_data":null}`, `{"target":{}}`} {
		f.Add([]byte(s), "dev.cdevents.artifact.published.0.1.1")
	}
	f.Fuzz(func(t *testing.T, body []byte, header string) {
		kv := append([]string{}, headers...)
		if len(kv) > 0 {
			kv = append(kv, "Ce-Type", header)
		}
		_, _ = fuzzValidate(t, typ, req(string(body), kv...))
	})
}

func FuzzGeneric(f *testing.F)   { unsignedFuzz(f, "generic", `{"a":1}`) }
func FuzzDockerHub(f *testing.F) { unsignedFuzz(f, "dockerhub", dockerhubPush) }
func FuzzQuay(f *testing.F)      { unsignedFuzz(f, "quay", quayPush) }
func FuzzACR(f *testing.F)       { unsignedFuzz(f, "acr", acrPush) }
func FuzzCDEvents(f *testing.F) {
	unsignedFuzz(f, "cdevents", cdeventBody, "Ce-Specversion", "1.0", "Ce-Id", "1", "Ce-Source", "/ci")
}

// FuzzGCRMessage fuzzes the Pub/Sub push body of the gcr type.
func FuzzGCRMessage(f *testing.F) {
	for _, s := range []string{pubsubPush("INSERT"), pubsubPush("DELETE"), "", "{", `{"message":{"data":"!!"}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		v, err := gcrMessage(body)
		if err != nil && (!errors.Is(err, ErrBadRequest) || v.Act) {
			t.Fatalf("gcrMessage: %+v, %v", v, err)
		}
	})
}

// FuzzGCRToken fuzzes the ID token of the gcr type, starting from a genuine one that Google
// (a local issuer) signed: a token is accepted only if its header and claims are exactly
// those that were signed, and it is refused as unauthorized, never as anything else.
func FuzzGCRToken(f *testing.F) {
	is := newIssuer(f)
	secret := Secret{Token: token, Audience: "https://flux.example.com/hook/x", Email: "push@p.iam.gserviceaccount.com"}
	now := time.Now()
	genuine := is.token(f, is.key, jwt.Claims{Issuer: "https://accounts.google.com", Audience: jwt.Audience{secret.Audience},
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(24 * time.Hour))}, secret.Email)
	signedHeader, signedClaims := jwsSegments(genuine)
	opts := Options{GoogleKeys: NewKeySet(is.server.URL, nil)}
	f.Add(genuine)
	f.Add(genuine[:len(genuine)-2])
	f.Add(strings.Replace(genuine, ".", "..", 1))
	f.Add("e30.e30.")
	f.Fuzz(func(t *testing.T, bearer string) {
		r := req(pubsubPush("INSERT"), "Authorization", "Bearer "+bearer)
		v, err := Validate("gcr", r, secret, nil, opts)
		if err != nil {
			if !errors.Is(err, ErrUnauthorized) || v.Act {
				t.Fatalf("gcr: %+v, %v", v, err)
			}
			return
		}
		header, claims := jwsSegments(bearer)
		if !bytes.Equal(header, signedHeader) || !bytes.Equal(claims, signedClaims) {
			t.Fatalf("gcr: accepted a token whose header or claims were changed: %q", bearer)
		}
	})
}

// jwsSegments decodes the header and payload of a compact JWS.
func jwsSegments(raw string) (header, payload []byte) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil, nil
	}
	header, _ = base64.RawURLEncoding.DecodeString(parts[0])
	payload, _ = base64.RawURLEncoding.DecodeString(parts[1])
	return header, payload
}
