package health

import (
	"fmt"

	"github.com/google/cel-go/cel"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
)

// celCostLimit bounds the work one expression may do on one object.
const celCostLimit = 1_000_000

// celVariables are the top-level fields of an object an expression can read;
// a field the object lacks reads as an empty map.
var celVariables = []string{"apiVersion", "kind", "metadata", "spec", "status", "data"}

// Checks computes readiness with custom CEL health checks (a Kustomization's
// healthCheckExprs) for the kinds they name, and with Compute for the rest.
// The zero value and nil use Compute for every object.
type Checks struct {
	byKind map[string]*kindCheck
}

// kindCheck holds the compiled expressions of one kind, in evaluation order.
type kindCheck struct {
	exprs []celExpr
}

// celExpr is one compiled expression and the status it stands for.
type celExpr struct {
	status Status
	source string
	prog   cel.Program
}

// NewChecks compiles checks. Each expression must evaluate to a boolean over
// the object's top-level fields (metadata, spec, status, …); a kind may
// appear once. Without checks it returns nil at no cost (a CEL environment is
// expensive to build, and most objects that reconcile have no checks).
func NewChecks(checks []fluxmeta.CustomHealthCheck) (*Checks, error) {
	if len(checks) == 0 {
		return nil, nil
	}
	opts := []cel.EnvOption{cel.OptionalTypes()}
	for _, v := range celVariables {
		opts = append(opts, cel.Variable(v, cel.DynType))
	}
	env, err := cel.NewEnv(opts...)
	if err != nil {
		return nil, fmt.Errorf("failed to create the CEL environment: %w", err)
	}
	out := &Checks{byKind: make(map[string]*kindCheck, len(checks))}
	for _, hc := range checks {
		key := kindKey(hc.APIVersion, hc.Kind)
		if _, dup := out.byKind[key]; dup {
			return nil, fmt.Errorf("failed to compile health checks: %s %s appears twice", hc.APIVersion, hc.Kind)
		}
		if hc.Current == "" {
			return nil, fmt.Errorf("failed to compile health checks of %s %s: current is required", hc.APIVersion, hc.Kind)
		}
		kc := &kindCheck{}
		for _, e := range []struct {
			status Status
			source string
		}{{InProgress, hc.InProgress}, {Failed, hc.Failed}, {Current, hc.Current}} {
			if e.source == "" {
				continue
			}
			prog, err := compile(env, e.source)
			if err != nil {
				return nil, fmt.Errorf("failed to compile the %s expression of %s %s: %w", e.status, hc.APIVersion, hc.Kind, err)
			}
			kc.exprs = append(kc.exprs, celExpr{status: e.status, source: e.source, prog: prog})
		}
		out.byKind[key] = kc
	}
	return out, nil
}

// compile parses and checks one boolean expression.
func compile(env *cel.Env, source string) (cel.Program, error) {
	ast, iss := env.Compile(source)
	if iss.Err() != nil {
		return nil, iss.Err()
	}
	if t := ast.OutputType(); !t.IsExactType(cel.BoolType) && !t.IsExactType(cel.DynType) {
		return nil, fmt.Errorf("expression %q returns %s, not bool", source, t)
	}
	return env.Program(ast, cel.CostLimit(celCostLimit))
}

func kindKey(apiVersion, kind string) string { return apiVersion + "/" + kind }

// Compute returns the readiness of obj. For a kind with a custom check, a
// deletion timestamp still means Terminating and a stale observedGeneration
// InProgress; then the expressions are evaluated in the order inProgress,
// failed, current and the first that is true decides. When none is true the
// object is InProgress. Other kinds go to the package's Compute.
func (c *Checks) Compute(obj *unstructured.Unstructured) (Result, error) {
	if c == nil {
		return Compute(obj)
	}
	kc, ok := c.byKind[kindKey(obj.GetAPIVersion(), obj.GetKind())]
	if !ok {
		if kc, ok = c.byKind[kindKey(obj.GetAPIVersion(), "")]; !ok {
			return Compute(obj)
		}
	}
	kind := obj.GetKind()
	if obj.GetDeletionTimestamp() != nil {
		return Result{Status: Terminating, Message: fmt.Sprintf("%s is being deleted", kind)}, nil
	}
	f := &fields{obj: obj.Object}
	if observed, ok := f.optInt("status", "observedGeneration"); ok && observed < obj.GetGeneration() {
		return inProgress("%s generation is %d, but the latest observed generation is %d",
			kind, obj.GetGeneration(), observed), nil
	}
	if f.err != nil {
		return unknown(f.err)
	}
	return kc.evaluate(obj), nil
}

// evaluate runs the expressions of one kind against obj. An expression that
// fails to evaluate (often a status field not yet written) counts as false;
// the last such error is reported when no expression is true.
func (kc *kindCheck) evaluate(obj *unstructured.Unstructured) Result {
	vars := make(map[string]any, len(celVariables))
	for _, v := range celVariables {
		if val, ok := obj.Object[v]; ok && val != nil {
			vars[v] = val
		} else {
			vars[v] = map[string]any{}
		}
	}
	var lastErr error
	for _, e := range kc.exprs {
		val, _, err := e.prog.Eval(vars)
		if err != nil {
			lastErr = fmt.Errorf("%s expression: %w", e.status, err)
			continue
		}
		if b, ok := val.Value().(bool); ok && b {
			return Result{Status: e.status, Message: fmt.Sprintf("%s is %s: health check %q is true", obj.GetKind(), e.status, e.source)}
		}
	}
	if lastErr != nil {
		return inProgress("%s: no health check is true yet (%v)", obj.GetKind(), lastErr)
	}
	return inProgress("%s: no health check is true yet", obj.GetKind())
}
