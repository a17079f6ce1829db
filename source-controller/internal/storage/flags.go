package storage

import (
	"fmt"
	"net"
	"os"
)

// FromFlags opens the storage the controller's flags describe: --storage-path (./bin in the
// working directory when empty), --storage-addr and --storage-adv-addr (the hostname with the
// port of --storage-addr when empty), --artifact-retention-records.
func FromFlags(path, addr, advAddr string, retention int) (*Storage, error) {
	if path == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, fmt.Errorf("failed to find the working directory: %w", err)
		}
		path = wd + "/bin"
	}
	adv, err := advertisedAddr(addr, advAddr)
	if err != nil {
		return nil, err
	}
	return New(Config{Path: path, AdvertisedAddr: adv, Retention: retention})
}

// advertisedAddr is adv, or the hostname with the port of addr.
func advertisedAddr(addr, adv string) (string, error) {
	if adv != "" {
		return adv, nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("failed to parse --storage-addr %q: %w", addr, err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		if host, err = os.Hostname(); err != nil {
			return "", fmt.Errorf("failed to find the hostname: %w", err)
		}
	}
	return net.JoinHostPort(host, port), nil
}
