package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
)

// modulePrefix is the import path prefix of Ferry's own packages.
const modulePrefix = "github.com/ferry-gitops/ferry/"

// maxFuncLines is the longest function body STYLE.md allows in non-test code.
const maxFuncLines = 80

// aliases are the fixed import aliases of STYLE.md.
var aliases = map[string]string{
	modulePrefix + "shared/api/source/v1":                      "sourcev1",
	modulePrefix + "shared/api/kustomize/v1":                   "kustomizev1",
	modulePrefix + "shared/api/helm/v2":                        "helmv2",
	modulePrefix + "shared/api/image/v1":                       "imagev1",
	modulePrefix + "shared/api/notification/v1":                "notificationv1",
	modulePrefix + "shared/api/notification/v1beta3":           "notificationv1beta3",
	modulePrefix + "shared/api/meta":                           "fluxmeta",
	modulePrefix + "shared/api/sourceext/v1beta1":              "sourceextv1beta1",
	"k8s.io/apimachinery/pkg/apis/meta/v1":                     "metav1",
	"k8s.io/api/core/v1":                                       "corev1",
	"k8s.io/apimachinery/pkg/api/errors":                       "apierrors",
	"sigs.k8s.io/controller-runtime":                           "ctrl",
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1": "apiextensionsv1",
}

// checkFile returns the findings of one file as "path:line: rule: message".
func checkFile(path string, src []byte) ([]string, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, src, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("failed to parse %s: %w", path, err)
	}
	c := &checker{fset: fset, path: path, file: f, allowed: allowances(fset, f)}
	c.imports()
	if !strings.HasSuffix(path, "_test.go") {
		c.funcs()
		c.docs()
	}
	return c.findings, nil
}

type checker struct {
	fset     *token.FileSet
	path     string
	file     *ast.File
	allowed  map[int]map[string]bool // line of the annotated declaration → rules
	findings []string
}

// report records a finding at pos unless the line before it allows rule.
func (c *checker) report(pos token.Pos, rule, format string, args ...any) {
	line := c.fset.Position(pos).Line
	if c.allowed[line][rule] {
		return
	}
	c.findings = append(c.findings, fmt.Sprintf("%s:%d: %s: %s", c.path, line, rule, fmt.Sprintf(format, args...)))
}

// allowances maps each line following a //lint:allow comment to the rules it allows. A
// comment without a reason allows nothing.
func allowances(fset *token.FileSet, f *ast.File) map[int]map[string]bool {
	out := map[int]map[string]bool{}
	for _, g := range f.Comments {
		for _, cm := range g.List {
			text, ok := strings.CutPrefix(cm.Text, "//lint:allow ")
			if !ok {
				continue
			}
			fields := strings.Fields(text)
			if len(fields) < 2 {
				continue
			}
			line := fset.Position(g.End()).Line + 1
			if out[line] == nil {
				out[line] = map[string]bool{}
			}
			out[line][fields[0]] = true
		}
	}
	return out
}

// imports checks the aliases and the grouping: standard library, then third-party, then
// Ferry's own packages, each group separated from the next by a blank line.
func (c *checker) imports() {
	own := c.file.Name.Name
	prevClass, prevLine := -1, 0
	for _, imp := range c.file.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		if want, ok := aliases[p]; ok && !c.selfImport(p, own) && !c.apiMeta(p) {
			got := ""
			if imp.Name != nil {
				got = imp.Name.Name
			}
			if got != want && got != "_" {
				c.report(imp.Pos(), "alias", "import %q as %s", p, want)
			}
		}
		class := importClass(p)
		line := c.fset.Position(imp.Pos()).Line
		switch {
		case class < prevClass:
			c.report(imp.Pos(), "imports", "%q belongs in an earlier group (standard library, third party, Ferry)", p)
		case class > prevClass && prevClass >= 0 && line == prevLine+1:
			c.report(imp.Pos(), "imports", "%q starts a new group: separate it with a blank line", p)
		}
		prevClass, prevLine = class, c.fset.Position(imp.End()).Line
	}
}

// selfImport reports whether the import names the package's own API group, where no alias
// applies (a test in package v1 importing its own package, say).
func (c *checker) selfImport(path, pkg string) bool {
	return strings.HasSuffix(path, "/"+pkg) && strings.Contains(c.path, strings.TrimPrefix(path, modulePrefix))
}

// apiMeta reports whether a file of the API packages imports the shared meta package, which
// they (and their generated deepcopy code) name by its package name.
func (c *checker) apiMeta(path string) bool {
	abs, err := filepath.Abs(c.path)
	return err == nil && path == modulePrefix+"shared/api/meta" && strings.Contains(filepath.ToSlash(abs), "/shared/api/")
}

func importClass(path string) int {
	switch {
	case strings.HasPrefix(path, modulePrefix):
		return 2
	case !strings.Contains(strings.SplitN(path, "/", 2)[0], "."):
		return 0
	}
	return 1
}

// funcs checks the length of every function and method.
func (c *checker) funcs() {
	for _, d := range c.file.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Body == nil {
			continue
		}
		n := c.fset.Position(fn.Body.Rbrace).Line - c.fset.Position(fn.Body.Lbrace).Line - 1
		if n > maxFuncLines {
			c.report(fn.Pos(), "funlen", "%s is %d lines long (at most %d): split it", fn.Name.Name, n, maxFuncLines)
		}
	}
}

// docs checks that every exported package-level name has a doc comment that starts with the
// name (or, in a group, that the group or the name has one).
func (c *checker) docs() {
	if c.file.Name.Name == "main" {
		return
	}
	for _, d := range c.file.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Name.IsExported() && exportedReceiver(d) {
				c.checkDoc(d.Pos(), d.Name.Name, d.Doc)
			}
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					if s.Name.IsExported() {
						c.checkDoc(s.Pos(), s.Name.Name, firstDoc(s.Doc, d.Doc))
					}
				case *ast.ValueSpec:
					for _, n := range s.Names {
						if n.IsExported() && (s.Doc == nil && d.Doc == nil) {
							c.report(n.Pos(), "doc", "exported %s has no doc comment", n.Name)
						}
					}
				}
			}
		}
	}
}

func (c *checker) checkDoc(pos token.Pos, name string, doc *ast.CommentGroup) {
	if doc == nil {
		c.report(pos, "doc", "exported %s has no doc comment", name)
		return
	}
	text := strings.TrimSpace(doc.Text())
	for _, article := range []string{"A ", "An ", "The "} {
		text = strings.TrimPrefix(text, article)
	}
	if !strings.HasPrefix(text, name) && !strings.HasPrefix(text, "Deprecated") {
		c.report(pos, "doc", "the doc comment of %s should start with its name", name)
	}
}

func firstDoc(docs ...*ast.CommentGroup) *ast.CommentGroup {
	for _, d := range docs {
		if d != nil {
			return d
		}
	}
	return nil
}

// exportedReceiver reports whether fn is a function or a method of an exported type.
func exportedReceiver(fn *ast.FuncDecl) bool {
	if fn.Recv == nil || len(fn.Recv.List) == 0 {
		return true
	}
	t := fn.Recv.List[0].Type
	for {
		switch x := t.(type) {
		case *ast.StarExpr:
			t = x.X
		case *ast.IndexExpr:
			t = x.X
		case *ast.IndexListExpr:
			t = x.X
		case *ast.Ident:
			return x.IsExported()
		default:
			return true
		}
	}
}
