package bucket

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/secrets"
)

// Providers of a Security Token Service (spec.sts.provider).
const (
	// STSProviderAWS is AWS STS: the aws provider's identity (the controller's or a
	// ServiceAccount's) gets its temporary credentials there (AssumeRoleWithWebIdentity).
	STSProviderAWS = "aws"
	// STSProviderLDAP is MinIO's STS: AssumeRoleWithLDAPIdentity with an LDAP username and
	// password, for the generic provider.
	STSProviderLDAP = "ldap"
)

// Keys of the Secret of spec.sts.secretRef (provider ldap), as Flux names them.
const (
	STSUsernameKey = "username"
	STSPasswordKey = "password"
)

// defaultAWSRegion is the region of STS requests when the Bucket names none.
const defaultAWSRegion = "us-east-1"

// STSConfig is a Security Token Service that hands out temporary S3 credentials.
type STSConfig struct {
	// Provider is STSProviderAWS or STSProviderLDAP.
	Provider string
	// Endpoint is the http(s) URL of the service.
	Endpoint string
	// Username and Password are the LDAP credentials (ldap).
	Username, Password string
	// TLS, when set, is the TLS configuration of HTTPS to the service (ldap).
	TLS *tls.Config
}

// CheckSTS returns why a Bucket of provider cannot use a Security Token Service of
// stsProvider, or nil, as Flux documents the combinations: aws with aws (without a Secret
// or TLS Secret of its own), generic with ldap. Static keys (spec.secretRef) would leave
// the STS unused, so they are refused with it.
func CheckSTS(provider, stsProvider string, stsSecretRef, stsCertSecretRef, secretRef bool) error {
	switch provider {
	case ProviderAWS:
		switch {
		case stsProvider != STSProviderAWS:
			return errors.New("'aws' is the only supported STS provider for the 'aws' Bucket provider")
		case stsSecretRef:
			return errors.New("spec.sts.secretRef is not required for the 'aws' STS provider")
		case stsCertSecretRef:
			return errors.New("spec.sts.certSecretRef is not required for the 'aws' STS provider")
		}
	case "", ProviderGeneric:
		if stsProvider != STSProviderLDAP {
			return errors.New("'ldap' is the only supported STS provider for the 'generic' Bucket provider")
		}
	default:
		return errors.New("STS configuration is only supported for the 'aws' and 'generic' Bucket providers")
	}
	if secretRef {
		return errors.New("spec.secretRef cannot be used with spec.sts: the Security Token Service gives the credentials; remove spec.secretRef, or spec.sts to use its static keys")
	}
	return nil
}

// SetSTSCredentialsFromSecret sets the LDAP username and password of the STS from a
// Secret's data (username and password, both required).
func (s *STSConfig) SetSTSCredentialsFromSecret(data map[string][]byte) error {
	user, password := string(data[STSUsernameKey]), string(data[STSPasswordKey])
	if user == "" || password == "" {
		return fmt.Errorf("failed to read STS credentials: the secret must hold both '%s' and '%s'", STSUsernameKey, STSPasswordKey)
	}
	s.Username, s.Password = user, password
	return nil
}

// SetTLSFromSecret sets the TLS configuration of HTTPS to the STS from a Secret's data: a CA
// bundle (ca.crt) and/or a client certificate and key (tls.crt and tls.key, together).
func (s *STSConfig) SetTLSFromSecret(data map[string][]byte) error {
	cfg, err := secrets.TLSConfig(data)
	if err != nil {
		return err
	}
	s.TLS = cfg
	return nil
}

// stsClient is the HTTP client of the STS: the proxy of cfg and the STS's own TLS
// configuration.
func stsClient(cfg Config) *http.Client {
	return &http.Client{Transport: transport(Config{Proxy: cfg.Proxy, TLS: cfg.STS.TLS}), Timeout: time.Minute}
}

// ldapCredentials are the temporary credentials MinIO's STS gives for the LDAP user.
func ldapCredentials(cfg Config) *credentials.Credentials {
	return credentials.New(&credentials.LDAPIdentity{
		Client: stsClient(cfg), STSEndpoint: cfg.STS.Endpoint,
		LDAPUsername: cfg.STS.Username, LDAPPassword: cfg.STS.Password,
	})
}

// awsIdentityCredentials are the credentials of the AWS identity of cfg: the role of
// cfg.ServiceAccount (object-level workload identity), or the controller's; from STS at
// cfg.STS.Endpoint when set, else through shared/cloud (STS as the environment names it).
func awsIdentityCredentials(cfg Config) *credentials.Credentials {
	region := cfg.Region
	if region == "" {
		region = defaultAWSRegion
	}
	var p aws.CredentialsProvider
	if cfg.STS != nil {
		p = aws.NewCredentialsCache(stsIdentity{endpoint: cfg.STS.Endpoint, region: region, sa: cfg.ServiceAccount, hc: stsClient(cfg)})
	} else {
		p = cloud.AWSCredentials(region, cfg.ServiceAccount)
	}
	return credentials.New(&awsProvider{p: p})
}

// stsIdentity retrieves the credentials of an AWS identity from the STS at endpoint: a
// ServiceAccount's role for its token, or the controller's default chain with its web
// identity (IRSA) exchanged there.
type stsIdentity struct {
	endpoint, region string
	sa               *cloud.ServiceAccount
	hc               *http.Client
}

// Retrieve asks STS, within ctx.
func (i stsIdentity) Retrieve(ctx context.Context) (aws.Credentials, error) {
	client := sts.New(sts.Options{Region: i.region, BaseEndpoint: aws.String(i.endpoint), HTTPClient: i.hc})
	if i.sa == nil {
		cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(i.region),
			config.WithWebIdentityRoleCredentialOptions(func(o *stscreds.WebIdentityRoleOptions) { o.Client = client }))
		if err != nil {
			return aws.Credentials{}, fmt.Errorf("failed to load the AWS configuration of the controller: %w", err)
		}
		if cfg.Credentials == nil {
			return aws.Credentials{}, errors.New("failed to get the credentials of the controller's AWS identity: none is configured")
		}
		creds, err := cfg.Credentials.Retrieve(ctx)
		if err != nil {
			return aws.Credentials{}, fmt.Errorf("failed to get the credentials of the controller's AWS identity: %w", err)
		}
		return creds, nil
	}
	role := strings.TrimSpace(i.sa.Annotations[cloud.AWSRoleARNAnnotation])
	if role == "" {
		return aws.Credentials{}, fmt.Errorf("ServiceAccount '%s' has no annotation %s: annotate it with the AWS identity it stands for", i.sa, cloud.AWSRoleARNAnnotation)
	}
	session := "ferry." + i.sa.Namespace + "." + i.sa.Name
	if len(session) > 64 {
		session = session[:64]
	}
	p := stscreds.NewWebIdentityRoleProvider(client, role, saToken{ctx: ctx, sa: i.sa},
		func(o *stscreds.WebIdentityRoleOptions) { o.RoleSessionName = session })
	creds, err := p.Retrieve(ctx)
	if err != nil {
		return aws.Credentials{}, fmt.Errorf("failed to get the credentials of the AWS identity of ServiceAccount '%s': %w", i.sa, err)
	}
	return creds, nil
}

// saToken hands STS a new token of a ServiceAccount.
type saToken struct {
	ctx context.Context
	sa  *cloud.ServiceAccount
}

// GetIdentityToken requests a token of the ServiceAccount for STS.
func (t saToken) GetIdentityToken() ([]byte, error) {
	tok, err := t.sa.Token(t.ctx, cloud.AWSAudience)
	return []byte(tok), err
}

// awsProvider gives minio-go the credentials of an aws.CredentialsProvider, which keeps
// them until shortly before they expire: minio-go asks it before every request.
type awsProvider struct {
	p aws.CredentialsProvider
}

// RetrieveWithCredContext returns the credentials, asking for new ones within the
// request's context.
func (a *awsProvider) RetrieveWithCredContext(cc *credentials.CredContext) (credentials.Value, error) {
	ctx := context.Background()
	if cc != nil && cc.Context != nil {
		ctx = cc.Context
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	c, err := a.p.Retrieve(ctx)
	if err != nil {
		return credentials.Value{}, err
	}
	return credentials.Value{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken,
		Expiration: c.Expires, SignerType: credentials.SignatureV4}, nil
}

// Retrieve returns the credentials, asking for new ones for at most a minute.
func (a *awsProvider) Retrieve() (credentials.Value, error) { return a.RetrieveWithCredContext(nil) }

// IsExpired is always true: the aws.CredentialsProvider decides when to ask again.
func (a *awsProvider) IsExpired() bool { return true }
