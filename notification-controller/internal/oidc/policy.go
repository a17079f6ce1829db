package oidc

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/ext"

	notificationv1 "github.com/ferry-gitops/ferry/shared/api/notification/v1"
)

// DefaultAudience is the audience a token must have when a provider sets none, as in Flux.
const DefaultAudience = "notification-controller"

// costLimit bounds the work of one expression evaluation.
const costLimit = 100_000

// identifier is what a variable name must look like to be read as vars.<name>.
var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Policy is the compiled spec.oidcProviders of a Receiver: which issuers it trusts, the
// audience each token must carry, and the CEL variables and validations over its claims.
type Policy struct {
	providers map[string]*provider // by issuer URL
}

type provider struct {
	field    string // spec.oidcProviders[i], for messages
	issuer   string
	audience string
	vars     []variable
	checks   []check
}

type variable struct {
	name string
	prog cel.Program
}

type check struct {
	message string
	prog    cel.Program
}

// Compile checks and compiles a Receiver's OIDC providers: at least one, each with an
// http(s) issuer URL that no other provider has, variable names that are CEL identifiers,
// at least one validation, and expressions that compile (validations returning a boolean).
// Errors name the field and the expression.
func Compile(providers []notificationv1.OIDCProvider) (*Policy, error) {
	if len(providers) == 0 {
		return nil, fmt.Errorf("spec.oidcProviders must list at least one provider for a %s Receiver", notificationv1.GenericOIDCReceiver)
	}
	env, err := cel.NewEnv(cel.Variable("claims", cel.DynType), cel.Variable("vars", cel.DynType), ext.Strings())
	if err != nil {
		return nil, fmt.Errorf("failed to create the CEL environment: %w", err)
	}
	p := &Policy{providers: make(map[string]*provider, len(providers))}
	for i, spec := range providers {
		field := fmt.Sprintf("spec.oidcProviders[%d]", i)
		pr, err := compileProvider(env, field, spec)
		if err != nil {
			return nil, err
		}
		if _, dup := p.providers[pr.issuer]; dup {
			return nil, fmt.Errorf("%s.issuerURL %q is listed twice", field, pr.issuer)
		}
		p.providers[pr.issuer] = pr
	}
	return p, nil
}

func compileProvider(env *cel.Env, field string, spec notificationv1.OIDCProvider) (*provider, error) {
	u, err := url.Parse(spec.IssuerURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("%s.issuerURL %q is not an http(s) URL", field, spec.IssuerURL)
	}
	pr := &provider{field: field, issuer: spec.IssuerURL, audience: spec.Audience}
	if pr.audience == "" {
		pr.audience = DefaultAudience
	}
	seen := map[string]bool{}
	for j, v := range spec.Variables {
		vf := fmt.Sprintf("%s.variables[%d]", field, j)
		if !identifier.MatchString(v.Name) || seen[v.Name] {
			return nil, fmt.Errorf("%s.name %q is not a CEL identifier or is used twice", vf, v.Name)
		}
		seen[v.Name] = true
		prog, err := compileExpr(env, vf+".expression", v.Expression, false)
		if err != nil {
			return nil, err
		}
		pr.vars = append(pr.vars, variable{name: v.Name, prog: prog})
	}
	if len(spec.Validations) == 0 {
		return nil, fmt.Errorf("%s.validations must list at least one expression: a valid signature alone does not say who the caller is", field)
	}
	for j, c := range spec.Validations {
		prog, err := compileExpr(env, fmt.Sprintf("%s.validations[%d].expression", field, j), c.Expression, true)
		if err != nil {
			return nil, err
		}
		pr.checks = append(pr.checks, check{message: c.Message, prog: prog})
	}
	return pr, nil
}

// compileExpr compiles one expression; a validation must return a boolean (or dyn).
func compileExpr(env *cel.Env, field, expr string, boolean bool) (cel.Program, error) {
	ast, iss := env.Compile(expr)
	if iss.Err() != nil {
		return nil, fmt.Errorf("%s %q does not compile: %w", field, expr, iss.Err())
	}
	if t := ast.OutputType(); boolean && !t.IsExactType(cel.BoolType) && !t.IsExactType(cel.DynType) {
		return nil, fmt.Errorf("%s %q returns %s, want a boolean", field, expr, t)
	}
	prog, err := env.Program(ast, cel.CostLimit(costLimit))
	if err != nil {
		return nil, fmt.Errorf("%s %q does not compile: %w", field, expr, err)
	}
	return prog, nil
}

// authorize evaluates the variables in order, then every validation. It returns nil when
// all hold, or an error wrapping ErrForbidden with the messages of those that fail.
func (pr *provider) authorize(claims map[string]any) error {
	vars := make(map[string]any, len(pr.vars))
	for _, v := range pr.vars {
		out, _, err := v.prog.Eval(map[string]any{"claims": claims, "vars": vars})
		if err != nil {
			return fmt.Errorf("variable %q could not be evaluated over the token's claims: %w", v.name, ErrForbidden)
		}
		vars[v.name] = out.Value()
	}
	var failed []string
	for _, c := range pr.checks {
		out, _, err := c.prog.Eval(map[string]any{"claims": claims, "vars": vars})
		if err != nil {
			failed = append(failed, c.message)
			continue
		}
		if ok, isBool := out.Value().(bool); !isBool || !ok {
			failed = append(failed, c.message)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%s: %w", strings.Join(failed, "; "), ErrForbidden)
	}
	return nil
}
