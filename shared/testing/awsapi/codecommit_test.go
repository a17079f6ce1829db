package awsapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/testing/gitserver"
)

// TestCodeCommitFront lets a real Git client through with credentials signed for the
// repository by the temporary credentials of the required role, and refuses every way of
// getting them wrong before anything reaches the Git server.
func TestCodeCommitFront(t *testing.T) {
	s, token := newServer(t)
	repos := gitserver.NewRepos(t)
	head := repos.Create(t, "app", map[string]string{"a.yaml": "a: 1\n"})
	backend := repos.ServeHTTP(t, gitserver.HTTPOptions{Plain: true})
	const host = "git-codecommit.eu-west-1.amazonaws.com"
	cc := s.ServeCodeCommit(t, backend.URL, host)
	cc.RequireRole(ecrRole)
	appURL := "https://" + host + "/v1/repos/app"
	creds, err := webIdentity(t, s, ecrRole, token).Retrieve(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	sign := func(c aws.Credentials, url string, at time.Time) cloud.Login {
		l, err := cloud.SignCodeCommit(c, url, at)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	good := sign(creds, appURL, time.Now())

	// git itself, through the proxy, trusting the front's authority.
	caFile := t.TempDir() + "/ca.crt"
	gitserver.WriteFile(t, caFile, string(cc.CA))
	t.Setenv("GIT_SSL_CAINFO", caFile) // the environment's wins over http.sslCAInfo
	out, err := gitserver.Output(t.TempDir(), "-c", "http.proxy="+cc.Proxy.URL(),
		"ls-remote", strings.Replace(appURL, "https://", "https://"+urlUser(good.Username)+":"+good.Password+"@", 1), "refs/heads/master")
	if err != nil || !strings.HasPrefix(out, head) {
		t.Fatalf("git ls-remote: %q, %v", out, err)
	}
	if cc.Accepted(ecrRole) == 0 {
		t.Fatal("the front did not count the request it let through")
	}

	other, err := webIdentity(t, s, otherRole, "another-token").Retrieve(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	noToken := creds
	noToken.SessionToken = ""
	forged := creds
	forged.SecretAccessKey = "forged"
	tampered := good
	tampered.Password = good.Password[:len(good.Password)-1] + "0"
	if strings.HasSuffix(good.Password, "0") {
		tampered.Password = good.Password[:len(good.Password)-1] + "1"
	}
	hc := cc.Client(t)
	tests := []struct {
		name string
		url  string
		l    *cloud.Login
		want int
	}{
		{name: "no credentials", url: appURL, want: http.StatusUnauthorized},
		{name: "another role", url: appURL, l: ptr(sign(other, appURL, time.Now())), want: http.StatusForbidden},
		{name: "without the session token", url: appURL, l: ptr(sign(noToken, appURL, time.Now())), want: http.StatusForbidden},
		{name: "another secret key", url: appURL, l: ptr(sign(forged, appURL, time.Now())), want: http.StatusForbidden},
		{name: "tampered signature", url: appURL, l: &tampered, want: http.StatusForbidden},
		{name: "signed 20 minutes ago", url: appURL, l: ptr(sign(creds, appURL, time.Now().Add(-20*time.Minute))), want: http.StatusForbidden},
		{name: "signed for another repository", url: "https://" + host + "/v1/repos/other", l: &good, want: http.StatusForbidden},
		{name: "signed for another region", url: appURL, l: ptr(sign(creds, "https://git-codecommit.us-east-1.amazonaws.com/v1/repos/app", time.Now())), want: http.StatusForbidden},
		{name: "not a repository", url: "https://" + host + "/app.git", l: &good, want: http.StatusNotFound},
	}
	refused, accepted := s.Denied(), cc.Accepted(ecrRole)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, tt.url+"/info/refs?service=git-upload-pack", nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.l != nil {
				req.SetBasicAuth(tt.l.Username, tt.l.Password)
			}
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("got %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
	if got := s.Denied() - refused; got != 7 {
		t.Fatalf("counted %d refusals, want 7", got)
	}
	if got := cc.Accepted(ecrRole); got != accepted {
		t.Fatalf("the front let %d refused requests through", got-accepted)
	}
}

// urlUser escapes a username for a URL's user information.
func urlUser(user string) string {
	return strings.NewReplacer("%", "%25", "/", "%2F", "+", "%2B", "=", "%3D").Replace(user)
}

func ptr[T any](v T) *T { return &v }
