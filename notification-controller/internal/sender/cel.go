package sender

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/ext"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/ferry-gitops/ferry/notification-controller/internal/notifier"
	notificationv1beta3 "github.com/ferry-gitops/ferry/shared/api/notification/v1beta3"
)

// statusCostLimit bounds the work of one commitStatusExpr evaluation.
const statusCostLimit = 100_000

// StatusExpr is a compiled spec.commitStatusExpr: a CEL expression over the variables event
// (Flux's event, as JSON), provider and alert (the objects) that returns the commit status
// identifier, a string.
type StatusExpr struct {
	prog cel.Program
}

// CompileStatusExpr compiles and type-checks expr.
func CompileStatusExpr(expr string) (*StatusExpr, error) {
	env, err := cel.NewEnv(cel.Variable("event", cel.DynType), cel.Variable("provider", cel.DynType), cel.Variable("alert", cel.DynType), ext.Strings())
	if err != nil {
		return nil, fmt.Errorf("failed to create the CEL environment: %w", err)
	}
	ast, iss := env.Compile(expr)
	if iss.Err() != nil {
		return nil, fmt.Errorf("spec.commitStatusExpr does not compile: %w", iss.Err())
	}
	if t := ast.OutputType(); t != cel.StringType && t != cel.DynType {
		return nil, fmt.Errorf("spec.commitStatusExpr returns %s, want a string", t)
	}
	prog, err := env.Program(ast, cel.CostLimit(statusCostLimit))
	if err != nil {
		return nil, fmt.Errorf("spec.commitStatusExpr does not compile: %w", err)
	}
	return &StatusExpr{prog: prog}, nil
}

// alertKey carries the Alert of a delivery to the commit status expression.
type alertKey struct{}

// WithAlert returns ctx carrying the Alert a delivery is for, for the commit status
// expression and for the notifiers that name it (notifier.WithAlert).
func WithAlert(ctx context.Context, a *notificationv1beta3.Alert) context.Context {
	if a != nil {
		ctx = notifier.WithAlert(ctx, notifier.Alert{Namespace: a.Namespace, Name: a.Name, UID: string(a.UID)})
	}
	return context.WithValue(ctx, alertKey{}, a)
}

// Evaluator returns the identifier function of Provider p for notifier.Config.StatusID.
func (s *StatusExpr) Evaluator(p *notificationv1beta3.Provider) func(context.Context, notifier.Event) (string, error) {
	provider, _ := runtime.DefaultUnstructuredConverter.ToUnstructured(p)
	return func(ctx context.Context, ev notifier.Event) (string, error) {
		var event map[string]any
		raw, err := json.Marshal(ev)
		if err != nil {
			return "", err
		}
		if err := json.Unmarshal(raw, &event); err != nil {
			return "", err
		}
		alert := map[string]any{}
		if a, ok := ctx.Value(alertKey{}).(*notificationv1beta3.Alert); ok && a != nil {
			alert, _ = runtime.DefaultUnstructuredConverter.ToUnstructured(a)
		}
		out, _, err := s.prog.Eval(map[string]any{"event": event, "provider": provider, "alert": alert})
		if err != nil {
			return "", err
		}
		id, ok := out.Value().(string)
		if !ok {
			return "", errors.New("the expression did not return a string")
		}
		return id, nil
	}
}
