package kubeconfig

import (
	"crypto/x509"
	"fmt"
	"net/url"
	"strings"

	"github.com/ferry-gitops/ferry/shared/cloud"
)

// The keys of a kubeconfig ConfigMap, as Flux documents them.
const (
	keyProvider       = "provider"
	keyCluster        = "cluster"
	keyAddress        = "address"
	keyCA             = "ca.crt"
	keyAudiences      = "audiences"
	keyServiceAccount = "serviceAccountName"
)

// AKSScope is the Entra ID scope of the tokens that AKS API servers accept (the application
// ID of the AKS AAD server).
const AKSScope = "6dae42f8-4368-4678-94ff-3960e28e3630/.default"

// settings are the validated provider settings of a kubeconfig ConfigMap.
type settings struct {
	provider  string
	address   string
	ca        []byte
	cluster   string   // aws: the EKS cluster ARN
	namespace string   // generic: the namespace of the service account
	account   string   // generic: the service account whose tokens authenticate
	audiences []string // generic: the audiences of its tokens
}

// parseSettings validates the data of ConfigMap namespace/name; defaultSA is
// --default-kubeconfig-service-account.
func parseSettings(namespace, name string, data map[string]string, defaultSA string) (*settings, error) {
	where := fmt.Sprintf("kubeconfig ConfigMap '%s/%s'", namespace, name)
	s := &settings{provider: strings.TrimSpace(data[keyProvider]), address: strings.TrimSpace(data[keyAddress]),
		cluster: strings.TrimSpace(data[keyCluster]), namespace: namespace}
	switch s.provider {
	case "":
		return nil, fmt.Errorf("%s has no key '%s': set it to generic, aws, azure or gcp", where, keyProvider)
	case cloud.Generic, cloud.AWS, cloud.Azure, cloud.GCP:
	default:
		return nil, fmt.Errorf("%s key '%s' is '%s': want generic, aws, azure or gcp", where, keyProvider, s.provider)
	}
	if s.address == "" {
		if s.provider == cloud.Generic {
			return nil, fmt.Errorf("%s has no key '%s': provider generic needs the API server's address", where, keyAddress)
		}
		return nil, fmt.Errorf("%s has no key '%s': Ferry does not look the API server up in the %s API, give its address", where, keyAddress, s.provider)
	}
	u, err := url.Parse(s.address)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("%s key '%s' is '%s': want an https:// URL", where, keyAddress, s.address)
	}
	if ca := data[keyCA]; ca != "" {
		if !x509.NewCertPool().AppendCertsFromPEM([]byte(ca)) {
			return nil, fmt.Errorf("%s key '%s' holds no PEM certificate", where, keyCA)
		}
		s.ca = []byte(ca)
	} else if s.provider != cloud.Generic {
		return nil, fmt.Errorf("%s has no key '%s': Ferry does not look the API server up in the %s API, give its CA", where, keyCA, s.provider)
	}
	if s.provider == cloud.Generic {
		return s, s.generic(where, data, defaultSA)
	}
	return s, s.cloud(where, data, defaultSA)
}

// generic checks the settings of a ServiceAccount token: whose, and for which audiences.
func (s *settings) generic(where string, data map[string]string, defaultSA string) error {
	s.account = strings.TrimSpace(data[keyServiceAccount])
	if s.account == "" {
		s.account = defaultSA
	}
	if s.account == "" {
		return fmt.Errorf("%s has no key '%s' and the controller has no --default-kubeconfig-service-account: "+
			"name the ServiceAccount whose tokens the remote cluster trusts", where, keyServiceAccount)
	}
	for _, a := range strings.Split(data[keyAudiences], "\n") {
		if a = strings.TrimSpace(a); a != "" {
			s.audiences = append(s.audiences, a)
		}
	}
	if len(s.audiences) == 0 {
		s.audiences = []string{s.address}
	}
	return nil
}

// cloud checks the settings of the controller's cloud identity: no identity per object.
func (s *settings) cloud(where string, data map[string]string, defaultSA string) error {
	if sa := strings.TrimSpace(data[keyServiceAccount]); sa != "" {
		return fmt.Errorf("%s key '%s' is not supported by Ferry with provider %s: workload identity per object is not implemented; "+
			"remove it to use the controller's own identity", where, keyServiceAccount, s.provider)
	}
	if defaultSA != "" {
		return fmt.Errorf("%s uses provider %s, but the controller's --default-kubeconfig-service-account asks for workload identity per object, "+
			"which Ferry does not implement", where, s.provider)
	}
	if s.provider == cloud.AWS {
		if s.cluster == "" {
			return fmt.Errorf("%s has no key '%s': provider aws needs the EKS cluster ARN", where, keyCluster)
		}
		if _, _, err := cloud.ParseEKSClusterARN(s.cluster); err != nil {
			return fmt.Errorf("%s key '%s': %w", where, keyCluster, err)
		}
	}
	return nil
}
