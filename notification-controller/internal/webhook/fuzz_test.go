package webhook

import (
	"crypto/sha1"
	"crypto/sha256"
	"errors"
	"testing"
)

// Fuzz tests for every Receiver type's parser: whatever the body and headers, Validate does
// not panic, an error is one of the two the server maps to a status, a request signed with
// another token is never accepted, and a refused request never acts.

// fuzzValidate runs one fuzz input through typ and checks the invariants.
func fuzzValidate(t *testing.T, typ string, r Request, forged bool) {
	v, err := Validate(typ, r, Secret{Token: token}, []string{"push", "Push Hook", "repo:refs_changed"}, Options{})
	if err != nil {
		if !errors.Is(err, ErrUnauthorized) && !errors.Is(err, ErrBadRequest) {
			t.Fatalf("%s: error %v is neither unauthorized nor bad request", typ, err)
		}
		if v.Act {
			t.Fatalf("%s: a refused request acts", typ)
		}
		return
	}
	if forged {
		t.Fatalf("%s: a request signed with another token was accepted", typ)
	}
}

// signedSeeds adds the documented payload and a few broken ones to f.
func signedSeeds(f *testing.F, payload string) {
	for _, s := range []string{payload, "", "{", "[]", "null", `{"a":`, "payload=%7B%7D"} {
		f.Add([]byte(s), "push", false)
		f.Add([]byte(s), "ping", true)
	}
}

// keyFor is the key a fuzz input signs with: the Receiver's token, or another one.
func keyFor(forged bool) string {
	if forged {
		return "other"
	}
	return token
}

func FuzzGenericHMAC(f *testing.F) {
	signedSeeds(f, `{"a":1}`)
	f.Fuzz(func(t *testing.T, body []byte, _ string, forged bool) {
		key := keyFor(forged)
		fuzzValidate(t, "generic-hmac", req(string(body), "X-Signature", "sha256="+mac(sha256.New, key, string(body))), forged)
	})
}

func FuzzGitHub(f *testing.F) {
	signedSeeds(f, githubPush)
	f.Fuzz(func(t *testing.T, body []byte, event string, forged bool) {
		key := keyFor(forged)
		ct := "application/json"
		if len(body) > 0 && body[0] == 'p' {
			ct = "application/x-www-form-urlencoded"
		}
		fuzzValidate(t, "github", req(string(body), "X-GitHub-Event", event, "Content-Type", ct,
			"X-Hub-Signature-256", "sha256="+mac(sha256.New, key, string(body))), forged)
	})
}

func FuzzGitLab(f *testing.F) {
	signedSeeds(f, gitlabPush)
	f.Fuzz(func(t *testing.T, body []byte, event string, forged bool) {
		key := keyFor(forged)
		fuzzValidate(t, "gitlab", req(string(body), "X-Gitlab-Event", event, "X-Gitlab-Token", key), forged)
	})
}

func FuzzBitbucket(f *testing.F) {
	signedSeeds(f, bitbucketPush)
	f.Fuzz(func(t *testing.T, body []byte, event string, forged bool) {
		key := keyFor(forged)
		fuzzValidate(t, "bitbucket", req(string(body), "X-Event-Key", event,
			"X-Hub-Signature", "sha256="+mac(sha256.New, key, string(body))), forged)
	})
}

func FuzzHarbor(f *testing.F) {
	signedSeeds(f, harborPush)
	f.Fuzz(func(t *testing.T, body []byte, _ string, forged bool) {
		key := keyFor(forged)
		fuzzValidate(t, "harbor", req(string(body), "Authorization", key), forged)
	})
}

func FuzzNexus(f *testing.F) {
	signedSeeds(f, nexusPush)
	f.Fuzz(func(t *testing.T, body []byte, _ string, forged bool) {
		key := keyFor(forged)
		fuzzValidate(t, "nexus", req(string(body), "X-Nexus-Webhook-Signature", mac(sha1.New, key, string(body))), forged)
	})
}

// unsignedFuzz fuzzes a type that signs nothing: only the parser is exercised.
func unsignedFuzz(f *testing.F, typ, payload string, headers ...string) {
	for _, s := range []string{payload, "", "{", "[]", "null", `{"push_data":null}`, `{"target":{}}`} {
		f.Add([]byte(s), "dev.cdevents.artifact.published.0.1.1")
	}
	f.Fuzz(func(t *testing.T, body []byte, header string) {
		kv := append([]string{}, headers...)
		if len(kv) > 0 {
			kv = append(kv, "Ce-Type", header)
		}
		fuzzValidate(t, typ, req(string(body), kv...), false)
	})
}

func FuzzGeneric(f *testing.F)   { unsignedFuzz(f, "generic", `{"a":1}`) }
func FuzzDockerHub(f *testing.F) { unsignedFuzz(f, "dockerhub", dockerhubPush) }
func FuzzQuay(f *testing.F)      { unsignedFuzz(f, "quay", quayPush) }
func FuzzACR(f *testing.F)       { unsignedFuzz(f, "acr", acrPush) }
func FuzzCDEvents(f *testing.F) {
	unsignedFuzz(f, "cdevents", cdeventBody, "Ce-Specversion", "1.0", "Ce-Id", "1", "Ce-Source", "/ci")
}

// FuzzGCRMessage fuzzes the Pub/Sub push body of the gcr type (its ID token is checked
// before, by a signature library).
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
