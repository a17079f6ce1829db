// Package keyserver holds what the local key services of shared/testing (vaultserver,
// awsapi, azureapi, gcpapi) share: an HTTP server on 127.0.0.1, counts of decryptions and
// refusals, and a keyring of AES-256-GCM keys created on first use whose ciphertexts name
// their key.
package keyserver

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
)

// Start serves h on 127.0.0.1, over TLS with cert when it is not nil.
func Start(h http.Handler, cert *tls.Certificate) (*httptest.Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("failed to listen: %w", err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener = ln
	if cert == nil {
		srv.Start()
		return srv, nil
	}
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{*cert}, MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	return srv, nil
}

// Counts counts a server's successful decryptions and refused requests; it is safe for
// concurrent use.
type Counts struct {
	decrypts, denied atomic.Int64
}

// Decrypted counts a successful decryption.
func (c *Counts) Decrypted() { c.decrypts.Add(1) }

// Refused counts a request refused for its credentials.
func (c *Counts) Refused() { c.denied.Add(1) }

// Decrypts is the number of successful decryptions.
func (c *Counts) Decrypts() int64 { return c.decrypts.Load() }

// Denied is the number of requests refused for their credentials.
func (c *Counts) Denied() int64 { return c.denied.Load() }

// Keyring holds AES-256-GCM keys by name; it is safe for concurrent use.
type Keyring struct {
	mu   sync.Mutex
	keys map[string][]byte
}

// Seal encrypts plaintext with the key of name (created if needed), binding aad; the
// ciphertext names the key.
func (k *Keyring) Seal(name string, plaintext, aad []byte) []byte {
	gcm := k.aead(name, true)
	nonce := make([]byte, gcm.NonceSize())
	_, _ = rand.Read(nonce)
	blob := binary.BigEndian.AppendUint16(nil, uint16(len(name)))
	blob = append(blob, name...)
	blob = append(blob, nonce...)
	return gcm.Seal(blob, nonce, plaintext, aad)
}

// Open decrypts a ciphertext of Seal with aad; it returns the name of its key.
func (k *Keyring) Open(blob, aad []byte) (string, []byte, error) {
	if len(blob) < 2 || len(blob) < 2+int(binary.BigEndian.Uint16(blob)) {
		return "", nil, errors.New("invalid ciphertext")
	}
	n := int(binary.BigEndian.Uint16(blob))
	name, rest := string(blob[2:2+n]), blob[2+n:]
	gcm := k.aead(name, false)
	if gcm == nil || len(rest) < gcm.NonceSize() {
		return "", nil, errors.New("invalid ciphertext")
	}
	plain, err := gcm.Open(nil, rest[:gcm.NonceSize()], rest[gcm.NonceSize():], aad)
	if err != nil {
		return "", nil, errors.New("message authentication failed")
	}
	return name, plain, nil
}

// aead returns the cipher of a key, creating it when create is set; nil when missing.
func (k *Keyring) aead(name string, create bool) cipher.AEAD {
	k.mu.Lock()
	defer k.mu.Unlock()
	key, ok := k.keys[name]
	if !ok {
		if !create {
			return nil
		}
		if k.keys == nil {
			k.keys = map[string][]byte{}
		}
		key = make([]byte, 32)
		_, _ = rand.Read(key)
		k.keys[name] = key
	}
	block, _ := aes.NewCipher(key)
	gcm, _ := cipher.NewGCM(block)
	return gcm
}
