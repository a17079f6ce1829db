package webhook

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"hash"
	"net/http"
	"testing"
)

const token = "s3cr3t-t0ken"

// mac returns the hex HMAC of body with key.
func mac(newHash func() hash.Hash, key, body string) string {
	m := hmac.New(newHash, []byte(key))
	m.Write([]byte(body))
	return hex.EncodeToString(m.Sum(nil))
}

// req builds a Request from header pairs and a body.
func req(body string, kv ...string) Request {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return Request{Header: h, Body: []byte(body)}
}

// Payloads as the senders document them (shortened).
const (
	githubPush    = `{"ref":"refs/heads/main","after":"0123456789abcdef0123456789abcdef01234567","repository":{"full_name":"org/app"}}`
	gitlabPush    = `{"object_kind":"push","ref":"refs/heads/main","project":{"path_with_namespace":"group/app"}}`
	bitbucketPush = `{"eventKey":"repo:refs_changed","repository":{"slug":"app","project":{"key":"PRJ"}},"changes":[{"ref":{"id":"refs/heads/main"}}]}`
	harborPush    = `{"type":"PUSH_ARTIFACT","occur_at":1680000000,"operator":"admin","event_data":{"repository":{"repo_full_name":"library/app"},"resources":[{"tag":"1.0.0"}]}}`
	dockerhubPush = `{"callback_url":"https://registry.hub.docker.com/u/org/app/hook/x/","push_data":{"pushed_at":1680000000,"pusher":"bot","tag":"1.0.0"},"repository":{"repo_name":"org/app","namespace":"org","name":"app"}}`
	quayPush      = `{"repository":"org/app","namespace":"org","name":"app","docker_url":"quay.io/org/app","homepage":"https://quay.io/repository/org/app","updated_tags":["1.0.0"]}`
	nexusPush     = `{"timestamp":"2023-01-01T00:00:00.000+0000","nodeId":"n1","initiator":"admin/127.0.0.1","repositoryName":"docker-hosted","action":"CREATED","component":{"name":"app","version":"1.0.0"}}`
	acrPush       = `{"id":"a1","timestamp":"2023-01-01T00:00:00Z","action":"push","target":{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","repository":"app","tag":"1.0.0","digest":"sha256:abc"},"request":{"host":"reg.azurecr.io"}}`
	cdeventBody   = `{"context":{"version":"0.4.1","id":"1","source":"/ci","type":"dev.cdevents.artifact.published.0.1.1","timestamp":"2023-01-01T00:00:00Z"},"subject":{"id":"pkg:oci/app@sha256:abc","content":{}}}`
	cdeventCE     = `{"specversion":"1.0","id":"1","source":"/ci","type":"dev.cdevents.artifact.published.0.1.1","datacontenttype":"application/json","data":{"subject":{"id":"pkg:oci/app"}}}`
)

// TestValidate runs each Receiver type with requests its sender would send, one genuine and
// one forged (or broken), and the events filter.
func TestValidate(t *testing.T) {
	secret := Secret{Token: token}
	tests := []struct {
		name, typ string
		r         Request
		events    []string
		act       bool
		err       error
	}{
		{"generic acts on anything", "generic", req(""), nil, true, nil},
		{"generic-hmac sha256", "generic-hmac", req(`{"a":1}`, "X-Signature", "sha256="+mac(sha256.New, token, `{"a":1}`)), nil, true, nil},
		{"generic-hmac sha512", "generic-hmac", req("x", "X-Signature", "sha512="+mac(sha512.New, token, "x")), nil, true, nil},
		{"generic-hmac sha1", "generic-hmac", req("x", "X-Signature", "sha1="+mac(sha1.New, token, "x")), nil, true, nil},
		{"generic-hmac forged", "generic-hmac", req("x", "X-Signature", "sha256="+mac(sha256.New, "other", "x")), nil, false, ErrUnauthorized},
		{"generic-hmac unknown hash", "generic-hmac", req("x", "X-Signature", "md5=00"), nil, false, ErrUnauthorized},
		{"generic-hmac unsigned", "generic-hmac", req("x"), nil, false, ErrUnauthorized},
		{"github push", "github", req(githubPush, "X-GitHub-Event", "push", "Content-Type", "application/json",
			"X-Hub-Signature-256", "sha256="+mac(sha256.New, token, githubPush)), []string{"push"}, true, nil},
		{"github sha1 signature", "github", req(githubPush, "X-GitHub-Event", "push",
			"X-Hub-Signature", "sha1="+mac(sha1.New, token, githubPush)), nil, true, nil},
		{"github ping answers without acting", "github", req(`{"zen":"Keep it simple."}`, "X-GitHub-Event", "ping",
			"X-Hub-Signature-256", "sha256="+mac(sha256.New, token, `{"zen":"Keep it simple."}`)), []string{"push"}, false, nil},
		{"github event left out by spec.events", "github", req(githubPush, "X-GitHub-Event", "issues",
			"X-Hub-Signature-256", "sha256="+mac(sha256.New, token, githubPush)), []string{"push"}, false, nil},
		{"github forged", "github", req(githubPush, "X-GitHub-Event", "push",
			"X-Hub-Signature-256", "sha256="+mac(sha256.New, "guess", githubPush)), nil, false, ErrUnauthorized},
		{"github sha1 under the sha256 header", "github", req(githubPush, "X-GitHub-Event", "push",
			"X-Hub-Signature-256", "sha1="+mac(sha1.New, token, githubPush)), nil, false, ErrUnauthorized},
		{"gitlab push", "gitlab", req(gitlabPush, "X-Gitlab-Event", "Push Hook", "X-Gitlab-Token", token), []string{"Push Hook"}, true, nil},
		{"gitlab tag push filtered", "gitlab", req(gitlabPush, "X-Gitlab-Event", "Tag Push Hook", "X-Gitlab-Token", token), []string{"Push Hook"}, false, nil},
		{"gitlab wrong token", "gitlab", req(gitlabPush, "X-Gitlab-Event", "Push Hook", "X-Gitlab-Token", "guess"), nil, false, ErrUnauthorized},
		{"bitbucket push", "bitbucket", req(bitbucketPush, "X-Event-Key", "repo:refs_changed",
			"X-Hub-Signature", "sha256="+mac(sha256.New, token, bitbucketPush)), []string{"repo:refs_changed"}, true, nil},
		{"bitbucket ping", "bitbucket", req(`{"test":true}`, "X-Event-Key", "diagnostics:ping",
			"X-Hub-Signature", "sha256="+mac(sha256.New, token, `{"test":true}`)), nil, false, nil},
		{"bitbucket forged", "bitbucket", req(bitbucketPush, "X-Event-Key", "repo:refs_changed",
			"X-Hub-Signature", "sha256="+mac(sha256.New, "guess", bitbucketPush)), nil, false, ErrUnauthorized},
		{"harbor push", "harbor", req(harborPush, "Authorization", token), nil, true, nil},
		{"harbor wrong auth header", "harbor", req(harborPush, "Authorization", "Bearer "+token), nil, false, ErrUnauthorized},
		{"dockerhub push", "dockerhub", req(dockerhubPush), nil, true, nil},
		{"dockerhub not a push", "dockerhub", req(`{"hello":"world"}`), nil, false, ErrBadRequest},
		{"quay push", "quay", req(quayPush), nil, true, nil},
		{"quay not a push", "quay", req(`{"repository":"org/app"}`), nil, false, ErrBadRequest},
		{"nexus push", "nexus", req(nexusPush, "X-Nexus-Webhook-Signature", mac(sha1.New, token, nexusPush)), nil, true, nil},
		{"nexus forged", "nexus", req(nexusPush, "X-Nexus-Webhook-Signature", mac(sha1.New, "guess", nexusPush)), nil, false, ErrUnauthorized},
		{"acr push", "acr", req(acrPush), nil, true, nil},
		{"acr not a push", "acr", req(`[]`), nil, false, ErrBadRequest},
		{"cdevents binary", "cdevents", req(cdeventBody, "Ce-Type", "dev.cdevents.artifact.published.0.1.1", "Ce-Specversion", "1.0",
			"Ce-Id", "1", "Ce-Source", "/ci"), []string{"dev.cdevents.artifact.published"}, true, nil},
		{"cdevents structured", "cdevents", req(cdeventCE, "Content-Type", "application/cloudevents+json"), nil, true, nil},
		{"cdevents filtered", "cdevents", req(cdeventCE), []string{"dev.cdevents.change.merged"}, false, nil},
		{"cdevents not a CDEvent", "cdevents", req(`{"specversion":"1.0","type":"com.example.x"}`), nil, false, ErrBadRequest},
		{"generic-oidc is not supported", "generic-oidc", req(""), nil, false, ErrBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := Validate(tt.typ, tt.r, secret, tt.events, Options{})
			if !errors.Is(err, tt.err) || (tt.err != nil && err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if v.Act != tt.act {
				t.Fatalf("Act = %v, want %v (verdict %+v)", v.Act, tt.act, v)
			}
		})
	}
}

// TestValidateEmptyToken: a Receiver whose Secret holds no token accepts no signature.
func TestValidateEmptyToken(t *testing.T) {
	for _, typ := range []string{"generic-hmac", "github", "gitlab", "bitbucket", "harbor", "nexus"} {
		r := req(githubPush, "X-GitHub-Event", "push", "X-Event-Key", "repo:refs_changed", "X-Gitlab-Event", "Push Hook",
			"X-Hub-Signature-256", "sha256="+mac(sha256.New, "", githubPush), "X-Signature", "sha256="+mac(sha256.New, "", githubPush),
			"X-Hub-Signature", "sha256="+mac(sha256.New, "", githubPush), "X-Nexus-Webhook-Signature", mac(sha1.New, "", githubPush))
		if _, err := Validate(typ, r, Secret{}, nil, Options{}); !errors.Is(err, ErrUnauthorized) {
			t.Errorf("%s with an empty token: err = %v, want unauthorized", typ, err)
		}
	}
}
