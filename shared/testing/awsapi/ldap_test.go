package awsapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/ferry-gitops/ferry/shared/testing/awsapi"
)

// TestAssumeRoleWithLDAPIdentity gets temporary credentials for an LDAP user with minio-go's
// client of MinIO's STS, and is refused them with a wrong password.
func TestAssumeRoleWithLDAPIdentity(t *testing.T) {
	srv, err := awsapi.New(awsapi.Credentials{AccessKeyID: "AKIATEST", SecretAccessKey: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srv.AllowLDAPIdentity("alice", "wonderland")
	get := func(password string) (credentials.Value, error) {
		id := &credentials.LDAPIdentity{Client: http.DefaultClient, STSEndpoint: srv.URL(), LDAPUsername: "alice", LDAPPassword: password}
		return credentials.New(id).Get()
	}
	v, err := get("wonderland")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(v.AccessKeyID, "ASIA") || v.SecretAccessKey == "" || v.SessionToken == "" || v.Expiration.IsZero() {
		t.Fatalf("unexpected credentials %+v", v)
	}
	if _, err := get("looking-glass"); err == nil || !strings.Contains(err.Error(), "invalid username or password") {
		t.Fatalf("unexpected error: %v", err)
	}
	if srv.Denied() != 1 {
		t.Fatalf("denied %d, want 1", srv.Denied())
	}
}
