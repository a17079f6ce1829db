package decrypt

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/aws/aws-sdk-go-v2/aws"
	"golang.org/x/oauth2"

	"github.com/ferry-gitops/ferry/shared/cloud"
)

// Identity is the cloud identity with which a Decryptor decrypts the data keys of AWS KMS,
// Azure Key Vault and GCP KMS keys for which the decryption Secret holds no credentials (the
// Secret's credentials always come first): that of a ServiceAccount (object-level workload
// identity), or the controller's own. The zero Identity is none: such a key fails, naming the
// entry the Secret lacks.
type Identity struct {
	// Tokens caches the credentials of the identity (nil caches nothing).
	Tokens *cloud.Cache
	// ServiceAccount names (namespace/name) the ServiceAccount whose cloud identity is used,
	// "" for none; ReadServiceAccount reads it when a key first needs it.
	ServiceAccount string
	// ReadServiceAccount reads the ServiceAccount, with the function that requests its
	// tokens.
	ReadServiceAccount func(ctx context.Context) (*cloud.ServiceAccount, error)
	// Controller lets the controller's own identity be used when no ServiceAccount is named.
	Controller bool
	// Refused, when no identity may be used, says why: it ends the error of a key that needs
	// one.
	Refused string
}

// usable reports whether the identity gives credentials at all.
func (id *Identity) usable() bool {
	return (id.ServiceAccount != "" && id.ReadServiceAccount != nil) || id.Controller
}

// identity is an Identity in use by one Decryptor: the ServiceAccount read once, the AWS
// credentials kept by region.
type identity struct {
	Identity

	saOnce sync.Once
	sa     *cloud.ServiceAccount
	saErr  error

	mu  sync.Mutex
	aws map[string]aws.CredentialsProvider
}

// missing is the error of a key that needs credentials of the entry, which the Secret
// lacks, and that no cloud identity may decrypt.
func (id *identity) missing(key, entry string) error {
	msg := fmt.Sprintf("the %s needs credentials: no %s entry in the decryption Secret", key, entry)
	if id.Refused != "" {
		msg += ", and " + id.Refused
	}
	return errors.New(msg)
}

// serviceAccount returns the ServiceAccount of the identity, read once, or nil for the
// controller's identity.
func (id *identity) serviceAccount(ctx context.Context) (*cloud.ServiceAccount, error) {
	if id.ServiceAccount == "" {
		return nil, nil
	}
	id.saOnce.Do(func() { id.sa, id.saErr = id.ReadServiceAccount(ctx) })
	return id.sa, id.saErr
}

// awsCredentials returns the credentials provider of the identity for the AWS KMS key arn,
// in the key's region.
func (id *identity) awsCredentials(ctx context.Context, arn string) (aws.CredentialsProvider, error) {
	if !id.usable() {
		return nil, id.missing("AWS KMS key "+arn, AWSKMSKey)
	}
	region, err := kmsRegion(arn)
	if err != nil {
		return nil, err
	}
	sa, err := id.serviceAccount(ctx)
	if err != nil {
		return nil, fmt.Errorf("the AWS KMS key %s needs the cloud identity of ServiceAccount '%s': %w", arn, id.ServiceAccount, err)
	}
	id.mu.Lock()
	defer id.mu.Unlock()
	if id.aws == nil {
		id.aws = map[string]aws.CredentialsProvider{}
	}
	if _, ok := id.aws[region]; !ok {
		id.aws[region] = cloud.AWSCredentials(region, sa)
	}
	return id.aws[region], nil
}

// kmsRegion returns the region of an AWS KMS key or alias ARN,
// arn:<partition>:kms:<region>:<account>:<key/id or alias/name>.
func kmsRegion(arn string) (string, error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "kms" || parts[3] == "" {
		return "", fmt.Errorf("the AWS KMS key %s needs a region to decrypt with a cloud identity: it is not a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)", arn)
	}
	return parts[3], nil
}

// azureCredential returns the token credential of the identity for the Azure Key Vault key
// (named for errors).
func (id *identity) azureCredential(ctx context.Context, key string) (azcore.TokenCredential, error) {
	if !id.usable() {
		return nil, id.missing("Azure Key Vault key "+key, AzureKVKey)
	}
	sa, err := id.serviceAccount(ctx)
	if err != nil {
		return nil, fmt.Errorf("the Azure Key Vault key %s needs the cloud identity of ServiceAccount '%s': %w", key, id.ServiceAccount, err)
	}
	return id.Tokens.AzureCredential(sa), nil
}

// googleTokenSource returns the token source of the identity for the GCP KMS key (the
// Google identity of the ServiceAccount, or the controller's), serving while ctx lasts.
func (id *identity) googleTokenSource(ctx context.Context, key string) (oauth2.TokenSource, error) {
	if !id.usable() {
		return nil, id.missing("GCP KMS key "+key, GCPKMSKey)
	}
	sa, err := id.serviceAccount(ctx)
	if err != nil {
		return nil, fmt.Errorf("the GCP KMS key %s needs the cloud identity of ServiceAccount '%s': %w", key, id.ServiceAccount, err)
	}
	return id.Tokens.GoogleTokenSourceAs(ctx, sa), nil
}
