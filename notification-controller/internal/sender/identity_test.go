package sender

import (
	"testing"

	"github.com/ferry-gitops/ferry/notification-controller/internal/notifier"
)

// --default-service-account replaces the controller's own identity, and only that: a Provider
// with credentials of its own, or of a type that never uses the controller's identity, is
// left as it is.
func TestDefaultServiceAccountReplacesControllerIdentity(t *testing.T) {
	locked := &Identities{Default: "tenant"}
	for _, tc := range []struct {
		ids  *Identities
		cfg  notifier.Config
		want bool
	}{
		{locked, notifier.Config{Type: "googlepubsub"}, true},
		{locked, notifier.Config{Type: "googlepubsub", Token: "{\"type\":\"service_account\"}"}, false},
		{locked, notifier.Config{Type: "azureeventhub", Address: "hub", Channel: "ns"}, true},
		{locked, notifier.Config{Type: "azureeventhub", Address: "hub", Token: "jwt"}, false},
		{locked, notifier.Config{Type: "azureeventhub", Address: "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=s;EntityPath=hub"}, false},
		{locked, notifier.Config{Type: "azuredevops", Token: "pat"}, false},
		{locked, notifier.Config{Type: "slack", Address: "https://hooks.slack.com/x"}, false},
		{&Identities{}, notifier.Config{Type: "googlepubsub"}, false},
		{nil, notifier.Config{Type: "googlepubsub"}, false},
	} {
		id := tc.ids.defaultIdentity("apps", &tc.cfg)
		if got := id != nil; got != tc.want {
			t.Errorf("%+v with %+v: default identity %v, want %v", tc.cfg, tc.ids, got, tc.want)
			continue
		}
		if sa, ok := id.(serviceAccountIdentity); ok && (sa.namespace != "apps" || sa.name != "tenant") {
			t.Errorf("%+v: identity of %s/%s, want apps/tenant", tc.cfg, sa.namespace, sa.name)
		}
	}
}
