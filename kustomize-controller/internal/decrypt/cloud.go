package decrypt

import (
	"context"
	"fmt"
	"sort"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azkeys"
	"github.com/aws/aws-sdk-go-v2/aws"
	awscredentials "github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/getsops/sops/v3/azkv"
	"github.com/getsops/sops/v3/gcpkms"
	"github.com/getsops/sops/v3/hcvault"
	"github.com/getsops/sops/v3/keyservice"
	"github.com/getsops/sops/v3/kms"
	"google.golang.org/api/option"
)

// decryptVault decrypts a data key with HashiCorp Vault's transit engine at the address the
// document names, with the Secret's token: the key source would otherwise read the token
// of the controller's environment or home directory, so a missing token is an error.
func (c *credentials) decryptVault(ctx context.Context, k *keyservice.VaultKey, ciphertext []byte) ([]byte, error) {
	mk := hcvault.NewMasterKey(k.GetVaultAddress(), k.GetEnginePath(), k.GetKeyName())
	if c.vaultToken == "" {
		return nil, fmt.Errorf("the Vault key %s needs a token: no %s entry in the decryption Secret", mk.ToString(), VaultTokenKey)
	}
	mk.EncryptedKey = string(ciphertext)
	hcvault.Token(c.vaultToken).ApplyToMasterKey(mk)
	if hc := testHTTPClient(); hc != nil {
		hcvault.NewHTTPClient(hc).ApplyToMasterKey(mk)
	}
	plain, err := mk.DecryptContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("the Vault key %s failed to decrypt the data key: %w", mk.ToString(), err)
	}
	return plain, nil
}

// decryptAWS decrypts a data key with AWS KMS and the Secret's static credentials, or else
// the credentials of the cloud identity. The document's AWS profile names a profile of the
// machine that encrypted it: it is not used.
func (c *credentials) decryptAWS(ctx context.Context, k *keyservice.KmsKey, ciphertext []byte) ([]byte, error) {
	var provider aws.CredentialsProvider
	if c.aws != nil {
		provider = awscredentials.NewStaticCredentialsProvider(c.aws.AccessKeyID, c.aws.SecretAccessKey, c.aws.SessionToken)
	} else {
		var err error
		if provider, err = c.id.awsCredentials(ctx, k.GetArn()); err != nil {
			return nil, err
		}
	}
	encCtx := map[string]*string{}
	names := make([]string, 0, len(k.GetContext()))
	for name := range k.GetContext() {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		v := k.GetContext()[name]
		encCtx[name] = &v
	}
	mk := &kms.MasterKey{Arn: k.GetArn(), Role: k.GetRole(), EncryptionContext: encCtx, EncryptedKey: string(ciphertext)}
	if len(encCtx) == 0 {
		mk.EncryptionContext = nil
	}
	kms.NewCredentialsProvider(provider).ApplyToMasterKey(mk)
	if hc := testAWSHTTPClient(); hc != nil {
		kms.NewHTTPClient(hc).ApplyToMasterKey(mk)
	}
	plain, err := mk.DecryptContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("the AWS KMS key %s failed to decrypt the data key: %w", k.GetArn(), err)
	}
	return plain, nil
}

// decryptAzure decrypts a data key with Azure Key Vault, authenticated as the Secret's
// service principal, or else as the cloud identity.
func (c *credentials) decryptAzure(ctx context.Context, k *keyservice.AzureKeyVaultKey, ciphertext []byte) ([]byte, error) {
	mk := azkv.NewMasterKey(k.GetVaultUrl(), k.GetName(), k.GetVersion())
	var cred azcore.TokenCredential
	if c.azure != nil {
		secret, err := c.azureCredential()
		if err != nil {
			return nil, err
		}
		cred = secret
	} else {
		var err error
		if cred, err = c.id.azureCredential(ctx, mk.ToString()); err != nil {
			return nil, err
		}
	}
	opts := azcore.ClientOptions{}
	if hc := testHTTPClient(); hc != nil {
		opts.Transport = hc
	}
	mk.EncryptedKey = string(ciphertext)
	azkv.NewTokenCredential(cred).ApplyToMasterKey(mk)
	azkv.NewClientOptions(&azkeys.ClientOptions{ClientOptions: opts}).ApplyToMasterKey(mk)
	plain, err := mk.DecryptContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("the Azure Key Vault key %s failed to decrypt the data key: %w", mk.ToString(), err)
	}
	return plain, nil
}

// azureCredential returns the credential of the Secret's service principal, made once per
// Decryptor so that its token serves every document of a build.
func (c *credentials) azureCredential() (*azidentity.ClientSecretCredential, error) {
	c.azureOnce.Do(func() {
		credOpts := &azidentity.ClientSecretCredentialOptions{}
		if hc := testHTTPClient(); hc != nil {
			credOpts.Transport = hc
		}
		if host := testEnv(TestAzureAuthorityEnv); host != "" {
			credOpts.Cloud.ActiveDirectoryAuthorityHost = host
			credOpts.DisableInstanceDiscovery = true
		}
		c.azureCred, c.azureErr = azidentity.NewClientSecretCredential(c.azure.TenantID, c.azure.ClientID, c.azure.ClientSecret, credOpts)
		if c.azureErr != nil {
			c.azureErr = fmt.Errorf("failed to use the Azure credentials of %s: %w", AzureKVKey, c.azureErr)
		}
	})
	return c.azureCred, c.azureErr
}

// decryptGCP decrypts a data key with Google Cloud KMS, through its REST API, authenticated
// as the Secret's service account, or else as the controller's Google identity.
func (c *credentials) decryptGCP(ctx context.Context, k *keyservice.GcpKmsKey, ciphertext []byte) ([]byte, error) {
	mk := gcpkms.NewMasterKeyFromResourceID(k.GetResourceId())
	mk.EncryptedKey = string(ciphertext)
	if c.gcp != nil {
		gcpkms.CredentialJSON(c.gcp).ApplyToMasterKey(mk)
	} else {
		src, err := c.id.googleTokenSource(ctx, k.GetResourceId())
		if err != nil {
			return nil, err
		}
		gcpkms.NewTokenSource(src).ApplyToMasterKey(mk)
	}
	gcpkms.UseRESTClient{}.ApplyToMasterKey(mk)
	if endpoint := testEnv(TestGCPKMSEndpointEnv); endpoint != "" {
		gcpkms.ClientOptions{option.WithEndpoint(endpoint)}.ApplyToMasterKey(mk)
	}
	plain, err := mk.DecryptContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("the GCP KMS key %s failed to decrypt the data key: %w", k.GetResourceId(), err)
	}
	return plain, nil
}
