package clusterproxy

import (
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/ferry-gitops/ferry/shared/testing/azureapi"
	"github.com/ferry-gitops/ferry/shared/testing/gcpapi"
)

// AKS accepts the Entra ID access tokens that srv issued for scope (the AKS server's), as
// user.
func AKS(srv *azureapi.Server, scope, user string) Authenticate {
	return func(token string) (string, error) {
		got, ok := srv.TokenScope(token)
		if !ok {
			return "", fmt.Errorf("not an access token of the Entra ID authority")
		}
		if got != scope {
			return "", fmt.Errorf("an access token for scope %s, want %s", got, scope)
		}
		return user, nil
	}
}

// GKE accepts the access tokens of the metadata server md, as user.
func GKE(md *gcpapi.Metadata, user string) Authenticate {
	return func(token string) (string, error) {
		if !md.Valid(token) {
			return "", fmt.Errorf("not an access token of the Google identity")
		}
		return user, nil
	}
}

// EKS accepts the tokens of the EKS cluster named cluster whose STS is at stsURL (awsapi's
// URL): "k8s-aws-v1." and the unpadded base64url of a GetCallerIdentity URL of that STS,
// presigned with the x-k8s-aws-id header, which it calls with the cluster's name in that
// header; the user is the ARN STS answers.
func EKS(stsURL, cluster string) Authenticate {
	return func(token string) (string, error) {
		raw, ok := strings.CutPrefix(token, "k8s-aws-v1.")
		if !ok {
			return "", fmt.Errorf("not an EKS token")
		}
		decoded, err := base64.RawURLEncoding.DecodeString(raw)
		if err != nil {
			return "", fmt.Errorf("an EKS token that is not base64url")
		}
		u, err := url.Parse(string(decoded))
		if err != nil {
			return "", fmt.Errorf("an EKS token that is not a URL")
		}
		sts, _ := url.Parse(stsURL)
		q := u.Query()
		switch {
		case u.Scheme != sts.Scheme || u.Host != sts.Host || (u.Path != "" && u.Path != "/"):
			return "", fmt.Errorf("an EKS token for another STS endpoint (%s://%s)", u.Scheme, u.Host)
		case q.Get("Action") != "GetCallerIdentity":
			return "", fmt.Errorf("an EKS token for action %q, want GetCallerIdentity", q.Get("Action"))
		case !signs(q.Get("X-Amz-SignedHeaders"), "x-k8s-aws-id"):
			return "", fmt.Errorf("an EKS token that does not sign the x-k8s-aws-id header")
		}
		req, err := http.NewRequest(http.MethodGet, u.String(), nil)
		if err != nil {
			return "", err
		}
		req.Header.Set("x-k8s-aws-id", cluster)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return "", fmt.Errorf("failed to call STS: %w", err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if resp.StatusCode != http.StatusOK {
			return "", fmt.Errorf("STS refused the EKS token: %s: %s", resp.Status, body)
		}
		var out struct {
			Arn string `xml:"GetCallerIdentityResult>Arn"`
		}
		if err := xml.Unmarshal(body, &out); err != nil || out.Arn == "" {
			return "", fmt.Errorf("STS answered no ARN")
		}
		return out.Arn, nil
	}
}

// signs reports whether the ;-separated signed headers hold name.
func signs(signed, name string) bool {
	for _, h := range strings.Split(signed, ";") {
		if h == name {
			return true
		}
	}
	return false
}
