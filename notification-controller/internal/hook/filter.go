// Package hook serves the Receivers' webhooks on --receiver-addr: it finds the Receiver by
// its status.webhookPath, authenticates and reads the request with the Receiver's type
// (internal/webhook), and asks each object the Receiver lists to reconcile
// (reconcile.fluxcd.io/requestedAt), once per burst of requests for the same object.
package hook

import (
	"fmt"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/ext"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// filterCostLimit bounds the work of one filter evaluation.
const filterCostLimit = 100_000

// Filter is a compiled resource filter (spec.resourceFilter, spec.resources[].filter): a CEL
// expression over res (the object: apiVersion, kind and metadata with name, namespace,
// labels and annotations), req (the request body as JSON) and claims (the verified token
// claims of a generic-oidc request; empty for other types), returning whether the object is
// reconciled.
type Filter struct {
	prog cel.Program
}

// CompileFilter compiles and type-checks a filter; field names the field in errors.
func CompileFilter(field, expr string) (*Filter, error) {
	env, err := cel.NewEnv(cel.Variable("res", cel.DynType), cel.Variable("req", cel.DynType), cel.Variable("claims", cel.DynType), ext.Strings())
	if err != nil {
		return nil, fmt.Errorf("failed to create the CEL environment: %w", err)
	}
	ast, iss := env.Compile(expr)
	if iss.Err() != nil {
		return nil, fmt.Errorf("%s does not compile: %w", field, iss.Err())
	}
	if t := ast.OutputType(); t != cel.BoolType && t != cel.DynType {
		return nil, fmt.Errorf("%s returns %s, want a boolean", field, t)
	}
	prog, err := env.Program(ast, cel.CostLimit(filterCostLimit))
	if err != nil {
		return nil, fmt.Errorf("%s does not compile: %w", field, err)
	}
	return &Filter{prog: prog}, nil
}

// Accepts evaluates the filter for the object res with the request body req and the token
// claims (either may be nil).
func (f *Filter) Accepts(res *metav1.PartialObjectMetadata, req, claims map[string]any) (bool, error) {
	if req == nil {
		req = map[string]any{}
	}
	if claims == nil {
		claims = map[string]any{}
	}
	object := map[string]any{
		"apiVersion": res.APIVersion, "kind": res.Kind,
		"metadata": map[string]any{
			"name": res.Name, "namespace": res.Namespace,
			"labels": stringMap(res.Labels), "annotations": stringMap(res.Annotations),
		},
	}
	out, _, err := f.prog.Eval(map[string]any{"res": object, "req": req, "claims": claims})
	if err != nil {
		return false, err
	}
	ok, isBool := out.Value().(bool)
	if !isBool {
		return false, fmt.Errorf("the filter returned %v, not a boolean", out.Value())
	}
	return ok, nil
}

func stringMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
