// Command lint enforces the house rules of STYLE.md that gofmt and go vet do not: the fixed
// import aliases, import grouping (standard library, third party, Ferry), function length in
// non-test code, and a doc comment on every exported name. It reads Go files as syntax only,
// so it runs in seconds on the whole workspace.
//
// An exception is written on the line before the offending declaration or import, and must
// give its reason: //lint:allow <rule> <reason>, with rule one of alias, imports, funlen, doc.
//
// Usage: go run ./tools/lint <dir>... (each dir walked recursively; testdata, vendor and
// generated files skipped). It prints one line per finding and exits 1 when there is any.
package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: lint <dir>...")
		os.Exit(2)
	}
	var findings []string
	for _, root := range os.Args[1:] {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if n := d.Name(); p != root && (n == "testdata" || n == "vendor" || strings.HasPrefix(n, ".")) {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(p, ".go") || strings.HasPrefix(d.Name(), "zz_generated") {
				return nil
			}
			src, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			fs, err := checkFile(p, src)
			if err != nil {
				return err
			}
			findings = append(findings, fs...)
			return nil
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
	sort.Strings(findings)
	for _, f := range findings {
		fmt.Println(f)
	}
	if len(findings) > 0 {
		fmt.Fprintf(os.Stderr, "lint: %d finding(s); exceptions take //lint:allow <rule> <reason>\n", len(findings))
		os.Exit(1)
	}
}
