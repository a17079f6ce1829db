package repository

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ferry-gitops/ferry/shared/testing/helmrepo"
)

func newRepo(t *testing.T, opts helmrepo.Options) *helmrepo.Server {
	t.Helper()
	s, err := helmrepo.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	if _, err := s.AddChart(helmrepo.ChartFiles("demo", "1.0.0")); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteGeneratedIndex(""); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestFetchIndexAndChart(t *testing.T) {
	s := newRepo(t, helmrepo.Options{Username: "u", Password: "p", TLS: true})
	opts, err := OptionsFromSecrets(map[string][]byte{"username": []byte("u"), "password": []byte("p")}, map[string][]byte{"ca.crt": s.CAPEM()})
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewClient(s.URL()+"/", opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var idx bytes.Buffer
	digest, n, err := c.FetchIndex(context.Background(), &idx, 1<<20)
	if err != nil || !strings.HasPrefix(digest, "sha256:") || n != int64(idx.Len()) || !strings.Contains(idx.String(), "demo-1.0.0.tgz") {
		t.Fatalf("FetchIndex = %s, %d, %v", digest, n, err)
	}
	var chart bytes.Buffer
	if _, err := c.FetchChart(context.Background(), "demo-1.0.0.tgz", &chart, 1<<20); err != nil || chart.Len() == 0 {
		t.Fatalf("FetchChart: %v", err)
	}
	if _, _, err := c.FetchIndex(context.Background(), &bytes.Buffer{}, 10); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("size limit: %v", err)
	}
}

func TestFetchFailures(t *testing.T) {
	s := newRepo(t, helmrepo.Options{Username: "u", Password: "p", TLS: true})
	ca := map[string][]byte{"ca.crt": s.CAPEM()}
	wrong, _ := OptionsFromSecrets(map[string][]byte{"username": []byte("u"), "password": []byte("nope")}, ca)
	c, _ := NewClient(s.URL(), wrong)
	if _, _, err := c.FetchIndex(context.Background(), &bytes.Buffer{}, 0); !errors.Is(err, ErrUnauthorized) || strings.Contains(err.Error(), "nope") {
		t.Fatalf("wrong credentials: %v", err)
	}
	untrusted, _ := OptionsFromSecrets(map[string][]byte{"username": []byte("u"), "password": []byte("p")}, nil)
	c, _ = NewClient(s.URL(), untrusted)
	if _, _, err := c.FetchIndex(context.Background(), &bytes.Buffer{}, 0); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("untrusted server: %v", err)
	}
	c, _ = NewClient("http://127.0.0.1:1", Options{})
	if _, _, err := c.FetchIndex(context.Background(), &bytes.Buffer{}, 0); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("unreachable: %v", err)
	}
	if _, err := NewClient("ftp://example.com", Options{}); err == nil {
		t.Fatal("ftp URL accepted")
	}
}

// TestPassCredentials serves the index from one host and the chart from another that wants
// the same credentials: they are sent there only with PassCredentials.
func TestPassCredentials(t *testing.T) {
	charts := newRepo(t, helmrepo.Options{Username: "u", Password: "p"})
	for _, pass := range []bool{false, true} {
		c, _ := NewClient("http://localhost:1/charts", Options{Username: "u", Password: "p", PassCredentials: pass})
		_, err := c.FetchChart(context.Background(), charts.URL()+"/demo-1.0.0.tgz", &bytes.Buffer{}, 0)
		if pass != (err == nil) {
			t.Errorf("passCredentials=%v: %v", pass, err)
		}
	}
}

func TestResolveURL(t *testing.T) {
	c, _ := NewClient("https://example.com/charts", Options{})
	for in, want := range map[string]string{
		"a-1.0.0.tgz":               "https://example.com/charts/a-1.0.0.tgz",
		"/other/a.tgz":              "https://example.com/other/a.tgz",
		"https://cdn.example.com/a": "https://cdn.example.com/a",
	} {
		u, err := c.ResolveURL(in)
		if err != nil || u.String() != want {
			t.Errorf("ResolveURL(%q) = %v, %v; want %s", in, u, err, want)
		}
	}
	if _, err := c.ResolveURL("file:///etc/passwd"); err == nil {
		t.Error("file URL accepted")
	}
}

func TestOptionsFromSecrets(t *testing.T) {
	tests := []struct {
		name       string
		auth, cert map[string][]byte
		err        string
		tls        bool
	}{
		{name: "none"},
		{name: "basic", auth: map[string][]byte{"username": []byte("u"), "password": []byte("p")}},
		{name: "username only", auth: map[string][]byte{"username": []byte("u")}, err: "both 'username' and 'password'"},
		{name: "bad CA", cert: map[string][]byte{"ca.crt": []byte("nope")}, err: "holds no PEM certificate"},
		{name: "cert without key", cert: map[string][]byte{"tls.crt": []byte("x")}, err: "must be set together"},
		{name: "legacy CA key in auth secret", auth: map[string][]byte{"caFile": []byte("nope")}, err: "holds no PEM certificate"},
		{name: "empty cert secret", cert: map[string][]byte{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := OptionsFromSecrets(tt.auth, tt.cert)
			if (tt.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.err)) {
				t.Fatalf("error = %v, want %q", err, tt.err)
			}
			if err == nil && (o.TLS != nil) != tt.tls {
				t.Errorf("TLS = %v", o.TLS)
			}
		})
	}
}
