package bucket

import (
	"fmt"
	"strings"

	"github.com/ferry-gitops/ferry/shared/secrets"
)

// Keys of the Secrets a Bucket references, as Flux names them.
const (
	// AccessKeyKey and SecretKeyKey hold the static S3 credentials (spec.secretRef).
	AccessKeyKey, SecretKeyKey = "accesskey", "secretkey"
	// CAKey, CertKey and KeyKey hold the CA and client certificate (spec.certSecretRef).
	CAKey, CertKey, KeyKey = secrets.CAKey, secrets.CertKey, secrets.KeyKey
	// ServiceAccountKey holds the JSON key of a Google service account (provider gcp).
	ServiceAccountKey = "serviceaccount"
)

// The keys of an Azure credentials Secret (provider azure), as Flux names them.
const (
	AzureTenantIDKey                   = "tenantId"
	AzureClientIDKey                   = "clientId"
	AzureClientSecretKey               = "clientSecret"
	AzureClientCertificateKey          = "clientCertificate"
	AzureClientCertificatePasswordKey  = "clientCertificatePassword"
	AzureClientCertificateSendChainKey = "clientCertificateSendChain"
	AzureAuthorityHostKey              = "authorityHost"
	AzureAccountKeyKey                 = "accountKey"
	AzureSASKeyKey                     = "sasKey"
)

// SetCredentialsFromSecret sets the credentials of the provider from a Secret's data: for
// S3 both accesskey and secretkey; for azure a service principal (tenantId, clientId and
// clientSecret or clientCertificate), a managed identity (clientId), accountKey or sasKey;
// for gcp serviceaccount.
func (c *Config) SetCredentialsFromSecret(data map[string][]byte) error {
	switch c.Provider {
	case ProviderAzure:
		return c.setAzureCredentials(data)
	case ProviderGCP:
		if len(data[ServiceAccountKey]) == 0 {
			return fmt.Errorf("failed to read credentials: the secret must hold '%s', the JSON key of a service account", ServiceAccountKey)
		}
		c.GoogleServiceAccount = data[ServiceAccountKey]
		return nil
	}
	ak, sk := string(data[AccessKeyKey]), string(data[SecretKeyKey])
	if ak == "" || sk == "" {
		return fmt.Errorf("failed to read credentials: the secret must hold both '%s' and '%s'", AccessKeyKey, SecretKeyKey)
	}
	c.AccessKey, c.SecretKey = ak, sk
	return nil
}

// setAzureCredentials reads the Azure keys of a Secret, which must give one credential.
func (c *Config) setAzureCredentials(data map[string][]byte) error {
	get := func(k string) string { return strings.TrimSpace(string(data[k])) }
	a := AzureAuth{
		TenantID: get(AzureTenantIDKey), ClientID: get(AzureClientIDKey),
		ClientSecret: get(AzureClientSecretKey), ClientCertificate: data[AzureClientCertificateKey],
		ClientCertificatePassword: string(data[AzureClientCertificatePasswordKey]),
		AuthorityHost:             get(AzureAuthorityHostKey),
		AccountKey:                get(AzureAccountKeyKey), SASToken: get(AzureSASKeyKey),
	}
	switch v := get(AzureClientCertificateSendChainKey); v {
	case "", "0", "false":
	case "1", "true":
		a.ClientCertificateSendChain = true
	default:
		return fmt.Errorf("failed to read credentials: '%s' must be \"true\" or \"1\", or \"false\" or \"0\"", AzureClientCertificateSendChainKey)
	}
	switch {
	case (a.ClientSecret != "" || len(a.ClientCertificate) > 0) && (a.TenantID == "" || a.ClientID == ""):
		return fmt.Errorf("failed to read credentials: a service principal needs '%s' and '%s' with '%s' or '%s'",
			AzureTenantIDKey, AzureClientIDKey, AzureClientSecretKey, AzureClientCertificateKey)
	case a.ClientID == "" && a.AccountKey == "" && a.SASToken == "":
		return fmt.Errorf("failed to read credentials: the secret must hold '%s', '%s' and '%s' or '%s' (a service principal), '%s' (a managed identity), '%s' or '%s'",
			AzureTenantIDKey, AzureClientIDKey, AzureClientSecretKey, AzureClientCertificateKey, AzureClientIDKey, AzureAccountKeyKey, AzureSASKeyKey)
	}
	c.Azure = a
	return nil
}

// SetTLSFromSecret sets the TLS configuration from a Secret's data: a CA bundle (ca.crt)
// and/or a client certificate and key (tls.crt and tls.key, together).
func (c *Config) SetTLSFromSecret(data map[string][]byte) error {
	cfg, err := secrets.TLSConfig(data)
	if err != nil {
		return err
	}
	c.TLS = cfg
	return nil
}

// SetProxyFromSecret sets the proxy from a Secret's data: address (required, an http or
// https URL), and optional username and password.
func (c *Config) SetProxyFromSecret(data map[string][]byte) error {
	u, err := secrets.ProxyURL(data)
	if err != nil {
		return err
	}
	c.Proxy = u
	return nil
}
