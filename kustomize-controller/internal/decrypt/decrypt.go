// Package decrypt decrypts SOPS-encrypted manifests and files in memory, with the keys and
// credentials of a Kustomization's decryption Secret: age identities, OpenPGP private keys,
// a HashiCorp Vault token, and AWS KMS, Azure Key Vault and GCP KMS credentials. The data key
// of a document is decrypted through the key sources of the sops library. Keys and
// credentials come from the Secret, never from the controller's environment or files; only
// for a cloud KMS key whose credentials the Secret lacks is the cloud identity the caller
// gives (Identity) used: a ServiceAccount's, or the controller's own, through shared/cloud.
//
// Nothing decrypted is logged, written to disk or put in an error message: errors name the
// file or object, the key and the step that failed, never a value.
package decrypt

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/aes"
	"github.com/getsops/sops/v3/keyservice"
	"github.com/getsops/sops/v3/logging"
	"github.com/sirupsen/logrus"
)

// Decryptor decrypts SOPS documents whose data key is encrypted for one of the keys it
// holds. It is safe for concurrent use.
type Decryptor struct {
	creds *credentials
}

var quietSOPS sync.Once

// NewDecryptor returns a Decryptor holding the keys and credentials found in keys (the data
// of a decryption Secret), under the entry names Flux documents: "*.agekey" (age identities),
// "*.asc" (armored OpenPGP private keys), "sops.vault-token", "sops.aws-kms", "sops.azure-kv"
// and "sops.gcp-kms". Other entries are ignored. An entry that cannot be used is an error
// naming the entry, never quoting it. It has no cloud identity: a cloud KMS key needs the
// credentials of its entry.
func NewDecryptor(keys map[string][]byte) (*Decryptor, error) {
	return NewDecryptorWithIdentity(keys, Identity{})
}

// NewDecryptorWithIdentity is NewDecryptor with a cloud identity for the cloud KMS keys whose
// credentials keys lacks.
func NewDecryptorWithIdentity(keys map[string][]byte, id Identity) (*Decryptor, error) {
	quietSOPS.Do(func() { logging.SetLevel(logrus.ErrorLevel) })
	creds, err := parseCredentials(keys)
	if err != nil {
		return nil, err
	}
	creds.id = &identity{Identity: id}
	return &Decryptor{creds: creds}, nil
}

// decryptTree decrypts every value of tree in place. As with Flux, the message authentication
// code is not verified: it covers the unencrypted values too, which users edit by hand and
// Kustomize transformers change (namespace, labels, name prefix).
func (d *Decryptor) decryptTree(tree *sops.Tree) error {
	ks := &keyService{creds: d.creds}
	dataKey, err := tree.Metadata.GetDataKeyWithKeyServices([]keyservice.KeyServiceClient{ks}, nil)
	if err != nil {
		return fmt.Errorf("failed to get the SOPS data key: %s", ks.failures(tree.Metadata))
	}
	if _, err := tree.Decrypt(dataKey, aes.NewCipher()); err != nil {
		// The cause can quote a value that was expected to be encrypted but is not.
		return errors.New("failed to decrypt the SOPS values: a value that should be encrypted is not, or is corrupt")
	}
	return nil
}

// failures says why no key of a document gave its data key: the reason of each key that was
// tried, in a stable order.
func (s *keyService) failures(m sops.Metadata) string {
	s.mu.Lock()
	reasons := append([]string(nil), s.errs...)
	s.mu.Unlock()
	sort.Strings(reasons)
	reasons = compact(reasons)
	if len(reasons) == 0 {
		n := 0
		for _, g := range m.KeyGroups {
			n += len(g)
		}
		if n == 0 {
			return "the document names no key"
		}
		return "no key of the document could be used"
	}
	return strings.Join(reasons, "; ")
}

// compact removes adjacent duplicates of a sorted slice.
func compact(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
