package message

import (
	"errors"
	"fmt"
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
// so that a template cannot make the controller allocate without bound.
var bounded = map[string]any{
	"repeat": func(count int, s string) (string, error) {
		if count < 0 || (len(s) > 0 && count > maxLength/len(s)) {
			return "", errors.New("repeat: the result would be longer than 64 KiB")
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
