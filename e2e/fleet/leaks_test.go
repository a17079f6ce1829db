package fleet

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// testSecret is a Secret as a story applies it: a password (data), a token (stringData), an
// SSH private key with its known_hosts, and registry credentials.
func testSecret(t *testing.T) (*unstructured.Unstructured, string) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	identity := string(pem.EncodeToMemory(block))
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "creds", "namespace": "ns"},
		"data": map[string]any{
			"password":          b64("hunter2-password"),
			"identity":          b64(identity),
			"known_hosts":       b64("[127.0.0.1]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPublicHostKeyMaterial"),
			".dockerconfigjson": b64(`{"auths":{"r.example":{"username":"ci","password":"registry-s3cret","auth":"` + b64("ci:registry-s3cret") + `"}}}`),
		},
		"stringData": map[string]any{"token": "webhook-token-123"},
	}}, identity
}

// TestCheckLeaks: a log line that quotes a recorded password, token, private key line or
// registry password fails the check, and the error names the file, the line and the Secret
// key without the value; a clean log, a known_hosts line and the user name pass.
func TestCheckLeaks(t *testing.T) {
	obj, identity := testSecret(t)
	f := &Fleet{Dir: t.TempDir(), Secrets: &Secrets{}}
	f.Secrets.RecordObject(obj)
	f.Secrets.RecordObject(&unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap", "data": map[string]any{"k": "configmap-value"}}})

	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(f.Dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("kustomize-controller.log", "INFO reconciled\nINFO configmap-value ci\n[127.0.0.1]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPublicHostKeyMaterial\n")
	write("storage.tar.gz", "hunter2-password") // not a log: artifacts may hold anything
	if err := f.CheckLeaks(os.Stderr); err != nil {
		t.Fatalf("a clean run failed: %v", err)
	}

	keyLine := strings.Split(identity, "\n")[1]
	write("source-controller.log", "INFO start\nERROR failed to auth with hunter2-password\nDEBUG key "+keyLine+"\n")
	write("notification-controller.log", "ERROR token=webhook-token-123\n")
	write("image-reflector-controller.log", "DEBUG login ci:registry-s3cret\n")
	write(APIRecordFile, `{"event":{"message":"auth `+base64.StdEncoding.EncodeToString([]byte("ci:registry-s3cret"))+`"}}`+"\n")
	err := f.CheckLeaks(os.Stderr)
	if err == nil {
		t.Fatal("CheckLeaks passed a log holding secret values")
	}
	for _, want := range []string{
		"source-controller.log:2: the value of Secret ns/creds password",
		"source-controller.log:3: the value of Secret ns/creds identity",
		"notification-controller.log:1: the value of Secret ns/creds token",
		"image-reflector-controller.log:1: the value of Secret ns/creds .dockerconfigjson",
		APIRecordFile + ":1: the value of Secret ns/creds .dockerconfigjson",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error lacks %q:\n%v", want, err)
		}
	}
	for _, value := range []string{"hunter2-password", "webhook-token-123", "registry-s3cret", keyLine} {
		if strings.Contains(err.Error(), value) {
			t.Errorf("the error quotes the secret value %q", value)
		}
	}
}

// TestRecorderKeepsDeletedEvents: an Event whose message holds a secret value is in the
// record even though it was deleted (with its namespace, as a story's cleanup does) before
// the check, so the check finds it.
func TestRecorderKeepsDeletedEvents(t *testing.T) {
	env, err := testenv.Start(testenv.Options{CRDDirectoryPaths: []string{"../../deploy/crds"}, ErrorIfCRDPathMissing: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	f := &Fleet{Dir: t.TempDir(), Secrets: &Secrets{}}
	rec, err := StartRecorder(env.Config, filepath.Join(f.Dir, APIRecordFile))
	if err != nil {
		t.Fatal(err)
	}
	f.Secrets.Record("Secret default/creds token", "token", []byte("leaked-token-42"))
	ctx := context.Background()
	ev := &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: "e1", Namespace: "default"},
		InvolvedObject: corev1.ObjectReference{Kind: "GitRepository", Namespace: "default", Name: "app"},
		Reason:         "AuthenticationFailed", Message: "bad credentials leaked-token-42", Type: corev1.EventTypeWarning,
	}
	if err := env.Client.Create(ctx, ev); err != nil {
		t.Fatal(err)
	}
	// The watch delivers the Event asynchronously: wait until it is in the record.
	deadline := time.Now().Add(30 * time.Second)
	for {
		data, _ := os.ReadFile(filepath.Join(f.Dir, APIRecordFile))
		if strings.Contains(string(data), "AuthenticationFailed") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the recorder did not record the Event")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := env.Client.Delete(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if err := rec.Stop(); err != nil {
		t.Fatal(err)
	}
	err = f.CheckLeaks(os.Stderr)
	if err == nil || !strings.Contains(err.Error(), APIRecordFile+":") || !strings.Contains(err.Error(), "Secret default/creds token") {
		t.Fatalf("CheckLeaks = %v, want the leaked token found in the record", err)
	}
}
