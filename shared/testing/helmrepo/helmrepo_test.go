package helmrepo_test

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ferry-gitops/ferry/shared/testing/helmrepo"
)

func TestServeIndexAndChartsWithAuthAndTLS(t *testing.T) {
	s, err := helmrepo.New(helmrepo.Options{Username: "u", Password: "p", TLS: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, v := range []string{"1.0.0", "1.1.0"} {
		if _, err := s.AddChart(helmrepo.ChartFiles("demo", v)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.WriteGeneratedIndex(""); err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(s.CAPEM()) {
		t.Fatal("no CA")
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	get := func(path string, auth bool) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, s.URL()+path, nil)
		if auth {
			req.SetBasicAuth("u", "p")
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/index.yaml", false); code != http.StatusUnauthorized {
		t.Fatalf("without auth: %d", code)
	}
	code, body := get("/index.yaml", true)
	if code != http.StatusOK || !strings.Contains(body, "demo-1.1.0.tgz") || !strings.Contains(body, "apiVersion: v1") {
		t.Fatalf("index: %d %s", code, body)
	}
	if code, _ := get("/demo-1.0.0.tgz", true); code != http.StatusOK {
		t.Fatalf("chart: %d", code)
	}
	if s.Served("/index.yaml") != 1 || s.Requests() != 3 {
		t.Fatalf("served %d index requests, %d in all", s.Served("/index.yaml"), s.Requests())
	}
}

func TestPackageFiles(t *testing.T) {
	data, err := helmrepo.PackageFiles(helmrepo.ChartFiles("demo", "1.0.0"))
	if err != nil || len(data) < 100 || data[0] != 0x1f || data[1] != 0x8b {
		t.Fatalf("PackageFiles = %d bytes, %v", len(data), err)
	}
}
