package decrypt

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	sopsage "github.com/getsops/sops/v3/age"
	"sigs.k8s.io/yaml"
)

// The entries of a decryption Secret, as Flux documents them.
const (
	// AgeKeySuffix is the suffix of the entries that hold age identities.
	AgeKeySuffix = ".agekey"
	// PGPKeySuffix is the suffix of the entries that hold armored OpenPGP private keys.
	PGPKeySuffix = ".asc"
	// VaultTokenKey is the entry that holds a HashiCorp Vault token.
	VaultTokenKey = "sops.vault-token"
	// AWSKMSKey is the entry that holds AWS credentials, as YAML with aws_access_key_id,
	// aws_secret_access_key and aws_session_token.
	AWSKMSKey = "sops.aws-kms"
	// AzureKVKey is the entry that holds an Azure service principal, as JSON or YAML with
	// tenantId, clientId and clientSecret.
	AzureKVKey = "sops.azure-kv"
	// GCPKMSKey is the entry that holds a Google Cloud service account key, as JSON.
	GCPKMSKey = "sops.gcp-kms"
)

// credentials are the keys and credentials of a decryption Secret.
type credentials struct {
	age        sopsage.ParsedIdentities
	pgp        *pgpKeys
	vaultToken string
	aws        *awsCredentials
	azure      *azureCredentials
	gcp        []byte

	azureOnce sync.Once
	azureCred *azidentity.ClientSecretCredential
	azureErr  error

	// id decrypts the cloud KMS keys whose credentials the Secret lacks.
	id *identity
}

// awsCredentials are the static AWS credentials of the sops.aws-kms entry.
type awsCredentials struct {
	AccessKeyID     string `json:"aws_access_key_id"`
	SecretAccessKey string `json:"aws_secret_access_key"`
	SessionToken    string `json:"aws_session_token"`
}

// azureCredentials is the service principal of the sops.azure-kv entry.
type azureCredentials struct {
	TenantID     string `json:"tenantId"`
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"clientSecret"`
	// Certificates are another way Flux documents, which Ferry refuses by name.
	ClientCertificate string `json:"clientCertificate"`
}

// gcpServiceAccount holds the fields of a service account key that are checked.
type gcpServiceAccount struct {
	Type        string `json:"type"`
	ClientEmail string `json:"client_email"`
	PrivateKey  string `json:"private_key"`
}

// parseCredentials reads the entries of a decryption Secret. The errors name the entry and
// never quote it.
func parseCredentials(keys map[string][]byte) (*credentials, error) {
	names := make([]string, 0, len(keys))
	for name := range keys {
		names = append(names, name)
	}
	sort.Strings(names)
	c := &credentials{}
	var armored []namedKey
	for _, name := range names {
		value := keys[name]
		var err error
		switch {
		case strings.HasSuffix(name, AgeKeySuffix):
			// The parse error may quote the key: it is deliberately not wrapped.
			if c.age.Import(string(value)) != nil {
				err = fmt.Errorf("failed to parse age identities in %q: not a valid age key", name)
			}
		case strings.HasSuffix(name, PGPKeySuffix):
			armored = append(armored, namedKey{name: name, data: value})
		case name == VaultTokenKey:
			c.vaultToken = strings.TrimSpace(string(value))
			if c.vaultToken == "" {
				err = fmt.Errorf("the entry %q is empty", name)
			}
		case name == AWSKMSKey:
			c.aws, err = parseAWS(value)
		case name == AzureKVKey:
			c.azure, err = parseAzure(value)
		case name == GCPKMSKey:
			c.gcp, err = parseGCP(value)
		}
		if err != nil {
			return nil, err
		}
	}
	if len(armored) > 0 {
		var err error
		if c.pgp, err = parsePGPKeys(armored); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// parseAWS reads the sops.aws-kms entry.
func parseAWS(value []byte) (*awsCredentials, error) {
	var a awsCredentials
	if err := yaml.Unmarshal(value, &a); err != nil {
		return nil, fmt.Errorf("failed to parse %q: not YAML", AWSKMSKey)
	}
	if a.AccessKeyID == "" || a.SecretAccessKey == "" {
		return nil, fmt.Errorf("failed to parse %q: aws_access_key_id and aws_secret_access_key are required", AWSKMSKey)
	}
	return &a, nil
}

// parseAzure reads the sops.azure-kv entry.
func parseAzure(value []byte) (*azureCredentials, error) {
	var a azureCredentials
	if err := yaml.Unmarshal(value, &a); err != nil {
		return nil, fmt.Errorf("failed to parse %q: not JSON or YAML", AzureKVKey)
	}
	switch {
	case a.ClientCertificate != "":
		return nil, fmt.Errorf("failed to parse %q: clientCertificate is not supported by Ferry: give tenantId, clientId and clientSecret", AzureKVKey)
	case a.TenantID == "" || a.ClientID == "" || a.ClientSecret == "":
		return nil, fmt.Errorf("failed to parse %q: tenantId, clientId and clientSecret are required "+
			"(managed identities are not supported by Ferry)", AzureKVKey)
	}
	return &a, nil
}

// parseGCP reads the sops.gcp-kms entry. Only service account keys are accepted: other
// credential types (external accounts) can make the client read files of the controller or
// run programs.
func parseGCP(value []byte) ([]byte, error) {
	var sa gcpServiceAccount
	if err := json.Unmarshal(value, &sa); err != nil {
		return nil, fmt.Errorf("failed to parse %q: not JSON", GCPKMSKey)
	}
	if sa.Type != "service_account" {
		return nil, fmt.Errorf("failed to parse %q: only credentials of type service_account are supported by Ferry", GCPKMSKey)
	}
	if sa.ClientEmail == "" || sa.PrivateKey == "" {
		return nil, fmt.Errorf("failed to parse %q: client_email and private_key are required", GCPKMSKey)
	}
	return value, nil
}
