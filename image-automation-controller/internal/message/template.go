package message

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"text/template"
	"text/template/parse"

	"github.com/Masterminds/sprig/v3"
)

// DefaultTemplate is the commit message when spec.git.commit.messageTemplate is empty, as
// Flux writes it.
const DefaultTemplate = "Update from image update automation"

// maxLength bounds what a template may render.
const maxLength = 64 << 10

// withheld are the Sprig functions templates do not get: they read the controller's
// environment or reach the network.
var withheld = []string{"env", "expandenv", "getHostByName"}

// bounded replace the Sprig functions that build a value as large as their argument asks,
// so that one call cannot make the controller allocate without bound: each refuses a result
// longer than maxLength before building it. (A template that loops still runs as long as
// its loops do: text/template has no step budget.)
var bounded = map[string]any{
	"repeat": func(count int, s string) (string, error) {
		if err := within("repeat", count, len(s)); err != nil {
			return "", err
		}
		return strings.Repeat(s, count), nil
	},
	"until": func(count int) ([]int, error) {
		if count < 0 {
			return steps(0, count, -1)
		}
		return steps(0, count, 1)
	},
	"untilStep": func(start, stop, step int) ([]int, error) {
		return steps(start, stop, step)
	},
	"indent":  func(n int, s string) (string, error) { return indent("indent", n, s, "") },
	"nindent": func(n int, s string) (string, error) { return indent("nindent", n, s, "\n") },
	"replace": func(old, repl, src string) (string, error) {
		n := strings.Count(src, old)
		if err := within("replace", n, len(repl)); err != nil {
			return "", err
		}
		return strings.ReplaceAll(src, old, repl), nil
	},
	"join": func(sep string, v any) (string, error) {
		if n := listLen(v); n > 0 {
			if err := within("join", n, len(sep)+1); err != nil {
				return "", err
			}
		}
		return sprigFunc("join").(func(string, any) string)(sep, v), nil
	},
	"wrapWith": func(width int, sep, s string) (string, error) {
		if width > 0 {
			if err := within("wrapWith", len(s)/width+1, len(sep)); err != nil {
				return "", err
			}
		}
		return sprigFunc("wrapWith").(func(int, string, string) string)(width, sep, s), nil
	},
	"regexReplaceAll": func(re, s, repl string) (string, error) {
		if err := within("regexReplaceAll", len(s)+1, len(repl)); err != nil {
			return "", err
		}
		return sprigFunc("regexReplaceAll").(func(string, string, string) string)(re, s, repl), nil
	},
	"regexReplaceAllLiteral": func(re, s, repl string) (string, error) {
		if err := within("regexReplaceAllLiteral", len(s)+1, len(repl)); err != nil {
			return "", err
		}
		return sprigFunc("regexReplaceAllLiteral").(func(string, string, string) string)(re, s, repl), nil
	},
	"seq": func(params ...int) (string, error) {
		if len(params) > 0 && len(params) <= 3 {
			start, step, stop := 1, 1, params[len(params)-1]
			if len(params) > 1 {
				start = params[0]
			}
			if len(params) == 3 {
				step = params[1]
			}
			if step != 0 && (stop-start)/step > maxLength {
				return "", errors.New("seq: more than 65536 numbers")
			}
		}
		return sprigFunc("seq").(func(...int) string)(params...), nil
	},
}

func init() {
	for _, name := range []string{"randAlphaNum", "randAlpha", "randAscii", "randNumeric"} {
		f := sprigFunc(name).(func(int) string)
		bounded[name] = func(count int) (string, error) {
			if err := within(name, count, 1); err != nil {
				return "", err
			}
			return f(count), nil
		}
	}
	randBytes := sprigFunc("randBytes").(func(int) (string, error))
	bounded["randBytes"] = func(count int) (string, error) {
		if err := within("randBytes", count, 2); err != nil {
			return "", err
		}
		return randBytes(count)
	}
}

// sprigFunc returns Sprig's function name.
func sprigFunc(name string) any { return sprig.TxtFuncMap()[name] }

// within refuses count pieces of size bytes when they would exceed maxLength.
func within(fn string, count, size int) error {
	if count < 0 || (size > 0 && count > maxLength/size) {
		return fmt.Errorf("%s: the result would be longer than 64 KiB", fn)
	}
	return nil
}

// indent is Sprig's indent (and nindent, with prefix "\n"), bounded.
func indent(fn string, n int, s, prefix string) (string, error) {
	if err := within(fn, n, strings.Count(s, "\n")+1); err != nil {
		return "", err
	}
	pad := strings.Repeat(" ", max(n, 0))
	return prefix + pad + strings.ReplaceAll(s, "\n", "\n"+pad), nil
}

// listLen is the length of a list, slice or array value (0 for anything else).
func listLen(v any) int {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array {
		return rv.Len()
	}
	return 0
}

// steps returns start, start+step, … up to (not including) stop, as Sprig's until and
// untilStep do, refusing more than maxLength numbers.
func steps(start, stop, step int) ([]int, error) {
	if step == 0 {
		return nil, nil
	}
	n := (stop - start) / step
	if (stop-start)%step != 0 {
		n++
	}
	if n <= 0 {
		return nil, nil
	}
	if n > maxLength {
		return nil, errors.New("until: more than 65536 numbers")
	}
	out := make([]int, 0, n)
	for i := start; (step > 0 && i < stop) || (step < 0 && i > stop); i += step {
		out = append(out, i)
	}
	return out, nil
}

// Template is a parsed template.
type Template struct {
	t           *template.Template
	usesUpdated bool
}

// Parse parses text, the template of the field named field (for the error).
func Parse(field, text string) (*Template, error) {
	funcs := sprig.TxtFuncMap()
	for _, name := range withheld {
		delete(funcs, name)
	}
	for name, f := range bounded {
		funcs[name] = f
	}
	t, err := template.New(field).Funcs(funcs).Parse(text)
	if err != nil {
		return nil, fmt.Errorf("failed to parse %s: %w", field, err)
	}
	out := &Template{t: t}
	for _, tt := range t.Templates() {
		if tt.Tree != nil && usesUpdated(tt.Tree.Root) {
			out.usesUpdated = true
		}
	}
	return out, nil
}

// UsesUpdated reports whether the template reads .Updated, the data Flux's v1 API removed.
func (t *Template) UsesUpdated() bool { return t.usesUpdated }

// Execute renders the template over d.
func (t *Template) Execute(d Data) (string, error) {
	w := &limited{}
	if err := t.t.Execute(w, d); err != nil {
		return "", fmt.Errorf("failed to execute %s: %w", t.t.Name(), err)
	}
	return w.b.String(), nil
}

// limited is a buffer that refuses to grow past maxLength.
type limited struct {
	b strings.Builder
}

// Write appends p, failing past maxLength.
func (w *limited) Write(p []byte) (int, error) {
	if w.b.Len()+len(p) > maxLength {
		return 0, errors.New("the rendered text is longer than 64 KiB")
	}
	return w.b.Write(p)
}

// usesUpdated reports whether any node below n reads the field Updated of the data.
func usesUpdated(n parse.Node) bool {
	switch n := n.(type) {
	case *parse.ListNode:
		return anyNode(n.Nodes)
	case *parse.ActionNode:
		return usesUpdated(n.Pipe)
	case *parse.PipeNode:
		if n == nil {
			return false
		}
		for _, c := range n.Cmds {
			if anyNode(c.Args) {
				return true
			}
		}
	case *parse.FieldNode:
		return len(n.Ident) > 0 && n.Ident[0] == "Updated"
	case *parse.VariableNode:
		return len(n.Ident) > 1 && n.Ident[0] == "$" && n.Ident[1] == "Updated"
	case *parse.ChainNode:
		return usesUpdated(n.Node)
	case *parse.IfNode:
		return branchUses(&n.BranchNode)
	case *parse.RangeNode:
		return branchUses(&n.BranchNode)
	case *parse.WithNode:
		return branchUses(&n.BranchNode)
	case *parse.TemplateNode:
		return usesUpdated(n.Pipe)
	}
	return false
}

// branchUses looks into the pipeline and both lists of an if, range or with.
func branchUses(b *parse.BranchNode) bool {
	return usesUpdated(b.Pipe) || (b.List != nil && usesUpdated(b.List)) || (b.ElseList != nil && usesUpdated(b.ElseList))
}

// anyNode reports whether any of nodes reads .Updated.
func anyNode(nodes []parse.Node) bool {
	for _, c := range nodes {
		if usesUpdated(c) {
			return true
		}
	}
	return false
}
