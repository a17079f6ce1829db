package e2e

import (
	"bufio"
	"bytes"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const modulePrefix = "github.com/ferry-gitops/ferry/"

var controllers = []string{
	"source-controller", "kustomize-controller", "helm-controller",
	"image-reflector-controller", "image-automation-controller", "notification-controller",
}

// imports maps every package of a module, test variants included, to its imports.
func imports(t *testing.T, module string) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-test", "-f", "{{.ImportPath}}\t{{range .Imports}} {{.}}{{end}}", "./...")
	cmd.Dir = filepath.Join("..", module)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list in %s: %v\n%s", module, err, stderr.String())
	}
	res := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		pkg, imps, ok := strings.Cut(sc.Text(), "\t")
		if ok {
			res[pkg] = append(res[pkg], strings.Fields(imps)...)
		}
	}
	return res
}

// TestModuleBoundaries enforces STYLE.md's rules: a controller imports shared and third-party
// code, never another controller; shared/api imports only apimachinery (and the meta
// package); shared/runtime imports no controller; nothing imports a github.com/fluxcd module.
func TestModuleBoundaries(t *testing.T) {
	modules := append([]string{"shared", "cli", "e2e"}, controllers...)
	for _, m := range modules {
		t.Run(m, func(t *testing.T) {
			for pkg, imps := range imports(t, m) {
				for _, imp := range imps {
					if msg := violation(m, pkg, imp); msg != "" {
						t.Errorf("%s imports %s: %s", pkg, imp, msg)
					}
				}
			}
		})
	}
}

func violation(module, pkg, imp string) string {
	if strings.HasPrefix(imp, "github.com/fluxcd/") {
		return "Ferry depends on no Flux module"
	}
	for _, c := range controllers {
		if strings.HasPrefix(imp, modulePrefix+c) && module != c && module != "e2e" {
			return "a module never imports a controller"
		}
	}
	base := strings.TrimSuffix(strings.Fields(pkg)[0], "_test")
	switch {
	case strings.HasPrefix(base, modulePrefix+"shared/api/"):
		if isTest(pkg) || isStd(imp) || strings.HasPrefix(imp, "k8s.io/apimachinery/") ||
			strings.HasPrefix(imp, modulePrefix+"shared/api/") ||
			imp == "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1" {
			return ""
		}
		return "shared/api imports only apimachinery"
	case strings.HasPrefix(base, modulePrefix+"shared/runtime/"):
		if strings.Contains(imp, "-controller") && strings.HasPrefix(imp, modulePrefix) {
			return "shared/runtime imports no controller"
		}
	}
	return ""
}

func isTest(pkg string) bool { return strings.Contains(pkg, ".test") || strings.Contains(pkg, "[") }

func isStd(imp string) bool { return !strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") }

func TestViolation(t *testing.T) {
	for name, tc := range map[string]struct {
		module, pkg, imp string
		bad              bool
	}{
		"controller imports shared":      {"helm-controller", modulePrefix + "helm-controller/internal/x", modulePrefix + "shared/apply", false},
		"controller imports controller":  {"helm-controller", modulePrefix + "helm-controller", modulePrefix + "kustomize-controller/internal/y", true},
		"flux module":                    {"cli", modulePrefix + "cli", "github.com/fluxcd/pkg/apis/meta", true},
		"api imports apimachinery":       {"shared", modulePrefix + "shared/api/source/v1", "k8s.io/apimachinery/pkg/runtime", false},
		"api imports controller-runtime": {"shared", modulePrefix + "shared/api/source/v1", "sigs.k8s.io/controller-runtime", true},
		"runtime imports controller":     {"shared", modulePrefix + "shared/runtime/reconcile", modulePrefix + "source-controller/internal/z", true},
	} {
		t.Run(name, func(t *testing.T) {
			if got := violation(tc.module, tc.pkg, tc.imp) != ""; got != tc.bad {
				t.Fatalf("violation = %v, want %v", got, tc.bad)
			}
		})
	}
}
