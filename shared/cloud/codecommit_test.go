package cloud_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/testing/cloudtest"
	"github.com/ferry-gitops/ferry/shared/testing/gitserver"
)

// TestSignCodeCommit signs known requests; the expected passwords were computed apart from
// this code (Python's hmac and hashlib over the canonical request of the AWS CLI's credential
// helper), so that a mistake shared by the signer and the test server cannot pass.
func TestSignCodeCommit(t *testing.T) {
	tests := []struct {
		name, url          string
		creds              aws.Credentials
		at                 time.Time
		wantUser, wantPass string
		wantExpiry         time.Time
	}{
		{
			name:  "access key",
			url:   "https://git-codecommit.us-east-1.amazonaws.com/v1/repos/app",
			creds: aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"},
			at:    time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), wantUser: "AKIDEXAMPLE",
			wantPass:   "20250102T030405Z74536dcc5da2ea90461ad25af846d0ab5ab4670da9992af3c01eeef30c9dd0c6",
			wantExpiry: time.Date(2025, 1, 2, 3, 19, 5, 0, time.UTC),
		},
		{
			name: "temporary credentials, FIPS host, port and trailing slash",
			url:  "https://git-codecommit-fips.eu-west-1.amazonaws.com:443/v1/repos/my.repo/",
			creds: aws.Credentials{AccessKeyID: "ASIAEXAMPLE", SecretAccessKey: "secret", SessionToken: "session/token+1=",
				CanExpire: true, Expires: time.Date(2026, 1, 1, 0, 5, 0, 0, time.UTC)},
			at:       time.Date(2025, 12, 31, 23, 59, 59, 0, time.FixedZone("CET", 3600)).Add(time.Hour),
			wantUser: "ASIAEXAMPLE%session/token+1=",
			wantPass: "20251231T235959Za7fdcfc7fe8a1134bc76e8b477fed3137d21651f25a63093c3970c9c298dfc16",
			// The credentials expire before the signature does.
			wantExpiry: time.Date(2026, 1, 1, 0, 5, 0, 0, time.UTC),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := cloud.SignCodeCommit(tt.creds, tt.url, tt.at)
			if err != nil {
				t.Fatal(err)
			}
			if l.Username != tt.wantUser || l.Password != tt.wantPass || !l.Expiry.Equal(tt.wantExpiry) {
				t.Fatalf("got %q %q until %s, want %q %q until %s", l.Username, l.Password, l.Expiry, tt.wantUser, tt.wantPass, tt.wantExpiry)
			}
		})
	}
}

// TestCheckCodeCommitURL accepts the HTTPS URLs of CodeCommit repositories only, and says
// what to use instead without quoting a password of the URL.
func TestCheckCodeCommitURL(t *testing.T) {
	tests := []struct {
		url, want string // want: "" when accepted, else a part of the message
	}{
		{url: "https://git-codecommit.us-east-1.amazonaws.com/v1/repos/app"},
		{url: "https://git-codecommit-fips.us-gov-west-1.amazonaws.com/v1/repos/app"},
		{url: "https://git-codecommit.cn-north-1.amazonaws.com.cn/v1/repos/app"},
		{url: "ssh://git-codecommit.us-east-1.amazonaws.com/v1/repos/app", want: "over HTTPS only"},
		{url: "APKAEIBAERJR2EXAMPLE@git-codecommit.us-east-1.amazonaws.com:v1/repos/app", want: "over HTTPS only"},
		{url: "http://git-codecommit.us-east-1.amazonaws.com/v1/repos/app", want: "logs in to AWS CodeCommit repositories"},
		{url: "https://github.com/org/app", want: "logs in to AWS CodeCommit repositories"},
		{url: "https://git-codecommit.us-east-1.amazonaws.com.evil.example/v1/repos/app", want: "not 'https://git-codecommit.us-east-1.amazonaws.com.evil.example/v1/repos/app'"},
		{url: "https://user:s3cret@gitlab.example/app.git", want: "not 'https://user:xxxxx@gitlab.example/app.git'"},
		{url: "https://git-codecommit.us-east-1.amazonaws.com/app.git", want: "its path must be /v1/repos/<name>"},
		{url: "https://git-codecommit.us-east-1.amazonaws.com/v1/repos/", want: "its path must be /v1/repos/<name>"},
		{url: "https://git-codecommit.us-east-1.amazonaws.com/v1/repos/a/b", want: "its path must be /v1/repos/<name>"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			err := cloud.CheckCodeCommitURL(tt.url)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("got %v, want an error holding %q", err, tt.want)
			case err != nil && strings.Contains(err.Error(), "s3cret"):
				t.Fatalf("the message quotes the password: %v", err)
			}
		})
	}
}

// TestCodeCommitLogin signs in to a CodeCommit front (which checks the signature against
// the credentials its STS handed out) with the controller's IRSA role, then with a
// ServiceAccount's role when only that one is let in; logins are kept, apart for every
// identity, and the front refuses a login of another repository.
func TestCodeCommitLogin(t *testing.T) {
	c := cloudtest.AWS(t)
	c.AWS.AllowWebIdentity(cloudtest.TenantRoleARN, "genuine-token")
	repos := gitserver.NewRepos(t)
	repos.Create(t, "app", map[string]string{"a.yaml": "a: 1\n"})
	repos.Create(t, "other", map[string]string{"a.yaml": "a: 1\n"})
	backend := repos.ServeHTTP(t, gitserver.HTTPOptions{Plain: true})
	const host = "git-codecommit.us-east-1.amazonaws.com"
	cc := c.AWS.ServeCodeCommit(t, backend.URL, host)
	cc.RequireRole(cloudtest.RoleARN)
	hc := cc.Client(t)
	appURL := "https://" + host + "/v1/repos/app"

	tokens := cloud.NewCache(cloud.DefaultCacheSize, cloud.DefaultCacheDuration)
	l, err := tokens.CodeCommitLogin(t.Context(), appURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(l.Username, "%") {
		t.Fatalf("username %q holds no session token", l.Username)
	}
	if got := infoRefs(t, hc, appURL, l); got != http.StatusOK {
		t.Fatalf("the controller's login: %d", got)
	}
	if got := infoRefs(t, hc, "https://"+host+"/v1/repos/other", l); got != http.StatusForbidden {
		t.Fatalf("the login of app for another repository: %d, want 403", got)
	}
	again, err := tokens.CodeCommitLogin(t.Context(), appURL, nil)
	if err != nil || again.Password != l.Password {
		t.Fatalf("the login was not kept (%v)", err)
	}

	cc.RequireRole(cloudtest.TenantRoleARN)
	if got := infoRefs(t, hc, appURL, l); got != http.StatusForbidden {
		t.Fatalf("the controller's login where only the ServiceAccount's role is let in: %d, want 403", got)
	}
	var account tokenAccount
	sa := account.serviceAccount(map[string]string{cloud.AWSRoleARNAnnotation: cloudtest.TenantRoleARN}, "genuine-token")
	tenant, err := tokens.CodeCommitLogin(t.Context(), appURL, sa)
	if err != nil {
		t.Fatal(err)
	}
	if got := infoRefs(t, hc, appURL, tenant); got != http.StatusOK {
		t.Fatalf("the ServiceAccount's login: %d", got)
	}
	if cc.Accepted(cloudtest.RoleARN) == 0 || cc.Accepted(cloudtest.TenantRoleARN) == 0 {
		t.Fatal("the front did not count the logins it let in")
	}

	if _, err := tokens.CodeCommitLogin(t.Context(), "https://github.com/org/app", nil); err == nil {
		t.Fatal("logged in to a host that is not CodeCommit's")
	}
}

// infoRefs asks the repository at url for its references with login, as Git's smart HTTP
// protocol starts, and returns the HTTP status.
func infoRefs(t *testing.T, hc *http.Client, url string, l cloud.Login) int {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url+"/info/refs?service=git-upload-pack", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(l.Username, l.Password)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return resp.StatusCode
}
