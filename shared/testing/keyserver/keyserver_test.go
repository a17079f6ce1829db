package keyserver_test

import (
	"testing"

	"github.com/ferry-gitops/ferry/shared/testing/keyserver"
)

func TestKeyringSealOpen(t *testing.T) {
	var k keyserver.Keyring
	blob := k.Seal("key-a", []byte("data key"), []byte("ctx"))
	name, plain, err := k.Open(blob, []byte("ctx"))
	if err != nil || name != "key-a" || string(plain) != "data key" {
		t.Fatalf("open: %q %q %v", name, plain, err)
	}
	if _, _, err := k.Open(blob, []byte("other ctx")); err == nil {
		t.Fatal("a ciphertext opened with another context")
	}
	var other keyserver.Keyring
	if _, _, err := other.Open(blob, []byte("ctx")); err == nil {
		t.Fatal("a ciphertext opened in another keyring")
	}
	if _, _, err := k.Open([]byte{0, 9, 'x'}, nil); err == nil {
		t.Fatal("a truncated ciphertext opened")
	}
}
