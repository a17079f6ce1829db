package decrypt

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"sort"

	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/cmd/sops/formats"
	"github.com/getsops/sops/v3/config"
	"github.com/getsops/sops/v3/stores/dotenv"
	"github.com/getsops/sops/v3/stores/ini"
	"github.com/getsops/sops/v3/stores/json"
	"github.com/getsops/sops/v3/stores/yaml"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// StoreFor returns the SOPS store that reads and writes documents of a format; binary files
// are stored as a JSON document with a "data" key.
func StoreFor(f formats.Format) sops.Store {
	switch f {
	case formats.Yaml:
		return yaml.NewStore(&config.YAMLStoreConfig{})
	case formats.Json:
		return json.NewStore(&config.JSONStoreConfig{})
	case formats.Dotenv:
		return dotenv.NewStore(&config.DotenvStoreConfig{})
	case formats.Ini:
		return ini.NewStore(&config.INIStoreConfig{})
	default:
		return json.NewBinaryStore(&config.JSONBinaryStoreConfig{})
	}
}

var (
	yamlMarker   = regexp.MustCompile(`(?m)^sops:\s*$`)
	yamlMAC      = regexp.MustCompile(`(?m)^\s+mac:`)
	jsonMarker   = regexp.MustCompile(`"sops"\s*:\s*\{`)
	dotenvMarker = regexp.MustCompile(`(?m)^sops_mac=`)
	iniMarker    = regexp.MustCompile(`(?m)^\[sops\]\s*$`)
)

// Format detects whether data, the content of a file called name, is a SOPS-encrypted
// document, and in which SOPS format. The file name decides between JSON and binary
// (a binary file is encrypted as a JSON document with a "data" key).
func Format(name string, data []byte) (formats.Format, bool) {
	if !bytes.Contains(data, []byte("sops")) {
		return formats.Binary, false
	}
	byName := formats.FormatForPath(name)
	switch {
	case dotenvMarker.Match(data):
		return formats.Dotenv, true
	case iniMarker.Match(data):
		return formats.Ini, true
	case bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) && jsonMarker.Match(data):
		if byName == formats.Json {
			return formats.Json, true
		}
		if byName == formats.Yaml {
			// JSON is YAML: a .yaml file encrypted as JSON keeps its keys.
			return formats.Json, true
		}
		return formats.Binary, true
	case yamlMarker.Match(data) && yamlMAC.Match(data):
		return formats.Yaml, true
	}
	return formats.Binary, false
}

// MaxEncryptedSize bounds the size of one encrypted document, so that a hostile source cannot
// make the decoder work on an arbitrarily large input.
const MaxEncryptedSize = 5 << 20

// DecryptFile decrypts data, the content of the file called name, when it is a
// SOPS-encrypted document, and returns the plain document in the same format; the message
// authentication code is verified. It returns data unchanged and false when the file is not
// encrypted. The error never contains a decrypted value.
func (d *Decryptor) DecryptFile(name string, data []byte) ([]byte, bool, error) {
	format, ok := Format(name, data)
	if !ok {
		return data, false, nil
	}
	if len(data) > MaxEncryptedSize {
		return nil, true, fmt.Errorf("failed to decrypt: the encrypted document is larger than %d bytes", MaxEncryptedSize)
	}
	out, err := d.decryptDocument(data, format)
	if err != nil {
		return nil, true, err
	}
	return out, true, nil
}

// decryptDocument loads an encrypted document of a format, decrypts it and emits it plain.
func (d *Decryptor) decryptDocument(data []byte, format formats.Format) (out []byte, err error) {
	defer func() {
		// Malformed documents have made SOPS stores panic; the value is not reported.
		if r := recover(); r != nil {
			out, err = nil, errors.New("failed to decrypt the SOPS document: malformed document")
		}
	}()
	st := StoreFor(format)
	tree, err := st.LoadEncryptedFile(data)
	if err != nil {
		return nil, fmt.Errorf("failed to load the SOPS document: %w", err)
	}
	if err := d.decryptTree(&tree); err != nil {
		return nil, err
	}
	out, err = st.EmitPlainFile(tree.Branches)
	if err != nil {
		return nil, errors.New("failed to write the decrypted SOPS document")
	}
	return out, nil
}

// IsEncrypted reports whether obj carries SOPS metadata, or is a Secret with a data entry
// that is a SOPS-encrypted document.
func IsEncrypted(obj *unstructured.Unstructured) bool {
	if _, ok := obj.Object["sops"]; ok {
		return true
	}
	if obj.GetKind() != "Secret" {
		return false
	}
	data, _, _ := unstructured.NestedStringMap(obj.Object, "data")
	for key, value := range data {
		if raw, err := base64.StdEncoding.DecodeString(value); err == nil {
			if _, ok := Format(key, raw); ok {
				return true
			}
		}
	}
	return false
}

// DecryptObject decrypts obj in place: a whole object with SOPS metadata (typically a Secret
// whose data or stringData is encrypted), or the entries of a Secret's data that are
// SOPS-encrypted documents (put there by a secretGenerator). Objects without encryption are
// left alone.
func (d *Decryptor) DecryptObject(obj *unstructured.Unstructured) error {
	if _, ok := obj.Object["sops"]; ok {
		raw, err := obj.MarshalJSON()
		if err != nil {
			return fmt.Errorf("failed to encode %s: %w", objectName(obj), err)
		}
		plain, err := d.decryptDocument(raw, formats.Json)
		if err != nil {
			return fmt.Errorf("failed to decrypt %s: %w", objectName(obj), err)
		}
		if err := obj.UnmarshalJSON(plain); err != nil {
			return fmt.Errorf("failed to decode decrypted %s", objectName(obj))
		}
		return nil
	}
	if obj.GetKind() != "Secret" {
		return nil
	}
	return d.decryptSecretData(obj)
}

// decryptSecretData decrypts each data entry of a Secret that is a SOPS document.
func (d *Decryptor) decryptSecretData(obj *unstructured.Unstructured) error {
	data, found, err := unstructured.NestedStringMap(obj.Object, "data")
	if err != nil || !found {
		return nil
	}
	keys := make([]string, 0, len(data))
	for key := range data {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	changed := false
	for _, key := range keys {
		raw, err := base64.StdEncoding.DecodeString(data[key])
		if err != nil {
			continue // not base64: the API server reports it when the Secret is applied
		}
		plain, ok, err := d.DecryptFile(key, raw)
		if err != nil {
			return fmt.Errorf("failed to decrypt key %q of %s: %w", key, objectName(obj), err)
		}
		if ok {
			data[key] = base64.StdEncoding.EncodeToString(plain)
			changed = true
		}
	}
	if !changed {
		return nil
	}
	return unstructured.SetNestedStringMap(obj.Object, data, "data")
}

// objectName names an object for messages: Kind/namespace/name.
func objectName(obj *unstructured.Unstructured) string {
	if ns := obj.GetNamespace(); ns != "" {
		return fmt.Sprintf("%s/%s/%s", obj.GetKind(), ns, obj.GetName())
	}
	return fmt.Sprintf("%s/%s", obj.GetKind(), obj.GetName())
}
