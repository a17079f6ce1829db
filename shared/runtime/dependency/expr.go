package dependency

import (
	"errors"
	"fmt"
	"sync"

	"github.com/google/cel-go/cel"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// costLimit bounds the work one readyExpr may do in one evaluation.
const costLimit = 1_000_000

// maxPrograms bounds the compiled expressions kept; past it the cache starts over.
const maxPrograms = 1024

// program is a compiled readyExpr.
type program struct {
	source string
	prog   cel.Program
}

// errNotBool is returned by eval when the expression returns something other than a bool.
var errNotBool = errors.New("the expression does not return a bool")

// programs caches compiled expressions by source: the watch evaluates them on every change
// of a dependency.
var programs = struct {
	sync.Mutex
	m map[string]*program
}{m: map[string]*program{}}

// celEnv declares dep and self, the dependency and the dependent as they read in YAML.
var celEnv = sync.OnceValues(func() (*cel.Env, error) {
	return cel.NewEnv(cel.OptionalTypes(), cel.Variable("dep", cel.DynType), cel.Variable("self", cel.DynType))
})

// compileExpr compiles source, or returns it from the cache. An expression whose type is
// known and is not bool does not compile.
func compileExpr(source string) (*program, error) {
	programs.Lock()
	p, ok := programs.m[source]
	programs.Unlock()
	if ok {
		return p, nil
	}
	env, err := celEnv()
	if err != nil {
		return nil, fmt.Errorf("failed to create the CEL environment: %w", err)
	}
	ast, iss := env.Compile(source)
	if iss.Err() != nil {
		return nil, iss.Err()
	}
	if t := ast.OutputType(); !t.IsExactType(cel.BoolType) && !t.IsExactType(cel.DynType) {
		return nil, fmt.Errorf("the expression returns %s, not bool", t)
	}
	prog, err := env.Program(ast, cel.CostLimit(costLimit))
	if err != nil {
		return nil, err
	}
	p = &program{source: source, prog: prog}
	programs.Lock()
	if len(programs.m) >= maxPrograms {
		programs.m = map[string]*program{}
	}
	programs.m[source] = p
	programs.Unlock()
	return p, nil
}

// eval evaluates p with dep and self. It returns errNotBool (wrapped) when the result is not
// a bool, and the evaluation's error when it fails (a missing field, say).
func (p *program) eval(dep, self map[string]any) (bool, error) {
	val, _, err := p.prog.Eval(map[string]any{"dep": dep, "self": self})
	if err != nil {
		return false, err
	}
	b, ok := val.Value().(bool)
	if !ok {
		return false, fmt.Errorf("%w: it returned %s", errNotBool, val.Type().TypeName())
	}
	return b, nil
}

// isTypeError reports whether err says the expression returned something other than a bool:
// a fault of the spec, not of the moment.
func isTypeError(err error) bool { return errors.Is(err, errNotBool) }

// objectMap returns obj as unstructured data, with the apiVersion and kind that typed
// objects read from the cache lack; nil when it cannot be converted.
func objectMap(obj client.Object, gv schema.GroupVersion, kind string) map[string]any {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil
	}
	m["apiVersion"] = gv.String()
	m["kind"] = kind
	return m
}
