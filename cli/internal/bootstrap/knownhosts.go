package bootstrap

import (
	"fmt"
	"os"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// knownhostsFromBytes returns a host key callback for known_hosts content; knownhosts
// reads files only, so the content goes through a temporary file.
func knownhostsFromBytes(known []byte) (ssh.HostKeyCallback, error) {
	f, err := os.CreateTemp("", "ferry-known-hosts-")
	if err != nil {
		return nil, fmt.Errorf("failed to store the known hosts: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(known); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("failed to store the known hosts: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("failed to store the known hosts: %w", err)
	}
	cb, err := knownhosts.New(f.Name())
	if err != nil {
		return nil, fmt.Errorf("failed to read the known hosts: %w", err)
	}
	return cb, nil
}
