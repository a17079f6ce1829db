package verify

import (
	"fmt"
	"sort"
	"strings"
)

// Keys of the Secrets that hold trusted material, as Flux names them.
const (
	// TrustedRootKey holds a Sigstore trusted root (trustedRootSecretRef).
	TrustedRootKey = "trusted_root.json"
	// TrustPolicyKey holds a notation trust policy (secretRef of provider notation).
	TrustPolicyKey = "trustpolicy.json"
)

// CosignKeysFrom returns the cosign public keys of a Secret's data: the values of its keys
// ending in .pub, in key order.
func CosignKeysFrom(data map[string][]byte) ([]PublicKey, error) {
	var keys []PublicKey
	for _, k := range sortedKeys(data) {
		if strings.HasSuffix(k, ".pub") {
			keys = append(keys, PublicKey{Name: k, PEM: data[k]})
		}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: the secret has no cosign public keys (keys ending in .pub)", ErrInvalidConfig)
	}
	return keys, nil
}

// TrustedRootFrom returns the Sigstore trusted root of a Secret's data (its trusted_root.json).
func TrustedRootFrom(data map[string][]byte) ([]byte, error) {
	root, ok := data[TrustedRootKey]
	if !ok || len(root) == 0 {
		return nil, fmt.Errorf("%w: the secret has no '%s' key", ErrInvalidConfig, TrustedRootKey)
	}
	return root, nil
}

// NotationFrom returns the notation trust policy (trustpolicy.json) and the certificates (keys
// ending in .crt or .pem, in key order) of a Secret's data.
func NotationFrom(data map[string][]byte) ([]byte, []Certificate, error) {
	policy, ok := data[TrustPolicyKey]
	if !ok || len(policy) == 0 {
		return nil, nil, fmt.Errorf("%w: the secret has no '%s' key", ErrInvalidConfig, TrustPolicyKey)
	}
	var certs []Certificate
	for _, k := range sortedKeys(data) {
		if strings.HasSuffix(k, ".crt") || strings.HasSuffix(k, ".pem") {
			certs = append(certs, Certificate{Name: k, Data: data[k]})
		}
	}
	if len(certs) == 0 {
		return nil, nil, fmt.Errorf("%w: the secret has no certificates (keys ending in .crt or .pem)", ErrInvalidConfig)
	}
	return policy, certs, nil
}

func sortedKeys(data map[string][]byte) []string {
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
