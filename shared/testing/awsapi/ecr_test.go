package awsapi_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/ferry-gitops/ferry/shared/testing/awsapi"
)

const (
	ecrRole   = "arn:aws:iam::012345678901:role/ferry/ecr-reader"
	otherRole = "arn:aws:iam::012345678901:role/other"
)

// projectedToken is a JWT-shaped service account token, as EKS projects it; the server
// reads its claims without verifying it.
func projectedToken(sub string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256"}`)) + "." +
		enc([]byte(`{"sub":"`+sub+`","iss":"https://oidc.eks.eu-west-1.amazonaws.com/id/F00","aud":["sts.amazonaws.com"]}`)) + ".c2ln"
}

// newServer starts a server where the projected token of source-controller may assume
// ecrRole, the only role that may call ECR.
func newServer(t *testing.T) (*awsapi.Server, string) {
	t.Helper()
	s, err := awsapi.New(awsapi.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	token := projectedToken("system:serviceaccount:flux-system:source-controller")
	s.AllowWebIdentity(ecrRole, token)
	s.AllowWebIdentity(otherRole, "another-token")
	s.RequireECRRole(ecrRole)
	return s, token
}

// webIdentity is the SDK's web identity provider for role with a token file.
func webIdentity(t *testing.T, s *awsapi.Server, role, token string) *stscreds.WebIdentityRoleProvider {
	path := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(path, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	client := sts.New(sts.Options{Region: "eu-west-1", BaseEndpoint: aws.String(s.URL()), Retryer: aws.NopRetryer{}})
	return stscreds.NewWebIdentityRoleProvider(client, role, stscreds.IdentityTokenFile(path))
}

// ecrClient is the SDK's ECR client of the server in eu-west-1.
func ecrClient(s *awsapi.Server, creds aws.CredentialsProvider) *ecr.Client {
	return ecr.New(ecr.Options{Region: "eu-west-1", BaseEndpoint: aws.String(s.URL()), Credentials: creds, Retryer: aws.NopRetryer{}})
}

// errorCode is the AWS error code of err.
func errorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

func TestWebIdentityRoleGetsECRToken(t *testing.T) {
	s, token := newServer(t)
	s.SetECRAccount("210987654321")
	creds, err := webIdentity(t, s, ecrRole, token).Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if creds.SessionToken == "" || creds.AccountID != "012345678901" || !creds.Expires.After(time.Now()) {
		t.Fatalf("credentials: %+v", creds)
	}
	out, err := ecrClient(s, credentials.StaticCredentialsProvider{Value: creds}).
		GetAuthorizationToken(context.Background(), &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.AuthorizationData) != 1 {
		t.Fatalf("authorization data: %+v", out.AuthorizationData)
	}
	d := out.AuthorizationData[0]
	raw, _ := base64.StdEncoding.DecodeString(aws.ToString(d.AuthorizationToken))
	if string(raw) != "AWS:"+s.ECRPassword() {
		t.Errorf("token does not hold the password")
	}
	if got := aws.ToString(d.ProxyEndpoint); got != "https://210987654321.dkr.ecr.eu-west-1.amazonaws.com" {
		t.Errorf("proxy endpoint %s", got)
	}
	if d.ExpiresAt == nil || time.Until(*d.ExpiresAt) < 11*time.Hour {
		t.Errorf("expires at %v", d.ExpiresAt)
	}
	if s.ECRCalls() != 1 || s.Denied() != 0 {
		t.Fatalf("ecr calls %d, denied %d", s.ECRCalls(), s.Denied())
	}
}

func TestAssumeRoleWithWebIdentityAnswer(t *testing.T) {
	s, token := newServer(t)
	client := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(s.URL())})
	out, err := client.AssumeRoleWithWebIdentity(context.Background(), &sts.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String(ecrRole), RoleSessionName: aws.String("ferry"), WebIdentityToken: aws.String(token),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.SubjectFromWebIdentityToken); got != "system:serviceaccount:flux-system:source-controller" {
		t.Errorf("subject %q", got)
	}
	if got := aws.ToString(out.AssumedRoleUser.Arn); got != "arn:aws:sts::012345678901:assumed-role/ecr-reader/ferry" {
		t.Errorf("assumed role %q", got)
	}
	if aws.ToString(out.Audience) != "sts.amazonaws.com" || aws.ToString(out.Provider) != "oidc.eks.eu-west-1.amazonaws.com/id/F00" {
		t.Errorf("audience %q provider %q", aws.ToString(out.Audience), aws.ToString(out.Provider))
	}
}

func TestWrongWebIdentityAndWrongCredentialsAreRefused(t *testing.T) {
	s, _ := newServer(t)
	ctx := context.Background()
	if _, err := webIdentity(t, s, ecrRole, "forged").Retrieve(ctx); errorCode(err) != "InvalidIdentityToken" {
		t.Errorf("forged token: %v", err)
	}
	if _, err := webIdentity(t, s, ecrRole, "another-token").Retrieve(ctx); errorCode(err) != "AccessDenied" {
		t.Errorf("token of another role: %v", err)
	}
	other, err := webIdentity(t, s, otherRole, "another-token").Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		creds aws.Credentials
		want  string
	}{
		"server's own key":          {aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret"}, "AccessDeniedException"},
		"other role":                {other, "AccessDeniedException"},
		"wrong secret":              {aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "guess"}, "InvalidSignatureException"},
		"session without its token": {aws.Credentials{AccessKeyID: other.AccessKeyID, SecretAccessKey: other.SecretAccessKey}, "UnrecognizedClientException"},
	} {
		_, err := ecrClient(s, credentials.StaticCredentialsProvider{Value: tc.creds}).
			GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
		if errorCode(err) != tc.want {
			t.Errorf("%s: got %v, want %s", name, err, tc.want)
		}
	}
	if s.ECRCalls() != 4 || s.Denied() != 6 {
		t.Fatalf("ecr calls %d, denied %d", s.ECRCalls(), s.Denied())
	}

	// A form POST with the token of another service account.
	resp, err := http.PostForm(s.URL()+"/", url.Values{
		"Action": {"AssumeRoleWithWebIdentity"}, "Version": {"2011-06-15"}, "RoleArn": {ecrRole},
		"RoleSessionName": {"forger"}, "WebIdentityToken": {projectedToken("system:serviceaccount:flux-system:kustomize-controller")},
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("forged form: %d", resp.StatusCode)
	}
}
