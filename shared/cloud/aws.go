package cloud

import (
	"context"
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
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

// ecrLogin gets an ECR authorization token with the controller's AWS credentials: the
// default chain of the AWS SDK (web identity of IRSA, EKS Pod Identity, the instance
// profile, or the AWS_* environment), in the region of the registry.
func ecrLogin(ctx context.Context, host string) (Login, error) {
	region, err := ecrRegion(host)
	if err != nil {
		return Login{}, err
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(region))
	if err != nil {
		return Login{}, fmt.Errorf("failed to load the AWS credentials of the controller: %w", err)
	}
	out, err := ecr.NewFromConfig(cfg).GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		return Login{}, fmt.Errorf("failed to get an Amazon ECR authorization token for '%s': %w", host, err)
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
