package artifact

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
)

// AlgorithmSHA256 is the name of the only digest algorithm artifacts use.
const AlgorithmSHA256 = "sha256"

// Digest is a parsed content digest such as "sha256:<hex>".
type Digest struct {
	// Algorithm is the hash algorithm, always AlgorithmSHA256.
	Algorithm string
	// Hex is the lowercase hexadecimal encoding of the hash.
	Hex string
}

// String returns the digest in Flux format, "<algorithm>:<hex>".
func (d Digest) String() string {
	return d.Algorithm + ":" + d.Hex
}

// ParseDigest parses and validates a digest string of the form
// "sha256:<64 lowercase hex characters>". Digests of other algorithms are
// rejected with an error naming the algorithm.
func ParseDigest(s string) (Digest, error) {
	algo, encoded, ok := strings.Cut(s, ":")
	if !ok || algo == "" {
		return Digest{}, fmt.Errorf("invalid digest %q: expected <algorithm>:<hex>", s)
	}
	if algo != AlgorithmSHA256 {
		return Digest{}, fmt.Errorf("unsupported digest algorithm %q in %q: only %s is supported",
			algo, s, AlgorithmSHA256)
	}
	if len(encoded) != 2*sha256.Size || !isLowerHex(encoded) {
		return Digest{}, fmt.Errorf("invalid %s digest %q: expected %d lowercase hexadecimal characters",
			algo, s, 2*sha256.Size)
	}
	return Digest{Algorithm: algo, Hex: encoded}, nil
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// DigestReader reads r to its end and returns its digest in Flux format
// ("sha256:<hex>") and the number of bytes read.
func DigestReader(r io.Reader) (string, int64, error) {
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return "", n, fmt.Errorf("failed to read content for digest: %w", err)
	}
	return sha256Digest(h.Sum(nil)), n, nil
}

// DigestFile returns the digest in Flux format ("sha256:<hex>") and the size
// of the file at path.
func DigestFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, fmt.Errorf("failed to open file for digest: %w", err)
	}
	defer f.Close()
	return DigestReader(f)
}

// Verify reads r to its end and returns an error matching ErrDigestMismatch
// if its content does not have digest d.
func (d Digest) Verify(r io.Reader) error {
	if d.Algorithm != AlgorithmSHA256 {
		return fmt.Errorf("unsupported digest algorithm %q: only %s is supported", d.Algorithm, AlgorithmSHA256)
	}
	actual, _, err := DigestReader(r)
	if err != nil {
		return err
	}
	return checkDigest(d.String(), actual)
}

func checkDigest(expected, actual string) error {
	if expected != actual {
		return classErrorf(ErrDigestMismatch, "artifact digest mismatch: expected %s, got %s", expected, actual)
	}
	return nil
}

func sha256Digest(sum []byte) string {
	return AlgorithmSHA256 + ":" + hex.EncodeToString(sum)
}
