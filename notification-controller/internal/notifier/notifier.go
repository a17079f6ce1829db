// Package notifier sends one event to one notification service: chats and webhooks (Slack,
// Microsoft Teams, Discord, …), alerting services (Alertmanager, Opsgenie, PagerDuty, …),
// Git hosting commit statuses and pull request comments (GitHub, GitLab, …). Each type is
// written from the service's public API; a Notifier is built once from a Provider's settings
// and its Secrets (Config) and then posts events. The package knows nothing of Kubernetes.
package notifier

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"time"

	notificationv1beta3 "github.com/ferry-gitops/ferry/shared/api/notification/v1beta3"
	"github.com/ferry-gitops/ferry/shared/runtime/events"
)

// Event is the event a Notifier sends: Flux's event, its metadata keys without the group
// prefix, with the Alert's summary and metadata merged in.
type Event = events.Event

// Notifier sends events to one service.
type Notifier interface {
	// Post sends ev. An error is an *HTTPError when the service answered with a failure
	// status, so that callers can tell what is worth a retry (Retryable).
	Post(ctx context.Context, ev Event) error
}

// Config is a Provider's settings resolved from its spec and its Secrets.
type Config struct {
	// Type is spec.type.
	Type string
	// Address is spec.address, or the Secret's address.
	Address string
	// Channel is spec.channel.
	Channel string
	// Username is spec.username, or the Secret's username.
	Username string
	// Token and Password come from the Secret.
	Token, Password string
	// Headers come from the Secret's headers key (a YAML map).
	Headers map[string]string
	// Proxy is the proxy to send through, or nil.
	Proxy *url.URL
	// TLS is the client TLS configuration (spec.certSecretRef), or nil.
	TLS *tls.Config
	// Timeout bounds one request.
	Timeout time.Duration
	// ProviderUID is the Provider's UID, the suffix of default commit status identifiers.
	ProviderUID string
	// StatusID, when set, computes the commit status identifier of an event
	// (spec.commitStatusExpr); otherwise "<kind>/<name>/<first part of the UID>". ctx is
	// the one Post was called with.
	StatusID func(ctx context.Context, ev Event) (string, error)
	// Identity, when set, is the cloud identity of spec.serviceAccountName, which the types
	// of IdentityTypes authenticate with.
	Identity Identity
}

// Unsupported are the types of Flux's enum that Ferry refuses, with the reason: none since
// azureeventhub sends through Event Hubs' REST API.
var Unsupported = map[string]string{}

// CommitStatusTypes are the types that write commit statuses.
var CommitStatusTypes = map[string]bool{
	notificationv1beta3.GitHubProvider: true, notificationv1beta3.GitLabProvider: true,
	notificationv1beta3.GiteaProvider: true, notificationv1beta3.BitbucketProvider: true,
	notificationv1beta3.BitbucketServerProvider: true, notificationv1beta3.AzureDevOpsProvider: true,
}

// builders make the Notifier of each implemented type.
var builders = map[string]func(c *Config, h *http.Client) (Notifier, error){
	notificationv1beta3.GenericProvider:         newGeneric,
	notificationv1beta3.GenericHMACProvider:     newGenericHMAC,
	notificationv1beta3.SlackProvider:           newSlack,
	notificationv1beta3.DiscordProvider:         newDiscord,
	notificationv1beta3.RocketProvider:          newRocket,
	notificationv1beta3.MSTeamsProvider:         newMSTeams,
	notificationv1beta3.GoogleChatProvider:      newGoogleChat,
	notificationv1beta3.WebexProvider:           newWebex,
	notificationv1beta3.LarkProvider:            newLark,
	notificationv1beta3.TelegramProvider:        newTelegram,
	notificationv1beta3.MatrixProvider:          newMatrix,
	notificationv1beta3.ZulipProvider:           newZulip,
	notificationv1beta3.AlertManagerProvider:    newAlertmanager,
	notificationv1beta3.GrafanaProvider:         newGrafana,
	notificationv1beta3.OpsgenieProvider:        newOpsgenie,
	notificationv1beta3.PagerDutyProvider:       newPagerDuty,
	notificationv1beta3.DataDogProvider:         newDatadog,
	notificationv1beta3.SentryProvider:          newSentry,
	notificationv1beta3.GitHubDispatchProvider:  newGitHubDispatch,
	notificationv1beta3.GitHubProvider:          newGitHub,
	notificationv1beta3.GitLabProvider:          newGitLab,
	notificationv1beta3.GiteaProvider:           newGitea,
	notificationv1beta3.BitbucketProvider:       newBitbucket,
	notificationv1beta3.BitbucketServerProvider: newBitbucketServer,
	notificationv1beta3.AzureDevOpsProvider:     newAzureDevOps,

	notificationv1beta3.GitHubPullRequestCommentProvider:  newGitHubPullRequestComment,
	notificationv1beta3.GitLabMergeRequestCommentProvider: newGitLabMergeRequestComment,
	notificationv1beta3.GiteaPullRequestCommentProvider:   newGiteaPullRequestComment,
	notificationv1beta3.NATSProvider:                      newNATS,
	notificationv1beta3.OTELProvider:                      newOTel,
	notificationv1beta3.GooglePubSubProvider:              newGooglePubSub,
	notificationv1beta3.AzureEventHubProvider:             newAzureEventHub,
}

// Implemented returns the implemented types, sorted.
func Implemented() []string {
	out := make([]string, 0, len(builders))
	for t := range builders {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// New builds the Notifier of c.Type. It fails for a type Ferry does not implement and for
// settings the type cannot work with (a missing address or token, say); the error names
// what is missing, never a secret value.
func New(c Config) (Notifier, error) {
	if reason, ok := Unsupported[c.Type]; ok {
		return nil, fmt.Errorf("spec.type %s is not supported by Ferry: %s", c.Type, reason)
	}
	build, ok := builders[c.Type]
	if !ok {
		return nil, fmt.Errorf("spec.type %q is not a known provider type", c.Type)
	}
	if c.Identity != nil && IdentityTypes[c.Type] == "" {
		return nil, fmt.Errorf("spec.type %s does not authenticate with spec.serviceAccountName", c.Type)
	}
	if c.Timeout <= 0 {
		c.Timeout = notificationv1beta3.DefaultProviderTimeout
	}
	return build(&c, newHTTPClient(&c))
}

// newHTTPClient returns the client every request of a Notifier goes through: the Provider's
// timeout, proxy and TLS settings.
func newHTTPClient(c *Config) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	if c.Proxy != nil {
		tr.Proxy = http.ProxyURL(c.Proxy)
	}
	if c.TLS != nil {
		tr.TLSClientConfig = c.TLS.Clone()
	}
	tr.MaxIdleConnsPerHost = 16
	return &http.Client{Timeout: c.Timeout, Transport: tr}
}

// HTTPError is a failure status a service answered with.
type HTTPError struct {
	// Status is the HTTP status code.
	Status int
	// Detail is a short excerpt of the service's answer.
	Detail string
}

// Error implements error.
func (e *HTTPError) Error() string {
	if e.Detail == "" {
		return fmt.Sprintf("the service answered %d %s", e.Status, http.StatusText(e.Status))
	}
	return fmt.Sprintf("the service answered %d %s: %s", e.Status, http.StatusText(e.Status), e.Detail)
}

// errPermanent marks a failure no retry can mend (the service said no in its answer).
var errPermanent = errors.New("permanent failure")

// Retryable tells whether a failed Post may succeed if tried again: server errors (5xx),
// 408 and 429, timeouts and connection failures are; other client errors (4xx) and
// failures the service stated in its answer are not.
func Retryable(err error) bool {
	if err == nil || errors.Is(err, errPermanent) {
		return false
	}
	var he *HTTPError
	if errors.As(err, &he) {
		return he.Status >= 500 || he.Status == http.StatusRequestTimeout || he.Status == http.StatusTooManyRequests
	}
	return !errors.Is(err, context.Canceled)
}
