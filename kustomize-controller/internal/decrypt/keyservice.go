package decrypt

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	sopsage "github.com/getsops/sops/v3/age"
	"github.com/getsops/sops/v3/keyservice"
	"google.golang.org/grpc"
)

// keyTimeout bounds one request to a key service (Vault, a cloud KMS).
const keyTimeout = 30 * time.Second

// keyService is an in-process SOPS key service that decrypts data keys with the Secret's
// keys and credentials only, through the sops library's key sources. It never reads keys or
// credentials from the environment or the file system. One serves one document: it records
// why each key failed, for the error message.
type keyService struct {
	creds *credentials

	mu   sync.Mutex
	errs []string
}

// Decrypt decrypts a data key with the key source of its type.
func (s *keyService) Decrypt(ctx context.Context, req *keyservice.DecryptRequest,
	_ ...grpc.CallOption) (*keyservice.DecryptResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, keyTimeout)
	defer cancel()
	plain, err := s.decrypt(ctx, req.GetKey(), req.GetCiphertext())
	if err != nil {
		s.mu.Lock()
		s.errs = append(s.errs, err.Error())
		s.mu.Unlock()
		return nil, err
	}
	return &keyservice.DecryptResponse{Plaintext: plain}, nil
}

// decrypt dispatches on the type of key.
func (s *keyService) decrypt(ctx context.Context, key *keyservice.Key, ciphertext []byte) ([]byte, error) {
	c := s.creds
	switch k := key.GetKeyType().(type) {
	case *keyservice.Key_AgeKey:
		return c.decryptAge(k.AgeKey.GetRecipient(), ciphertext)
	case *keyservice.Key_PgpKey:
		return c.pgp.decrypt(ctx, k.PgpKey.GetFingerprint(), ciphertext)
	case *keyservice.Key_VaultKey:
		return c.decryptVault(ctx, k.VaultKey, ciphertext)
	case *keyservice.Key_KmsKey:
		return c.decryptAWS(ctx, k.KmsKey, ciphertext)
	case *keyservice.Key_AzureKeyvaultKey:
		return c.decryptAzure(ctx, k.AzureKeyvaultKey, ciphertext)
	case *keyservice.Key_GcpKmsKey:
		return c.decryptGCP(ctx, k.GcpKmsKey, ciphertext)
	case *keyservice.Key_HckmsKey:
		return nil, errors.New("HuaweiCloud KMS keys are not supported by Ferry")
	default:
		return nil, errors.New("a key of an unknown type is not supported by Ferry")
	}
}

// Encrypt is not supported: the controller only decrypts.
func (*keyService) Encrypt(context.Context, *keyservice.EncryptRequest,
	...grpc.CallOption) (*keyservice.EncryptResponse, error) {
	return nil, errors.New("encryption is not supported")
}

// decryptAge decrypts a data key encrypted for an age recipient.
func (c *credentials) decryptAge(recipient string, ciphertext []byte) ([]byte, error) {
	if len(c.age) == 0 {
		return nil, fmt.Errorf("no age identity in the decryption Secret (entries ending in %s) for the age recipient %s",
			AgeKeySuffix, recipient)
	}
	mk := &sopsage.MasterKey{Recipient: recipient, EncryptedKey: string(ciphertext)}
	c.age.ApplyToMasterKey(mk)
	plain, err := mk.Decrypt()
	if err != nil {
		return nil, fmt.Errorf("no age identity of the decryption Secret matches the age recipient %s", recipient)
	}
	return plain, nil
}
