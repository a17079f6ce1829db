package webhook

import (
	"crypto/sha1"
	"fmt"
	"strings"
)

// harbor compares the Authorization header with the token (Harbor's "Auth Header").
func harbor(r Request, s Secret, _ []string, _ Options) (Verdict, error) {
	if !equalSecret(r.Header.Get("Authorization"), s.Token) {
		return Verdict{}, fmt.Errorf("missing or wrong Authorization header: %w", ErrUnauthorized)
	}
	var p struct {
		Type string `json:"type"`
	}
	payload, err := fieldsPresent(r.Body, &p, func() bool { return p.Type != "" }, "Harbor")
	if err != nil {
		return Verdict{}, err
	}
	return Verdict{Act: true, Event: p.Type, Payload: payload}, nil
}

// dockerhub reads a Docker Hub push notification; Docker Hub signs nothing, so the secret
// path is the only authentication.
func dockerhub(r Request, _ Secret, _ []string, _ Options) (Verdict, error) {
	var p struct {
		PushData *struct {
			Tag string `json:"tag"`
		} `json:"push_data"`
		Repository struct {
			RepoName string `json:"repo_name"`
		} `json:"repository"`
	}
	payload, err := fieldsPresent(r.Body, &p, func() bool { return p.PushData != nil && p.Repository.RepoName != "" }, "Docker Hub push")
	if err != nil {
		return Verdict{}, err
	}
	return Verdict{Act: true, Event: "push", Payload: payload}, nil
}

// quay reads a Quay repository push notification (the only one it acts on).
func quay(r Request, _ Secret, _ []string, _ Options) (Verdict, error) {
	var p struct {
		DockerURL   string   `json:"docker_url"`
		UpdatedTags []string `json:"updated_tags"`
	}
	payload, err := fieldsPresent(r.Body, &p, func() bool { return p.DockerURL != "" && len(p.UpdatedTags) > 0 }, "Quay repository push")
	if err != nil {
		return Verdict{}, err
	}
	return Verdict{Act: true, Event: "push", Payload: payload}, nil
}

// nexus checks X-Nexus-Webhook-Signature, the hex HMAC-SHA1 of the body, and reads a Nexus
// Repository Manager 3 repository webhook.
func nexus(r Request, s Secret, _ []string, _ Options) (Verdict, error) {
	sig := r.Header.Get("X-Nexus-Webhook-Signature")
	if sig == "" {
		return Verdict{}, fmt.Errorf("no X-Nexus-Webhook-Signature header: %w", ErrUnauthorized)
	}
	if err := verifyHex(sha1.New, sig, r.Body, s.Token); err != nil {
		return Verdict{}, err
	}
	var p struct {
		Action         string `json:"action"`
		RepositoryName string `json:"repositoryName"`
	}
	payload, err := fieldsPresent(r.Body, &p, func() bool { return p.Action != "" && p.RepositoryName != "" }, "Nexus")
	if err != nil {
		return Verdict{}, err
	}
	return Verdict{Act: true, Event: p.Action, Payload: payload}, nil
}

// acr reads an Azure Container Registry webhook; like Docker Hub, it signs nothing.
func acr(r Request, _ Secret, _ []string, _ Options) (Verdict, error) {
	var p struct {
		Action string `json:"action"`
		Target struct {
			Repository string `json:"repository"`
		} `json:"target"`
	}
	payload, err := fieldsPresent(r.Body, &p, func() bool { return p.Action != "" && p.Target.Repository != "" }, "Azure Container Registry")
	if err != nil {
		return Verdict{}, err
	}
	return Verdict{Act: true, Event: p.Action, Payload: payload}, nil
}

// cdeventsPrefix starts the type of every CDEvent.
const cdeventsPrefix = "dev.cdevents."

// cdevents reads a CDEvent sent as a CloudEvent, in binary mode (ce-* headers, the CDEvent as
// body) or structured mode (application/cloudevents+json, the CDEvent as data), and filters
// on its type: an entry of spec.events matches the type itself or the type without its
// version ("dev.cdevents.change.merged" matches "dev.cdevents.change.merged.0.2.0").
func cdevents(r Request, _ Secret, events []string, _ Options) (Verdict, error) {
	ceType := r.Header.Get("Ce-Type")
	body := r.Body
	if ceType == "" {
		var envelope struct {
			SpecVersion string         `json:"specversion"`
			Type        string         `json:"type"`
			Data        map[string]any `json:"data"`
		}
		if _, err := fieldsPresent(body, &envelope, func() bool { return envelope.SpecVersion != "" && envelope.Type != "" }, "CloudEvent"); err != nil {
			return Verdict{}, err
		}
		ceType = envelope.Type
	} else {
		if r.Header.Get("Ce-Specversion") == "" || r.Header.Get("Ce-Id") == "" || r.Header.Get("Ce-Source") == "" {
			return Verdict{}, fmt.Errorf("a binary CloudEvent needs ce-specversion, ce-id and ce-source: %w", ErrBadRequest)
		}
		var ev struct {
			Context struct {
				Type string `json:"type"`
			} `json:"context"`
			Subject map[string]any `json:"subject"`
		}
		if _, err := fieldsPresent(body, &ev, func() bool { return ev.Context.Type == ceType && ev.Subject != nil }, "CDEvent"); err != nil {
			return Verdict{}, err
		}
	}
	if !strings.HasPrefix(ceType, cdeventsPrefix) {
		return Verdict{}, fmt.Errorf("the event type is not a CDEvent type: %w", ErrBadRequest)
	}
	payload, err := jsonPayload(body)
	if err != nil {
		return Verdict{}, err
	}
	v := Verdict{Act: len(events) == 0, Event: ceType, Payload: payload}
	for _, e := range events {
		if e == ceType || strings.HasPrefix(ceType, e+".") {
			v.Act = true
		}
	}
	return v, nil
}
