package cloud

import (
	"context"
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// ecrHost matches the hosts of Amazon ECR private registries, as AWS names them in every
// partition: <account>.dkr.ecr[-fips].<region>.<domain>. The groups are the account and the
// region.
var ecrHost = regexp.MustCompile(`^([0-9]{12})\.dkr[.-]ecr(?:-fips)?\.([a-z0-9][a-z0-9-]*)\.(?:amazonaws\.com(?:\.cn)?|on\.aws|sc2s\.sgov\.gov|c2s\.ic\.gov|cloud\.adc-e\.uk|csp\.hci\.ic\.gov)$`)

// ecrRegion returns the region of an ECR registry host.
func ecrRegion(host string) (string, error) {
	m := ecrHost.FindStringSubmatch(hostname(host))
	if m == nil {
		return "", wrongHostError{AWS, "Amazon ECR registries (<account>.dkr.ecr.<region>.amazonaws.com)", host}
	}
	return m[2], nil
}

// ecrLogin gets an ECR authorization token, in the region of the registry, with the AWS
// credentials of awsConfig: the controller's or those of sa's role.
func ecrLogin(ctx context.Context, host string, sa *ServiceAccount) (Login, error) {
	region, err := ecrRegion(host)
	if err != nil {
		return Login{}, err
	}
	cfg, err := awsConfig(ctx, region, sa)
	if err != nil {
		return Login{}, err
	}
	out, err := ecr.NewFromConfig(cfg).GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		return Login{}, fmt.Errorf("failed to get an Amazon ECR authorization token for '%s' with %s: %w", host, sa.identity("AWS"), err)
	}
	if len(out.AuthorizationData) == 0 || out.AuthorizationData[0].AuthorizationToken == nil {
		return Login{}, fmt.Errorf("failed to get an Amazon ECR authorization token for '%s': the answer holds none", host)
	}
	data := out.AuthorizationData[0]
	raw, err := base64.StdEncoding.DecodeString(*data.AuthorizationToken)
	if err != nil {
		return Login{}, fmt.Errorf("failed to read the Amazon ECR authorization token for '%s': it is not base64", host)
	}
	user, password, ok := strings.Cut(string(raw), ":")
	if !ok {
		return Login{}, fmt.Errorf("failed to read the Amazon ECR authorization token for '%s': it is not user:password", host)
	}
	l := Login{Username: user, Password: password}
	if data.ExpiresAt != nil {
		l.Expiry = *data.ExpiresAt
	}
	return l, nil
}

// awsConfig returns the AWS configuration of region with the controller's credentials when
// sa is nil: the default chain of the AWS SDK (web identity of IRSA, EKS Pod Identity, the
// instance profile, or the AWS_* environment). Otherwise its credentials are those of the
// role of sa's eks.amazonaws.com/role-arn annotation, which STS gives for a token of sa
// (AssumeRoleWithWebIdentity, audience sts.amazonaws.com), refreshed before they expire.
func awsConfig(ctx context.Context, region string, sa *ServiceAccount) (aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(region))
	if err != nil {
		return aws.Config{}, fmt.Errorf("failed to load the AWS configuration of the controller: %w", err)
	}
	if sa == nil {
		return cfg, nil
	}
	role, err := sa.annotation(AWS, AWSRoleARNAnnotation)
	if err != nil {
		return aws.Config{}, err
	}
	web := stscreds.NewWebIdentityRoleProvider(sts.NewFromConfig(cfg), role, webIdentityToken{ctx: ctx, sa: sa},
		func(o *stscreds.WebIdentityRoleOptions) { o.RoleSessionName = roleSessionName(sa) })
	cfg.Credentials = aws.NewCredentialsCache(web)
	return cfg, nil
}

// webIdentityToken hands STS a new token of a ServiceAccount.
type webIdentityToken struct {
	ctx context.Context
	sa  *ServiceAccount
}

// GetIdentityToken requests a token of the ServiceAccount for STS.
func (w webIdentityToken) GetIdentityToken() ([]byte, error) {
	tok, err := w.sa.Token(w.ctx, AWSAudience)
	return []byte(tok), err
}

// roleSessionName names the role session of a ServiceAccount as STS allows (2 to 64 of
// [\w+=,.@-]): ferry.<namespace>.<name>, cut to 64 characters.
func roleSessionName(sa *ServiceAccount) string {
	name := "ferry." + sa.Namespace + "." + sa.Name
	if len(name) > 64 {
		name = name[:64]
	}
	return name
}
