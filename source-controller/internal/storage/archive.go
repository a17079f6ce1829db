package storage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/artifact"
)

// tarGzExt is the extension of the archives Archive writes.
const tarGzExt = ".tar.gz"

// tempPrefix starts the name of every temporary file the storage writes;
// the server never serves such a file and GarbageCollect removes stale ones.
const tempPrefix = "."

// Archive packs the directory srcDir, less what exclude leaves out, into a
// deterministic tar.gz stored as <kind>/<namespace>/<name>/<digest hex>.tar.gz,
// and returns the artifact's full record. The same tree always gives the
// same path and digest. srcDir must not be inside the storage.
func (s *Storage) Archive(ctx context.Context, kind, namespace, name, srcDir, revision string,
	exclude artifact.ExcludeFunc, metadata map[string]string) (fluxmeta.Artifact, error) {
	rel, err := objectPath(kind, namespace, name)
	if err != nil {
		return fluxmeta.Artifact{}, err
	}
	dir, err := s.mkdir(rel)
	if err != nil {
		return fluxmeta.Artifact{}, err
	}
	tmp, err := os.CreateTemp(dir, tempPrefix+"archive-*"+tarGzExt)
	if err != nil {
		return fluxmeta.Artifact{}, fmt.Errorf("failed to create temporary artifact file: %w", err)
	}
	tmpPath := tmp.Name()
	_ = tmp.Close()
	defer os.Remove(tmpPath) // a no-op once renamed

	digest, size, err := artifact.Build(ctx, srcDir, tmpPath, exclude)
	if err != nil {
		return fluxmeta.Artifact{}, fmt.Errorf("failed to archive %s: %w", srcDir, err)
	}
	d, err := artifact.ParseDigest(digest)
	if err != nil {
		return fluxmeta.Artifact{}, fmt.Errorf("failed to archive %s: %w", srcDir, err)
	}
	file := path.Join(rel, d.Hex+tarGzExt)
	if err := os.Rename(tmpPath, filepath.Join(s.dir, filepath.FromSlash(file))); err != nil {
		return fluxmeta.Artifact{}, fmt.Errorf("failed to move artifact into place: %w", err)
	}
	return s.newArtifact(file, revision, digest, size, metadata), nil
}

// Store writes the content of r, which is already an artifact such as a
// Helm repository index or a packaged chart, as
// <kind>/<namespace>/<name>/<digest hex><ext> and returns its full record.
// ext is the file's extension with its dot, such as ".yaml" or ".tgz".
func (s *Storage) Store(ctx context.Context, kind, namespace, name string, r io.Reader,
	ext, revision string, metadata map[string]string) (fluxmeta.Artifact, error) {
	rel, err := objectPath(kind, namespace, name)
	if err != nil {
		return fluxmeta.Artifact{}, err
	}
	if err := checkExt(ext); err != nil {
		return fluxmeta.Artifact{}, err
	}
	dir, err := s.mkdir(rel)
	if err != nil {
		return fluxmeta.Artifact{}, err
	}
	tmp, err := os.CreateTemp(dir, tempPrefix+"store-*"+ext)
	if err != nil {
		return fluxmeta.Artifact{}, fmt.Errorf("failed to create temporary artifact file: %w", err)
	}
	defer func() {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name()) // a no-op once renamed
	}()

	h := sha256.New()
	size, err := io.Copy(io.MultiWriter(tmp, h), &ctxReader{ctx: ctx, r: r})
	if err != nil {
		return fluxmeta.Artifact{}, fmt.Errorf("failed to write artifact: %w", err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	file := path.Join(rel, sum+ext)
	if err := artifact.FinishFile(tmp, filepath.Join(s.dir, filepath.FromSlash(file))); err != nil {
		return fluxmeta.Artifact{}, err
	}
	return s.newArtifact(file, revision, artifact.AlgorithmSHA256+":"+sum, size, metadata), nil
}

// Copy stores the file at srcPath like Store does.
func (s *Storage) Copy(ctx context.Context, kind, namespace, name, srcPath,
	ext, revision string, metadata map[string]string) (fluxmeta.Artifact, error) {
	f, err := os.Open(srcPath)
	if err != nil {
		return fluxmeta.Artifact{}, fmt.Errorf("failed to open artifact source file: %w", err)
	}
	defer f.Close()
	return s.Store(ctx, kind, namespace, name, f, ext, revision, metadata)
}

// mkdir creates the directory rel below the root and returns its absolute
// path. The directories are created through the root so that none can be
// created outside it.
func (s *Storage) mkdir(rel string) (string, error) {
	if err := s.root.MkdirAll(rel, 0o755); err != nil {
		return "", fmt.Errorf("failed to create artifact directory: %w", err)
	}
	return filepath.Join(s.dir, filepath.FromSlash(rel)), nil
}

// checkExt accepts an extension such as ".yaml" or ".tar.gz": dot-separated
// parts of lowercase letters and digits.
func checkExt(ext string) error {
	parts := strings.Split(ext, ".")
	ok := len(ext) <= 16 && len(parts) >= 2 && parts[0] == ""
	for _, part := range parts[min(1, len(parts)):] {
		ok = ok && part != "" && strings.Trim(part, "abcdefghijklmnopqrstuvwxyz0123456789") == ""
	}
	if !ok {
		return fmt.Errorf("failed to store artifact: invalid extension %q: expected a dot and lowercase letters or digits", ext)
	}
	return nil
}

// ctxReader fails reads once its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

// Read reads from the underlying reader unless the context is done.
func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
