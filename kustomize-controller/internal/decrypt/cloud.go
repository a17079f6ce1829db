package decrypt

import (
	"context"
	"fmt"
	"sort"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azkeys"
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

// decryptAWS decrypts a data key with AWS KMS and the Secret's static credentials. The
// document's AWS profile names a profile of the machine that encrypted it: it is not used.
func (c *credentials) decryptAWS(ctx context.Context, k *keyservice.KmsKey, ciphertext []byte) ([]byte, error) {
	if c.aws == nil {
		return nil, fmt.Errorf("the AWS KMS key %s needs credentials: no %s entry in the decryption Secret", k.GetArn(), AWSKMSKey)
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
	kms.NewCredentialsProvider(awscredentials.NewStaticCredentialsProvider(
		c.aws.AccessKeyID, c.aws.SecretAccessKey, c.aws.SessionToken)).ApplyToMasterKey(mk)
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
// service principal.
func (c *credentials) decryptAzure(ctx context.Context, k *keyservice.AzureKeyVaultKey, ciphertext []byte) ([]byte, error) {
	mk := azkv.NewMasterKey(k.GetVaultUrl(), k.GetName(), k.GetVersion())
	if c.azure == nil {
		return nil, fmt.Errorf("the Azure Key Vault key %s needs credentials: no %s entry in the decryption Secret", mk.ToString(), AzureKVKey)
	}
	cred, opts, err := c.azureCredential()
	if err != nil {
		return nil, err
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
// Decryptor so that its token serves every document of a build, and the client options.
func (c *credentials) azureCredential() (*azidentity.ClientSecretCredential, azcore.ClientOptions, error) {
	opts := azcore.ClientOptions{}
	if hc := testHTTPClient(); hc != nil {
		opts.Transport = hc
	}
	c.azureOnce.Do(func() {
		credOpts := &azidentity.ClientSecretCredentialOptions{ClientOptions: opts}
		if host := testEnv(TestAzureAuthorityEnv); host != "" {
			credOpts.Cloud.ActiveDirectoryAuthorityHost = host
			credOpts.DisableInstanceDiscovery = true
		}
		c.azureCred, c.azureErr = azidentity.NewClientSecretCredential(c.azure.TenantID, c.azure.ClientID, c.azure.ClientSecret, credOpts)
		if c.azureErr != nil {
			c.azureErr = fmt.Errorf("failed to use the Azure credentials of %s: %w", AzureKVKey, c.azureErr)
		}
	})
	return c.azureCred, opts, c.azureErr
}

// decryptGCP decrypts a data key with Google Cloud KMS, through its REST API, authenticated
// as the Secret's service account.
func (c *credentials) decryptGCP(ctx context.Context, k *keyservice.GcpKmsKey, ciphertext []byte) ([]byte, error) {
	if c.gcp == nil {
		return nil, fmt.Errorf("the GCP KMS key %s needs credentials: no %s entry in the decryption Secret", k.GetResourceId(), GCPKMSKey)
	}
	mk := gcpkms.NewMasterKeyFromResourceID(k.GetResourceId())
	mk.EncryptedKey = string(ciphertext)
	gcpkms.CredentialJSON(c.gcp).ApplyToMasterKey(mk)
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
