package fleet

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// MinSecretLength is the length below which a value is not checked for leaks: a shorter one
// cannot be told from ordinary words of a log.
const MinSecretLength = 6

// publicKeys are the keys of Secrets whose values are public by nature (host keys, public
// keys, CA and client certificates, user names), which may appear anywhere.
var publicKeys = map[string]bool{
	"known_hosts": true, "identity.pub": true, "username": true, "user": true,
	"ca.crt": true, "caFile": true, "tls.crt": true, "certFile": true, "cert": true,
	"email": true, "audience": true,
}

// Secrets records the values of the Secrets a test run creates, in one place, so that the
// run can check at its end that none of them leaked into a controller log, an Event or an
// object's status (STYLE.md: no secret value in any error, event or log). It is safe for
// concurrent use.
type Secrets struct {
	mu     sync.Mutex
	values map[string]string // the value -> what it is ("Secret ns/name key")
}

// Leak is one secret value found where it must not be.
type Leak struct {
	// Source is the file it was found in, and Line its line number there (from 1).
	Source string
	Line   int
	// What names the secret value ("Secret ns/name key"), never the value itself.
	What string
}

// String names the place and the secret, without its value.
func (l Leak) String() string { return fmt.Sprintf("%s:%d: the value of %s", l.Source, l.Line, l.What) }

// RecordObject records the values of obj when it is a Secret (data, base64, and stringData);
// any other object is ignored.
func (s *Secrets) RecordObject(obj *unstructured.Unstructured) {
	if obj.GetKind() != "Secret" || obj.GetAPIVersion() != "v1" {
		return
	}
	name := fmt.Sprintf("Secret %s/%s", obj.GetNamespace(), obj.GetName())
	data, _, _ := unstructured.NestedMap(obj.Object, "data")
	for k, v := range data {
		if str, ok := v.(string); ok {
			if raw, err := base64.StdEncoding.DecodeString(str); err == nil {
				s.Record(name+" "+k, k, raw)
			}
		}
	}
	stringData, _, _ := unstructured.NestedMap(obj.Object, "stringData")
	for k, v := range stringData {
		if str, ok := v.(string); ok {
			s.Record(name+" "+k, k, []byte(str))
		}
	}
}

// Record records a secret value: what names it, key is the Secret key that holds it (values
// of public keys such as known_hosts are not recorded). The whole value is recorded, and in
// base64; a multi-line value (a private key) also line by line; a .dockerconfigjson document
// by the password and auth of each registry. Use it as well for values that reach the
// cluster otherwise, such as SOPS-decrypted values.
func (s *Secrets) Record(what, key string, value []byte) {
	if publicKeys[key] {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.values == nil {
		s.values = map[string]string{}
	}
	add := func(v string) {
		if v = strings.TrimSpace(v); len(v) >= MinSecretLength {
			if _, ok := s.values[v]; !ok {
				s.values[v] = what
			}
		}
	}
	if key == ".dockerconfigjson" {
		for _, v := range dockerConfigSecrets(value) {
			add(v)
			add(base64.StdEncoding.EncodeToString([]byte(v)))
		}
		return
	}
	add(string(value))
	if v := strings.TrimSpace(string(value)); len(v) >= MinSecretLength {
		add(base64.StdEncoding.EncodeToString([]byte(v)))
	}
	if lines := strings.Split(string(value), "\n"); len(lines) > 1 {
		for _, l := range lines {
			// PEM armour lines are the same in every key; their bodies are not.
			if !strings.HasPrefix(strings.TrimSpace(l), "-----") && len(strings.TrimSpace(l)) >= 16 {
				add(l)
			}
		}
	}
}

// dockerConfigSecrets returns the passwords and auth fields of a .dockerconfigjson document.
func dockerConfigSecrets(doc []byte) []string {
	var cfg struct {
		Auths map[string]struct {
			Password      string `json:"password"`
			Auth          string `json:"auth"`
			IdentityToken string `json:"identitytoken"`
		} `json:"auths"`
	}
	if json.Unmarshal(doc, &cfg) != nil {
		return []string{string(doc)}
	}
	var out []string
	for _, a := range cfg.Auths {
		out = append(out, a.Password, a.Auth, a.IdentityToken)
	}
	return out
}

// Len returns how many values are recorded.
func (s *Secrets) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.values)
}

// Scan returns every line of r, read as source, that holds a recorded value.
func (s *Secrets) Scan(source string, r io.Reader) ([]Leak, error) {
	s.mu.Lock()
	values := make([]string, 0, len(s.values))
	for v := range s.values {
		values = append(values, v)
	}
	sort.Strings(values)
	whats := make([]string, len(values))
	for i, v := range values {
		whats[i] = s.values[v]
	}
	s.mu.Unlock()

	var leaks []Leak
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		for i, v := range values {
			if strings.Contains(line, v) {
				leaks = append(leaks, Leak{Source: source, Line: n, What: whats[i]})
			}
		}
	}
	if err := sc.Err(); err != nil {
		return leaks, fmt.Errorf("failed to read %s: %w", source, err)
	}
	return leaks, nil
}

// ScanFiles scans every file of dir (not below it) whose name ends with one of suffixes.
func (s *Secrets) ScanFiles(dir string, suffixes ...string) ([]Leak, int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, 0, fmt.Errorf("failed to list %s: %w", dir, err)
	}
	var leaks []Leak
	scanned := 0
	for _, e := range entries {
		if e.IsDir() || !hasSuffix(e.Name(), suffixes) {
			continue
		}
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			return leaks, scanned, err
		}
		found, err := s.Scan(e.Name(), f)
		_ = f.Close()
		if err != nil {
			return leaks, scanned, err
		}
		leaks = append(leaks, found...)
		scanned++
	}
	return leaks, scanned, nil
}

func hasSuffix(name string, suffixes []string) bool {
	for _, s := range suffixes {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

// LeakError is the error of a check that found leaks.
func LeakError(leaks []Leak) error {
	if len(leaks) == 0 {
		return nil
	}
	const most = 20
	lines := make([]string, 0, most)
	for i, l := range leaks {
		if i == most {
			lines = append(lines, fmt.Sprintf("… and %d more", len(leaks)-most))
			break
		}
		lines = append(lines, "  "+l.String())
	}
	return fmt.Errorf("%d secret values leaked:\n%s", len(leaks), strings.Join(lines, "\n"))
}

// CheckLeaks returns an error naming every place a value of f.Secrets appears in the logs of
// the controllers (every *.log of f.Dir, of restarted and extra controllers as well) or in
// the Recorder's record of Events and statuses, and writes what it checked to w.
func (f *Fleet) CheckLeaks(w io.Writer) error {
	leaks, files, err := f.Secrets.ScanFiles(f.Dir, ".log", APIRecordFile)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "fleet: checked %d logs and records for %d secret values: %d leaks\n", files, f.Secrets.Len(), len(leaks))
	return LeakError(leaks)
}
