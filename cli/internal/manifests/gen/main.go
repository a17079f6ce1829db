// Command gen copies the repository's deploy/ directory into the manifests package, so that
// the ferry binary embeds the manifests at build time (a Go package cannot embed files
// outside its module). Run it through `go generate ./internal/manifests` in cli/;
// TestEmbeddedUpToDate fails when the copy is stale.
package main

import (
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	src := flag.String("src", "../../../deploy", "the deploy directory to copy")
	dst := flag.String("dst", "deploy", "where to copy it")
	flag.Parse()
	if err := copyTree(*src, *dst); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// copyTree replaces dst with the files of src that the manifests package embeds.
func copyTree(src, dst string) error {
	if err := os.RemoveAll(dst); err != nil {
		return fmt.Errorf("failed to remove %s: %w", dst, err)
	}
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !Embedded(d.Name()) {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("failed to read %s: %w", p, err)
		}
		out := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return fmt.Errorf("failed to create %s: %w", filepath.Dir(out), err)
		}
		return os.WriteFile(out, data, 0o644)
	})
}

// Embedded reports whether a file of deploy/ is copied: manifests and dashboards, not prose.
func Embedded(name string) bool {
	return strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".json")
}
