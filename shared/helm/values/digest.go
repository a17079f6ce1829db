package values

import (
	"crypto/sha1" // the deprecated lastAttemptedValuesChecksum is a SHA-1
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"sigs.k8s.io/yaml"
)

// Digest returns the 'sha256:<hex>' digest of values: the SHA-256 of their JSON encoding with
// sorted keys, an empty or nil map being '{}'. It is the lastAttemptedConfigDigest of the
// status and the configDigest of a history snapshot, so equal values always give equal
// digests whether they come from the spec or from a release in the Helm storage.
func Digest(values map[string]any) string {
	if values == nil {
		values = map[string]any{}
	}
	b, err := json.Marshal(values)
	if err != nil {
		// Values decoded from JSON or YAML always encode; anything else has no stable digest.
		return ""
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Checksum returns the hex SHA-1 of the YAML encoding of values (nothing for empty values),
// the deprecated lastAttemptedValuesChecksum of the status.
func Checksum(values map[string]any) string {
	var b []byte
	if len(values) > 0 {
		b, _ = yaml.Marshal(values)
	}
	sum := sha1.Sum(b)
	return hex.EncodeToString(sum[:])
}
