package cloud

import (
	"context"
	"encoding/base64"
	"fmt"
	"regexp"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sts"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// EKS tokens, as Amazon EKS documents them: the API server of a cluster accepts a presigned
// STS GetCallerIdentity URL, which it calls to learn the caller's ARN.
const (
	// eksTokenPrefix starts every token.
	eksTokenPrefix = "k8s-aws-v1."
	// EKSClusterHeader is the signed header that names the cluster a token is for, so that a
	// token for one cluster is refused by another.
	EKSClusterHeader = "x-k8s-aws-id"
	// eksPresignSeconds is the X-Amz-Expires of the presigned URL.
	eksPresignSeconds = "60"
	// eksTokenLife is how long EKS accepts a token after it was signed.
	eksTokenLife = 15 * time.Minute
)

// eksClusterARN matches arn:<partition>:eks:<region>:<account>:cluster/<name>; the groups are
// the region and the name.
var eksClusterARN = regexp.MustCompile(`^arn:aws[a-z-]*:eks:([a-z0-9-]+):[0-9]{12}:cluster/([A-Za-z0-9][A-Za-z0-9_-]*)$`)

// ParseEKSClusterARN returns the region and the name of the EKS cluster of arn.
func ParseEKSClusterARN(arn string) (region, name string, err error) {
	m := eksClusterARN.FindStringSubmatch(arn)
	if m == nil {
		return "", "", fmt.Errorf("'%s' is not an EKS cluster ARN (arn:<partition>:eks:<region>:<account-id>:cluster/<cluster-name>)", arn)
	}
	return m[1], m[2], nil
}

// EKSToken returns a bearer token of the controller's AWS identity for the API server of the
// EKS cluster clusterARN: "k8s-aws-v1." and the unpadded base64url of an STS
// GetCallerIdentity URL presigned (in the cluster's region) with the cluster's name in the
// x-k8s-aws-id header. It is cached until shortly before its 15 minutes end.
func (c *Cache) EKSToken(ctx context.Context, clusterARN string) (Login, error) {
	region, name, err := ParseEKSClusterARN(clusterARN)
	if err != nil {
		return Login{}, err
	}
	key := AWS + "/eks/" + clusterARN
	if l, ok := c.get(key); ok {
		return l, nil
	}
	cfg, err := awsConfig(ctx, region, nil)
	if err != nil {
		return Login{}, err
	}
	signed := time.Now()
	req, err := sts.NewPresignClient(sts.NewFromConfig(cfg)).PresignGetCallerIdentity(ctx, &sts.GetCallerIdentityInput{},
		func(o *sts.PresignOptions) {
			o.ClientOptions = append(o.ClientOptions, func(so *sts.Options) {
				so.APIOptions = append(so.APIOptions, smithyhttp.AddHeaderValue(EKSClusterHeader, name),
					smithyhttp.AddHeaderValue("X-Amz-Expires", eksPresignSeconds))
			})
		})
	if err != nil {
		return Login{}, fmt.Errorf("failed to presign the STS GetCallerIdentity request for EKS cluster '%s': %w", clusterARN, err)
	}
	l := Login{Password: eksTokenPrefix + base64.RawURLEncoding.EncodeToString([]byte(req.URL)), Expiry: signed.Add(eksTokenLife)}
	c.put(key, l)
	return l, nil
}
