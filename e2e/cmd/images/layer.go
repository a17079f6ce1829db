package main

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// nobody is the non-root user and group the images run as.
const nobody = 65534

// passwd and group declare root and the non-root user nobody (65534), so that tools in the
// container that look the user up find a name.
const (
	passwd = "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n"
	group  = "root:x:0:\nnobody:x:65534:\n"
)

// epoch is the modification time of every file in a layer: a fixed time keeps the digest of
// the same input the same.
var epoch = time.Unix(0, 0).UTC()

// entry is one file or directory of an image's root file system.
type entry struct {
	path string // without a leading slash
	mode int64  // permission bits (and sticky bit)
	dir  bool
	data []byte
}

// rootfs lists the entries of a controller's image, parents before children: the binary at
// /usr/local/bin/<name>, the CA bundle, /etc/passwd and /etc/group, and a world-writable /tmp.
func rootfs(name string, binary, caCerts []byte) []entry {
	return []entry{
		{path: "etc/", mode: 0o755, dir: true},
		{path: "etc/group", mode: 0o644, data: []byte(group)},
		{path: "etc/passwd", mode: 0o644, data: []byte(passwd)},
		{path: "etc/ssl/", mode: 0o755, dir: true},
		{path: "etc/ssl/certs/", mode: 0o755, dir: true},
		{path: "etc/ssl/certs/ca-certificates.crt", mode: 0o644, data: caCerts},
		{path: "tmp/", mode: 0o1777, dir: true},
		{path: "usr/", mode: 0o755, dir: true},
		{path: "usr/local/", mode: 0o755, dir: true},
		{path: "usr/local/bin/", mode: 0o755, dir: true},
		{path: "usr/local/bin/" + name, mode: 0o755, data: binary},
	}
}

// tarEntries writes entries as an uncompressed tar owned by root with fixed times.
func tarEntries(entries []entry) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := &tar.Header{
			Name: e.path, Mode: e.mode, ModTime: epoch, Typeflag: tar.TypeReg,
			Size: int64(len(e.data)), Format: tar.FormatUSTAR,
		}
		if e.dir {
			hdr.Typeflag, hdr.Size = tar.TypeDir, 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("failed to write tar header of %s: %w", e.path, err)
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, fmt.Errorf("failed to write %s: %w", e.path, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("failed to close tar: %w", err)
	}
	return buf.Bytes(), nil
}

// newLayer makes the single OCI layer (gzip) of a controller's image from its binary and the
// CA bundle file.
func newLayer(name, binaryPath, caCertsPath string) (v1.Layer, error) {
	binary, err := os.ReadFile(binaryPath)
	if err != nil {
		return nil, fmt.Errorf("failed to read binary: %w", err)
	}
	caCerts, err := os.ReadFile(caCertsPath)
	if err != nil {
		return nil, fmt.Errorf("failed to read CA certificates: %w", err)
	}
	b, err := tarEntries(rootfs(name, binary, caCerts))
	if err != nil {
		return nil, err
	}
	return layerFromTar(b)
}

func layerFromTar(b []byte) (v1.Layer, error) {
	opener := func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	l, err := tarball.LayerFromOpener(opener, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, fmt.Errorf("failed to make layer: %w", err)
	}
	return l, nil
}
