package v1beta3

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferry-gitops/ferry/shared/api/meta"
)

// ProviderKind is the kind name of Provider.
const ProviderKind = "Provider"

// DefaultProviderTimeout is the time allowed to send one notification when spec.timeout is
// not set.
const DefaultProviderTimeout = 15 * time.Second

// Notification services a Provider can post to (spec.type).
const (
	// SlackProvider posts to a Slack channel.
	SlackProvider = "slack"
	// DiscordProvider posts to a Discord channel.
	DiscordProvider = "discord"
	// MSTeamsProvider posts to Microsoft Teams.
	MSTeamsProvider = "msteams"
	// RocketProvider posts to Rocket.Chat.
	RocketProvider = "rocket"
	// GenericProvider posts the event as JSON to any HTTP(S) address.
	GenericProvider = "generic"
	// GenericHMACProvider posts the event as JSON signed with an HMAC of the token.
	GenericHMACProvider = "generic-hmac"
	// GitHubProvider writes GitHub commit statuses.
	GitHubProvider = "github"
	// GitLabProvider writes GitLab commit statuses.
	GitLabProvider = "gitlab"
	// GiteaProvider writes Gitea commit statuses.
	GiteaProvider = "gitea"
	// GiteaPullRequestCommentProvider comments on Gitea pull requests.
	GiteaPullRequestCommentProvider = "giteapullrequestcomment"
	// BitbucketServerProvider writes Bitbucket Server commit statuses.
	BitbucketServerProvider = "bitbucketserver"
	// BitbucketProvider writes Bitbucket Cloud commit statuses.
	BitbucketProvider = "bitbucket"
	// AzureDevOpsProvider writes Azure DevOps commit statuses.
	AzureDevOpsProvider = "azuredevops"
	// GoogleChatProvider posts to Google Chat.
	GoogleChatProvider = "googlechat"
	// GooglePubSubProvider publishes to a Google Cloud Pub/Sub topic.
	GooglePubSubProvider = "googlepubsub"
	// WebexProvider posts to a Webex room.
	WebexProvider = "webex"
	// SentryProvider sends events to Sentry.
	SentryProvider = "sentry"
	// AzureEventHubProvider sends events to Azure Event Hubs.
	AzureEventHubProvider = "azureeventhub"
	// TelegramProvider posts to a Telegram chat.
	TelegramProvider = "telegram"
	// LarkProvider posts to Lark.
	LarkProvider = "lark"
	// MatrixProvider posts to a Matrix room.
	MatrixProvider = "matrix"
	// OpsgenieProvider creates Opsgenie alerts.
	OpsgenieProvider = "opsgenie"
	// AlertManagerProvider sends alerts to Prometheus Alertmanager.
	AlertManagerProvider = "alertmanager"
	// GrafanaProvider creates Grafana annotations.
	GrafanaProvider = "grafana"
	// GitHubDispatchProvider triggers GitHub repository_dispatch events.
	GitHubDispatchProvider = "githubdispatch"
	// GitHubPullRequestCommentProvider comments on GitHub pull requests.
	GitHubPullRequestCommentProvider = "githubpullrequestcomment"
	// GitLabMergeRequestCommentProvider comments on GitLab merge requests.
	GitLabMergeRequestCommentProvider = "gitlabmergerequestcomment"
	// PagerDutyProvider sends events to PagerDuty.
	PagerDutyProvider = "pagerduty"
	// DataDogProvider sends events to Datadog.
	DataDogProvider = "datadog"
	// NATSProvider publishes to a NATS subject.
	NATSProvider = "nats"
	// ZulipProvider posts to a Zulip stream.
	ZulipProvider = "zulip"
	// OTELProvider sends events as OpenTelemetry traces.
	OTELProvider = "otel"
)

// ProviderSpec says where notifications are sent and with which credentials.
// +kubebuilder:validation:XValidation:rule="self.type == 'github' || self.type == 'gitlab' || self.type == 'gitea' || self.type == 'bitbucketserver' || self.type == 'bitbucket' || self.type == 'azuredevops' || !has(self.commitStatusExpr)",message="spec.commitStatusExpr can only be set for the commit status types 'github', 'gitlab', 'gitea', 'bitbucketserver', 'bitbucket' and 'azuredevops'"
type ProviderSpec struct {
	// Type is the notification service.
	// +kubebuilder:validation:Enum=slack;discord;msteams;rocket;generic;generic-hmac;github;gitlab;gitea;giteapullrequestcomment;bitbucketserver;bitbucket;azuredevops;googlechat;googlepubsub;webex;sentry;azureeventhub;telegram;lark;matrix;opsgenie;alertmanager;grafana;githubdispatch;githubpullrequestcomment;gitlabmergerequestcomment;pagerduty;datadog;nats;zulip;otel
	// +required
	Type string `json:"type"`

	// Interval is kept for compatibility with older manifests; it is not used.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
	// +optional
	Interval *metav1.Duration `json:"interval,omitempty"`

	// Channel is the channel, room or topic the notifications are posted to.
	// +kubebuilder:validation:MaxLength=2048
	// +optional
	Channel string `json:"channel,omitempty"`

	// Username is the name the notifications are posted under.
	// +kubebuilder:validation:MaxLength=2048
	// +optional
	Username string `json:"username,omitempty"`

	// Address is where notifications are sent; its meaning depends on the type: an HTTP(S)
	// URL for webhooks and chats, a repository URL for commit statuses, a project or
	// namespace for some cloud services.
	// +kubebuilder:validation:MaxLength=2048
	// +optional
	Address string `json:"address,omitempty"`

	// Timeout for sending one notification; 15 seconds when not set.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern="^([0-9]+(\\.[0-9]+)?(ms|s|m))+$"
	// +optional
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// Proxy is the HTTP(S) address of a proxy server. Deprecated: use ProxySecretRef.
	// +kubebuilder:validation:Pattern="^(http|https)://.*$"
	// +kubebuilder:validation:MaxLength=2048
	// +optional
	Proxy string `json:"proxy,omitempty"`

	// ProxySecretRef names a Secret with the proxy to use: the 'address' key, and optional
	// 'username' and 'password' keys.
	// +optional
	ProxySecretRef *meta.LocalObjectReference `json:"proxySecretRef,omitempty"`

	// SecretRef names a Secret with the credentials of the service, such as a token, a
	// webhook address or headers.
	// +optional
	SecretRef *meta.LocalObjectReference `json:"secretRef,omitempty"`

	// ServiceAccountName is the ServiceAccount whose workload identity authenticates to
	// cloud services (azureeventhub, azuredevops, googlepubsub) instead of static
	// credentials. It cannot be combined with credentials in SecretRef.
	// +optional
	ServiceAccountName string `json:"serviceAccountName,omitempty"`

	// CertSecretRef names a Secret with TLS material: 'ca.crt' to trust a server, and
	// 'tls.crt' with 'tls.key' for client authentication.
	// +optional
	CertSecretRef *meta.LocalObjectReference `json:"certSecretRef,omitempty"`

	// CommitStatusExpr is a CEL expression, over the variables event, provider and alert,
	// that returns the identifier of the commit status written by commit status types.
	// +optional
	CommitStatusExpr string `json:"commitStatusExpr,omitempty"`

	// Suspend stops notifications from being sent through this Provider.
	// +optional
	Suspend bool `json:"suspend,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:resource:categories=fluxcd
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp",description=""

// Provider describes a notification service and how to reach it.
type Provider struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired state of the Provider.
	Spec ProviderSpec `json:"spec,omitempty"`
}

// +kubebuilder:object:root=true

// ProviderList is a list of Providers.
type ProviderList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`

	// Items holds the Providers.
	Items []Provider `json:"items"`
}

// IsSuspended reports whether spec.suspend is set.
func (in *Provider) IsSuspended() bool { return in.Spec.Suspend }

// GetTimeout returns spec.timeout, or 15 seconds when it is not set.
func (in *Provider) GetTimeout() time.Duration {
	if in.Spec.Timeout == nil {
		return DefaultProviderTimeout
	}
	return in.Spec.Timeout.Duration
}
