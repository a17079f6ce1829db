package cloud

import (
	"context"
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/aws/aws-sdk-go-v2/aws"
	"golang.org/x/oauth2"
)

// The credentials of an identity in the shapes the clouds' SDKs take (an
// aws.CredentialsProvider, an azcore.TokenCredential, an oauth2.TokenSource), for the clients
// that Ferry does not drive itself, such as the KMS key sources of the sops library.

// AWSCredentials returns the credentials provider of the AWS identity of sa, the role of its
// eks.amazonaws.com/role-arn annotation assumed with its tokens, or of the controller's own
// identity when sa is nil (the default chain of the AWS SDK), getting them through the STS
// of region. The credentials are kept until shortly before they expire; each retrieval
// after that asks again, within the context the client gives it.
func AWSCredentials(region string, sa *ServiceAccount) aws.CredentialsProvider {
	return aws.NewCredentialsCache(awsCredentials{region: region, sa: sa})
}

// awsCredentials retrieves the credentials of awsConfig anew each time.
type awsCredentials struct {
	region string
	sa     *ServiceAccount
}

// Retrieve gets the credentials of the identity: STS is asked, or the SDK's chain read,
// within ctx.
func (p awsCredentials) Retrieve(ctx context.Context) (aws.Credentials, error) {
	cfg, err := awsConfig(ctx, p.region, p.sa)
	if err != nil {
		return aws.Credentials{}, err
	}
	if cfg.Credentials == nil {
		return aws.Credentials{}, fmt.Errorf("failed to get the credentials of %s: none is configured", p.sa.identity("AWS"))
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return aws.Credentials{}, fmt.Errorf("failed to get the credentials of %s: %w", p.sa.identity("AWS"), err)
	}
	return creds, nil
}

// AzureCredential returns a token credential of the Azure identity that sa's annotations
// name, or of the controller's own identity when sa is nil, whose Entra ID tokens are those
// of AzureTokenAs: cached in c, apart for every identity and scope. A request for a token
// names exactly one scope, as Azure SDK clients ask for one resource at a time.
func (c *Cache) AzureCredential(sa *ServiceAccount) azcore.TokenCredential {
	return azureCredential{c: c, sa: sa}
}

// azureCredential is the TokenCredential of AzureCredential.
type azureCredential struct {
	c  *Cache
	sa *ServiceAccount
}

// GetToken returns the token of the identity for the one scope of opts.
func (a azureCredential) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	if len(opts.Scopes) != 1 {
		return azcore.AccessToken{}, fmt.Errorf("failed to get an Entra ID token of %s: one scope is needed, not %d",
			a.sa.identity("Azure"), len(opts.Scopes))
	}
	l, err := a.c.AzureTokenAs(ctx, opts.Scopes[0], a.sa)
	if err != nil {
		return azcore.AccessToken{}, err
	}
	return azcore.AccessToken{Token: l.Password, ExpiresOn: l.Expiry}, nil
}

// GoogleTokenSource returns a token source of the controller's Google identity:
// GoogleTokenSourceAs without a ServiceAccount.
func (c *Cache) GoogleTokenSource(ctx context.Context) oauth2.TokenSource {
	return c.GoogleTokenSourceAs(ctx, nil)
}

// GoogleTokenSourceAs returns a token source of the Google identity that sa's annotations
// name, or of the controller's own identity when sa is nil, whose access tokens (scope
// cloud-platform) are those of GoogleTokenAs, cached in c. ctx bounds the requests for new
// tokens: the source serves while ctx lasts.
func (c *Cache) GoogleTokenSourceAs(ctx context.Context, sa *ServiceAccount) oauth2.TokenSource {
	return googleTokenSource{ctx: ctx, c: c, sa: sa}
}

// googleTokenSource is the TokenSource of GoogleTokenSourceAs.
type googleTokenSource struct {
	ctx context.Context
	c   *Cache
	sa  *ServiceAccount
}

// Token returns an access token of the identity.
func (g googleTokenSource) Token() (*oauth2.Token, error) {
	l, err := g.c.GoogleTokenAs(g.ctx, g.sa)
	if err != nil {
		return nil, err
	}
	return &oauth2.Token{AccessToken: l.Password, TokenType: "Bearer", Expiry: l.Expiry}, nil
}
