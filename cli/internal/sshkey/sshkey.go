// Package sshkey makes the SSH material of Git credentials: a key pair of the algorithm
// flux offers (ecdsa, ed25519, rsa) in OpenSSH PEM, and the known_hosts line of a server's
// host key, read from an SSH handshake.
package sshkey

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Pair is a private key in PEM and its public key in authorized_keys form.
type Pair struct {
	// PrivateKey is the OpenSSH PEM private key.
	PrivateKey []byte
	// PublicKey is the "<type> <base64>" line of the public key, with a newline.
	PublicKey []byte
}

// Generate makes a key pair: algorithm is ecdsa (curve p256, p384 or p521), ed25519 or rsa
// (bits).
func Generate(algorithm string, rsaBits int, curve string) (*Pair, error) {
	var key crypto.Signer
	var err error
	switch algorithm {
	case "ecdsa", "":
		var c elliptic.Curve
		switch curve {
		case "p256", "":
			c = elliptic.P256()
		case "p384":
			c = elliptic.P384()
		case "p521":
			c = elliptic.P521()
		default:
			return nil, fmt.Errorf("unsupported ECDSA curve %q, expected one of: p256, p384, p521", curve)
		}
		key, err = ecdsa.GenerateKey(c, rand.Reader)
	case "ed25519":
		_, key, err = ed25519.GenerateKey(rand.Reader)
	case "rsa":
		if rsaBits == 0 {
			rsaBits = 2048
		}
		key, err = rsa.GenerateKey(rand.Reader, rsaBits)
	default:
		return nil, fmt.Errorf("unsupported SSH key algorithm %q, expected one of: ecdsa, ed25519, rsa", algorithm)
	}
	if err != nil {
		return nil, fmt.Errorf("failed to generate the SSH key: %w", err)
	}
	return FromSigner(key)
}

// FromSigner returns the pair of an existing private key.
func FromSigner(key crypto.Signer) (*Pair, error) {
	block, err := ssh.MarshalPrivateKey(key, "")
	if err != nil {
		return nil, fmt.Errorf("failed to encode the SSH key: %w", err)
	}
	pub, err := ssh.NewPublicKey(key.Public())
	if err != nil {
		return nil, fmt.Errorf("failed to encode the SSH public key: %w", err)
	}
	return &Pair{PrivateKey: pem.EncodeToMemory(block), PublicKey: ssh.MarshalAuthorizedKey(pub)}, nil
}

// Parse reads a PEM private key (a --private-key-file) and returns its pair.
func Parse(privateKey []byte, password string) (*Pair, error) {
	var signer ssh.Signer
	var err error
	if password != "" {
		signer, err = ssh.ParsePrivateKeyWithPassphrase(privateKey, []byte(password))
	} else {
		signer, err = ssh.ParsePrivateKey(privateKey)
	}
	if err != nil {
		return nil, fmt.Errorf("failed to parse the SSH private key: %w", err)
	}
	return &Pair{PrivateKey: privateKey, PublicKey: ssh.MarshalAuthorizedKey(signer.PublicKey())}, nil
}

// errScanned stops the handshake once the host key is known.
var errScanned = errors.New("host key scanned")

// ScanHostKey connects to host (host:port, port 22 when absent), reads its host key of the
// given key algorithm (any when empty) and returns its known_hosts line.
func ScanHostKey(host, algorithm string, timeout time.Duration) ([]byte, error) {
	if _, _, err := net.SplitHostPort(host); err != nil {
		host = net.JoinHostPort(host, "22")
	}
	var line string
	cfg := &ssh.ClientConfig{
		User:    "git",
		Timeout: timeout,
		HostKeyCallback: func(hostname string, remote net.Addr, key ssh.PublicKey) error {
			line = knownhosts.Line([]string{knownhosts.Normalize(host)}, key)
			return errScanned
		},
	}
	if algorithm != "" {
		cfg.HostKeyAlgorithms = []string{algorithm}
	}
	conn, err := net.DialTimeout("tcp", host, timeout)
	if err != nil {
		return nil, fmt.Errorf("failed to connect to %s: %w", host, err)
	}
	defer conn.Close()
	_, _, _, err = ssh.NewClientConn(conn, host, cfg)
	if line == "" {
		return nil, fmt.Errorf("failed to read the host key of %s: %w", host, err)
	}
	return []byte(strings.TrimSpace(line) + "\n"), nil
}
