package sender

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/notification-controller/internal/notifier"
	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/runtime/manager"
)

// Identities gives Providers the cloud identity of the ServiceAccount of their
// spec.serviceAccountName (object-level workload identity).
type Identities struct {
	// Tokens caches the cloud tokens of every identity.
	Tokens *cloud.Cache
	// Reader reads ServiceAccounts (best one that does not cache them).
	Reader client.Reader
	// Client asks the TokenRequest API for ServiceAccount tokens.
	Client client.SubResourceClientConstructor
	// ObjectLevel is the feature gate ObjectLevelWorkloadIdentity: without it, a Provider
	// naming a ServiceAccount is refused.
	ObjectLevel bool
	// Default is --default-service-account: the ServiceAccount, in a Provider's namespace,
	// whose cloud identity a Provider that names none and has no credential of its own uses
	// instead of the controller's (googlepubsub, azureeventhub). The controller does not
	// start with it set and ObjectLevel off.
	Default string
}

// NewIdentities returns the Identities of the controller o configures: its token cache,
// mgr's uncached reader and its client, the feature gate and --default-service-account.
func NewIdentities(mgr ctrl.Manager, o *manager.Options) *Identities {
	return &Identities{Tokens: o.Tokens(), Reader: mgr.GetAPIReader(), Client: mgr.GetClient(),
		ObjectLevel: o.FeatureGate(cloud.ObjectLevelWorkloadIdentity), Default: o.DefaultServiceAccount}
}

// defaultIdentity returns the identity of ids.Default for a Provider in namespace that would
// otherwise use the controller's own cloud identity (notifier.UsesControllerIdentity), or nil.
func (ids *Identities) defaultIdentity(namespace string, cfg *notifier.Config) notifier.Identity {
	if ids == nil || ids.Default == "" || cfg.Identity != nil || !notifier.UsesControllerIdentity(*cfg) {
		return nil
	}
	return serviceAccountIdentity{ids: ids, namespace: namespace, name: ids.Default}
}

// ErrUnsupported marks a setting Ferry does not implement for the Provider's type.
var ErrUnsupported = errors.New("not supported by Ferry")

// ErrFeatureGate marks a setting that needs a feature gate the controller has off.
var ErrFeatureGate = errors.New("feature gate off")

// refusal is an error of kind (ErrUnsupported, ErrFeatureGate) worded by msg alone.
type refusal struct {
	msg  string
	kind error
}

// Error returns the wording.
func (e refusal) Error() string { return e.msg }

// Is tells whether target is the refusal's kind.
func (e refusal) Is(target error) bool { return target == e.kind }

// identityOf returns the identity of spec.serviceAccountName name for a Provider of typ in
// namespace, or nil when it names none. It refuses the types that do not authenticate with
// a cloud identity (ErrUnsupported) and, with the feature gate ObjectLevelWorkloadIdentity
// off, every one (ErrFeatureGate): the name is never ignored.
func (ids *Identities) identityOf(typ, namespace, name string) (notifier.Identity, error) {
	if name == "" {
		return nil, nil
	}
	if _, ok := notifier.IdentityTypes[typ]; !ok {
		if _, refused := notifier.Unsupported[typ]; refused {
			return nil, nil // the type's own refusal comes next
		}
		return nil, refusal{kind: ErrUnsupported, msg: fmt.Sprintf("spec.serviceAccountName is not supported by Ferry with spec.type %s: "+
			"only %s authenticate with the cloud identity of a ServiceAccount; remove spec.serviceAccountName", typ, identityTypes())}
	}
	if ids == nil || !ids.ObjectLevel {
		return nil, refusal{kind: ErrFeatureGate, msg: fmt.Sprintf("spec.serviceAccountName with spec.type %s asks for object-level workload identity, "+
			"which is off: start the controller with --feature-gates=%s=true, or remove spec.serviceAccountName", typ, cloud.ObjectLevelWorkloadIdentity)}
	}
	return serviceAccountIdentity{ids: ids, namespace: namespace, name: name}, nil
}

// identityTypes lists the types of notifier.IdentityTypes, sorted and joined.
func identityTypes() string {
	types := make([]string, 0, len(notifier.IdentityTypes))
	for t := range notifier.IdentityTypes {
		types = append(types, t)
	}
	sort.Strings(types)
	if len(types) < 2 {
		return strings.Join(types, "")
	}
	return strings.Join(types[:len(types)-1], ", ") + " and " + types[len(types)-1]
}

// serviceAccountIdentity is the cloud identity of the ServiceAccount namespace/name, read
// anew for each token so that a change of its annotations applies at once; the tokens are
// cached per identity in ids.Tokens.
type serviceAccountIdentity struct {
	ids             *Identities
	namespace, name string
}

func (i serviceAccountIdentity) serviceAccount(ctx context.Context) (*cloud.ServiceAccount, error) {
	return cloud.ReadServiceAccount(ctx, i.ids.Reader, i.ids.Client, i.namespace, i.name)
}

// GoogleToken implements notifier.Identity.
func (i serviceAccountIdentity) GoogleToken(ctx context.Context) (string, time.Time, error) {
	sa, err := i.serviceAccount(ctx)
	if err != nil {
		return "", time.Time{}, err
	}
	l, err := i.ids.Tokens.GoogleTokenAs(ctx, sa)
	if err != nil {
		return "", time.Time{}, err
	}
	return l.Password, l.Expiry, nil
}

// AzureToken implements notifier.Identity.
func (i serviceAccountIdentity) AzureToken(ctx context.Context, scope string) (string, error) {
	sa, err := i.serviceAccount(ctx)
	if err != nil {
		return "", err
	}
	l, err := i.ids.Tokens.AzureTokenAs(ctx, scope, sa)
	if err != nil {
		return "", err
	}
	return l.Password, nil
}
