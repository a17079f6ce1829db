// Package sender turns a Provider and the Secrets it names into a Sender, the Notifier of its
// type with everything it needs, and keeps the Senders of the fleet's Providers so that a
// burst of events reads each Secret once (Registry).
package sender

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/ferry-gitops/ferry/notification-controller/internal/notifier"
	notificationv1beta3 "github.com/ferry-gitops/ferry/shared/api/notification/v1beta3"
	"github.com/ferry-gitops/ferry/shared/secrets"
)

// Keys of a Provider's Secret (spec.secretRef), as Flux names them.
const (
	addressKey  = "address"
	proxyKey    = "proxy"
	tokenKey    = "token"
	usernameKey = "username"
	passwordKey = "password"
	headersKey  = "headers"
	// legacyCAKey is the CA key older cert Secrets use instead of ca.crt.
	legacyCAKey = "caFile"
)

// Sender is a Provider ready to send.
type Sender struct {
	notifier.Notifier
	// Type is the Provider's spec.type, the label of its metrics.
	Type string
	// Interval is the Provider's rate-limit window (spec.interval), 0 when it sets none.
	Interval time.Duration
	// Suspended is spec.suspend.
	Suspended bool
}

// ErrSecret marks a failure to read a Secret the Provider names: it may be created later.
var ErrSecret = errors.New("secret not readable")

// Resolve builds the Sender of p, reading the Secrets it names with r; ids gives the
// identity of spec.serviceAccountName (nil: the feature gate ObjectLevelWorkloadIdentity is
// off). A Provider that sets something Ferry cannot do, or Secrets without what its type
// needs, yield an error naming the problem (never a secret value).
func Resolve(ctx context.Context, r client.Reader, ids *Identities, p *notificationv1beta3.Provider) (*Sender, error) {
	cfg, err := Config(ctx, r, ids, p)
	if err != nil {
		return nil, err
	}
	n, err := notifier.New(cfg)
	if err != nil {
		return nil, err
	}
	s := &Sender{Notifier: n, Type: p.Spec.Type, Suspended: p.Spec.Suspend}
	if p.Spec.Interval != nil {
		s.Interval = p.Spec.Interval.Duration
	}
	return s, nil
}

// Config resolves the settings of p from its spec and the Secrets it names (read with r),
// with the identity of its spec.serviceAccountName from ids.
func Config(ctx context.Context, r client.Reader, ids *Identities, p *notificationv1beta3.Provider) (notifier.Config, error) {
	cfg := notifier.Config{
		Type: p.Spec.Type, Address: p.Spec.Address, Channel: p.Spec.Channel, Username: p.Spec.Username,
		Timeout: p.GetTimeout(), ProviderUID: string(p.UID),
	}
	id, err := ids.identityOf(p.Spec.Type, p.Namespace, p.Spec.ServiceAccountName)
	if err != nil {
		return cfg, err
	}
	cfg.Identity = id
	if p.Spec.Proxy != "" {
		u, err := secrets.ParseProxy(p.Spec.Proxy)
		if err != nil {
			return cfg, fmt.Errorf("spec.proxy: %w", err)
		}
		cfg.Proxy = u
	}
	if err := readSecrets(ctx, r, p, &cfg); err != nil {
		return cfg, err
	}
	if id := ids.defaultIdentity(p.Namespace, &cfg); id != nil {
		cfg.Identity = id
	}
	if p.Spec.CommitStatusExpr != "" {
		expr, err := CompileStatusExpr(p.Spec.CommitStatusExpr)
		if err != nil {
			return cfg, err
		}
		cfg.StatusID = expr.Evaluator(p)
	}
	return cfg, nil
}

// readSecrets fills cfg from the Provider's secretRef, proxySecretRef and certSecretRef.
func readSecrets(ctx context.Context, r client.Reader, p *notificationv1beta3.Provider, cfg *notifier.Config) error {
	if ref := p.Spec.SecretRef; ref != nil {
		data, err := secretData(ctx, r, p.Namespace, ref.Name)
		if err != nil {
			return err
		}
		if err := fromSecret(data, cfg); err != nil {
			return fmt.Errorf("secret '%s/%s': %w", p.Namespace, ref.Name, err)
		}
	}
	if ref := p.Spec.ProxySecretRef; ref != nil {
		data, err := secretData(ctx, r, p.Namespace, ref.Name)
		if err != nil {
			return err
		}
		if cfg.Proxy, err = secrets.ProxyURL(data); err != nil {
			return fmt.Errorf("secret '%s/%s': %w", p.Namespace, ref.Name, err)
		}
	}
	if ref := p.Spec.CertSecretRef; ref != nil {
		data, err := secretData(ctx, r, p.Namespace, ref.Name)
		if err != nil {
			return err
		}
		if ca, ok := data[legacyCAKey]; ok && len(data[secrets.CAKey]) == 0 {
			data[secrets.CAKey] = ca
		}
		if cfg.TLS, err = secrets.TLSConfig(data); err != nil {
			return fmt.Errorf("secret '%s/%s': %w", p.Namespace, ref.Name, err)
		}
	}
	return nil
}

// fromSecret reads the keys of a Provider's Secret: each one present overrides the spec.
func fromSecret(data map[string][]byte, cfg *notifier.Config) error {
	if v := string(data[addressKey]); v != "" {
		cfg.Address = v
	}
	if v := string(data[usernameKey]); v != "" {
		cfg.Username = v
	}
	cfg.Token, cfg.Password = string(data[tokenKey]), string(data[passwordKey])
	if v := string(data[proxyKey]); v != "" {
		u, err := secrets.ParseProxy(v)
		if err != nil {
			return err
		}
		cfg.Proxy = u
	}
	if raw := data[headersKey]; len(raw) > 0 {
		if err := yaml.Unmarshal(raw, &cfg.Headers); err != nil {
			return errors.New("the 'headers' key is not a YAML map of header names to values")
		}
	}
	return nil
}

// secretData reads a Secret's data.
func secretData(ctx context.Context, r client.Reader, namespace, name string) (map[string][]byte, error) {
	var s corev1.Secret
	if err := r.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, &s); err != nil {
		return nil, fmt.Errorf("failed to read secret '%s/%s': %w: %w", namespace, name, ErrSecret, err)
	}
	if s.Data == nil {
		s.Data = map[string][]byte{}
	}
	return s.Data, nil
}
