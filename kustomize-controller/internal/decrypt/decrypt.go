// Package decrypt decrypts SOPS-encrypted manifests and files with age identities, in memory.
//
// Nothing decrypted is logged, written to disk or put in an error message: errors name the
// file or object and the step that failed, never a value.
package decrypt

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/aes"
	sopsage "github.com/getsops/sops/v3/age"
	"github.com/getsops/sops/v3/keyservice"
	"github.com/getsops/sops/v3/logging"
	"github.com/sirupsen/logrus"
	"google.golang.org/grpc"
)

// AgeKeySuffix is the suffix of the Secret data keys that hold age identities.
const AgeKeySuffix = ".agekey"

// Decryptor decrypts SOPS documents whose data key is encrypted for one of its age
// identities. It is safe for concurrent use.
type Decryptor struct {
	ids      sopsage.ParsedIdentities
	services []keyservice.KeyServiceClient
	// others names the Secret's entries that Flux reads as PGP keys or KMS credentials,
	// which Ferry does not support: errors say so.
	others []string
}

var quietSOPS sync.Once

// NewDecryptor returns a Decryptor holding the age identities found in the entries of keys
// (the data of a Secret) whose name ends in ".agekey". Other entries are ignored: only age is
// supported. An entry that is not a valid age identity is an error naming the entry.
func NewDecryptor(keys map[string][]byte) (*Decryptor, error) {
	quietSOPS.Do(func() { logging.SetLevel(logrus.ErrorLevel) })
	names := make([]string, 0, len(keys))
	var others []string
	for name := range keys {
		switch {
		case strings.HasSuffix(name, AgeKeySuffix):
			names = append(names, name)
		case strings.HasSuffix(name, ".asc") || strings.HasPrefix(name, "sops."):
			others = append(others, name)
		}
	}
	sort.Strings(names)
	sort.Strings(others)
	var ids sopsage.ParsedIdentities
	for _, name := range names {
		// The parse error may quote the key: it is deliberately not wrapped.
		if err := ids.Import(string(keys[name])); err != nil {
			return nil, fmt.Errorf("failed to parse age identities in %q: not a valid age key", name)
		}
	}
	return &Decryptor{ids: ids, services: []keyservice.KeyServiceClient{ageKeyService{ids: ids}}, others: others}, nil
}

// othersHint says which entries of the Secret Ferry did not use, or nothing.
func (d *Decryptor) othersHint() string {
	if len(d.others) == 0 {
		return ""
	}
	return fmt.Sprintf("; the Secret's entries %s (PGP keys or KMS credentials) are not supported by Ferry: only age is",
		strings.Join(d.others, ", "))
}

// ageKeyService is an in-process SOPS key service that decrypts data keys with age
// identities only. It never reads identities from the environment or the file system.
type ageKeyService struct {
	ids sopsage.ParsedIdentities
}

// Decrypt decrypts a data key encrypted for an age recipient.
func (s ageKeyService) Decrypt(_ context.Context, req *keyservice.DecryptRequest,
	_ ...grpc.CallOption) (*keyservice.DecryptResponse, error) {
	ageKey := req.GetKey().GetAgeKey()
	if ageKey == nil {
		return nil, errors.New("only age keys are supported")
	}
	if len(s.ids) == 0 {
		return nil, errors.New("no age identity in the decryption Secret (entries ending in .agekey)")
	}
	mk := &sopsage.MasterKey{Recipient: ageKey.GetRecipient(), EncryptedKey: string(req.GetCiphertext())}
	s.ids.ApplyToMasterKey(mk)
	plain, err := mk.Decrypt()
	if err != nil {
		return nil, fmt.Errorf("no age identity matches recipient %s", ageKey.GetRecipient())
	}
	return &keyservice.DecryptResponse{Plaintext: plain}, nil
}

// Encrypt is not supported: the controller only decrypts.
func (ageKeyService) Encrypt(context.Context, *keyservice.EncryptRequest,
	...grpc.CallOption) (*keyservice.EncryptResponse, error) {
	return nil, errors.New("encryption is not supported")
}

// decryptTree decrypts every value of tree in place. As with Flux, the message authentication
// code is not verified: it covers the unencrypted values too, which users edit by hand and
// Kustomize transformers change (namespace, labels, name prefix).
func (d *Decryptor) decryptTree(tree *sops.Tree) error {
	if len(d.ids) == 0 {
		return errors.New("failed to get the SOPS data key: no age identity in the decryption Secret (entries ending in .agekey)" + d.othersHint())
	}
	dataKey, err := tree.Metadata.GetDataKeyWithKeyServices(d.services, nil)
	if err != nil {
		return fmt.Errorf("failed to get the SOPS data key: %s%s", recipientsHint(tree.Metadata), d.othersHint())
	}
	if _, err := tree.Decrypt(dataKey, aes.NewCipher()); err != nil {
		// The cause can quote a value that was expected to be encrypted but is not.
		return errors.New("failed to decrypt the SOPS values: a value that should be encrypted is not, or is corrupt")
	}
	return nil
}

// recipientsHint says which keys a document was encrypted for, none of which the decryptor
// holds.
func recipientsHint(m sops.Metadata) string {
	var age []string
	others := 0
	for _, group := range m.KeyGroups {
		for _, k := range group {
			if ak, ok := k.(*sopsage.MasterKey); ok {
				age = append(age, ak.Recipient)
			} else {
				others++
			}
		}
	}
	msg := "no age identity of the decryption Secret matches"
	if len(age) > 0 {
		msg += " the age recipients " + strings.Join(age, ", ")
	}
	if others > 0 {
		msg += fmt.Sprintf(" (%d key(s) of other providers are not supported: only age is)", others)
	}
	if len(age) == 0 && others == 0 {
		msg += ": the document names no key"
	}
	return msg
}
