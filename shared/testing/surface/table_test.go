package surface

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestCompatibilityTable holds docs/api-compatibility.md to the truth: every spec path of Flux's
// CRDs has one row; every test an implemented row names exists; every kind with refused rows
// has a test that runs CheckRefused for it (which stalls an object per refused path); every
// flag accepted and ignored is listed.
func TestCompatibilityTable(t *testing.T) {
	root, err := Root()
	if err != nil {
		t.Fatal(err)
	}
	rows, err := Rows(root)
	if err != nil {
		t.Fatal(err)
	}
	want := specPaths(t, root)
	seen := map[string]int{}
	for _, r := range rows {
		key := r.APIVersion + " " + r.Kind + " " + r.Path
		if line, dup := seen[key]; dup {
			t.Errorf("%s:%d: %s listed again (first at line %d)", DocPath, r.Line, key, line)
		}
		seen[key] = r.Line
	}
	for _, key := range want {
		if _, ok := seen[key]; !ok {
			t.Errorf("%s has no row for %s", DocPath, key)
		}
	}
	tests := testFuncs(t, root)
	callers := refusalCallers(t, root)
	refusing := map[string]bool{}
	for _, r := range rows {
		for _, name := range r.Tests {
			if !tests[name] {
				t.Errorf("%s:%d: %s %s names %s, which is not a test (want <dir>.<TestName>)", DocPath, r.Line, r.Kind, r.Path, name)
			}
		}
		if r.Status == Refused || r.Status == Partly {
			refusing[r.Kind] = true
			if !strings.Contains(r.Message, strings.TrimSuffix(r.Path, "[]")) && !strings.Contains(r.Message, r.Kind) {
				t.Errorf("%s:%d: the message of %s %s names neither the field nor the kind", DocPath, r.Line, r.Kind, r.Path)
			}
		}
	}
	for kind := range refusing {
		if !callers[kind] {
			t.Errorf("%s has refused paths but no test calls surface.CheckRefused for it", kind)
		}
	}
	checkIgnoredFlags(t, root)
}

// specPaths returns "<apiVersion> <Kind> <path>" of every spec path in Flux's surface list.
func specPaths(t *testing.T, root string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(root, "shared/testing/fixtures/testdata/surface.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 3 && (fields[2] == "spec" || strings.HasPrefix(fields[2], "spec.")) {
			out = append(out, fields[0]+" "+fields[1]+" "+fields[2])
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) < 500 {
		t.Fatalf("surface.txt lists %d spec paths; expected Flux's full list", len(out))
	}
	return out
}

var (
	testFuncRE = regexp.MustCompile(`(?m)^func (Test\w+)\(t \*testing\.T\)`)
	refusalRE  = regexp.MustCompile(`surface\.CheckRefused\(.*"(\w+)"\)`)
	flagRE     = regexp.MustCompile(`"([a-zA-Z][\w-]*)":\s*(?:manager\.)?(?:String|Bool)Flag`)
)

// testFuncs returns "<dir>.<TestName>" of every test function in the repository's test files.
func testFuncs(t *testing.T, root string) map[string]bool {
	out := map[string]bool{}
	walkGo(t, root, func(rel, src string) {
		if !strings.HasSuffix(rel, "_test.go") {
			return
		}
		for _, m := range testFuncRE.FindAllStringSubmatch(src, -1) {
			out[filepath.ToSlash(filepath.Dir(rel))+"."+m[1]] = true
		}
	})
	return out
}

// refusalCallers returns the kinds some test runs CheckRefused for.
func refusalCallers(t *testing.T, root string) map[string]bool {
	out := map[string]bool{}
	walkGo(t, root, func(rel, src string) {
		if strings.HasSuffix(rel, "_test.go") {
			for _, m := range refusalRE.FindAllStringSubmatch(src, -1) {
				out[m[1]] = true
			}
		}
	})
	return out
}

// checkIgnoredFlags fails for every flag a controller accepts and ignores (declared as
// "name": StringFlag or BoolFlag in the shared manager or a controller's main.go) that the
// document does not list as `--name`.
func checkIgnoredFlags(t *testing.T, root string) {
	doc, err := os.ReadFile(filepath.Join(root, DocPath))
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	walkGo(t, root, func(rel, src string) {
		if filepath.Base(rel) != "main.go" && rel != "shared/runtime/manager/ignored.go" {
			return
		}
		for _, m := range flagRE.FindAllStringSubmatch(src, -1) {
			if !strings.Contains(string(doc), "`--"+m[1]+"`") {
				missing = append(missing, rel+": --"+m[1])
			}
		}
	})
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("flag accepted and ignored but not listed in %s: %s", DocPath, m)
	}
}

// walkGo calls fn with the path relative to root and the text of every Go file of the
// repository, skipping testdata and hidden directories.
func walkGo(t *testing.T, root string, fn func(rel, src string)) {
	t.Helper()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); p != root && (n == "testdata" || strings.HasPrefix(n, ".") || n == "bin") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		fn(filepath.ToSlash(rel), string(src))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
