package cmd

import (
	"errors"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	notificationv1 "github.com/ferry-gitops/ferry/shared/api/notification/v1"
	notificationv1beta3 "github.com/ferry-gitops/ferry/shared/api/notification/v1beta3"
)

func newCreateAlertCommand(a *app, cf *createFlags) *cobra.Command {
	var providerRef, severity string
	var sources []string
	c := &cobra.Command{
		Use:   "alert [name]",
		Short: "Create or update an Alert resource",
		Example: `  # Create an Alert for kustomization events
  ferry create alert \
    --event-severity info \
    --event-source Kustomization/flux-system \
    --provider-ref slack \
    flux-system`,
		RunE: a.createRunE(cf, "Alert", "Alert", func(meta metav1.ObjectMeta) ([]client.Object, error) {
			if providerRef == "" || len(sources) == 0 {
				return nil, errors.New("--provider-ref and at least one --event-source are required")
			}
			obj := &notificationv1beta3.Alert{ObjectMeta: meta}
			obj.Spec.ProviderRef = fluxmeta.LocalObjectReference{Name: providerRef}
			obj.Spec.EventSeverity = severity
			for _, s := range sources {
				kind, srcName, ns, err := parseRef(s, "")
				if err != nil {
					return nil, err
				}
				obj.Spec.EventSources = append(obj.Spec.EventSources, notificationv1.CrossNamespaceObjectReference{Kind: kind, Name: srcName, Namespace: ns})
			}
			return []client.Object{obj}, nil
		}),
	}
	c.Flags().StringVar(&providerRef, "provider-ref", "", "reference to provider")
	c.Flags().StringVar(&severity, "event-severity", "", "severity of events to send alerts for")
	c.Flags().StringSliceVar(&sources, "event-source", nil, "sources that should generate alerts (<kind>/<name>)")
	return c
}

func newCreateAlertProviderCommand(a *app, cf *createFlags) *cobra.Command {
	var typ, channel, username, address, secretRef string
	c := &cobra.Command{
		Use:   "alert-provider [name]",
		Short: "Create or update a Provider resource",
		Example: `  # Create a Provider for a Slack channel
  ferry create alert-provider slack \
    --type slack \
    --channel general \
    --address https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX \
    --secret-ref webhook-url`,
		RunE: a.createRunE(cf, "Provider", "Provider", func(meta metav1.ObjectMeta) ([]client.Object, error) {
			if typ == "" {
				return nil, errors.New("provider type is required")
			}
			obj := &notificationv1beta3.Provider{ObjectMeta: meta}
			obj.Spec.Type, obj.Spec.Channel, obj.Spec.Username, obj.Spec.Address = typ, channel, username, address
			obj.Spec.SecretRef = localRef(secretRef)
			return []client.Object{obj}, nil
		}),
	}
	c.Flags().StringVar(&typ, "type", "", "type of provider")
	c.Flags().StringVar(&channel, "channel", "", "channel to send messages to in the case of a chat provider")
	c.Flags().StringVar(&username, "username", "", "bot username used by the provider")
	c.Flags().StringVar(&address, "address", "", "path to either the git repository, chat provider or webhook")
	c.Flags().StringVar(&secretRef, "secret-ref", "", "name of secret containing authentication token")
	return c
}

func newCreateReceiverCommand(a *app, cf *createFlags) *cobra.Command {
	var typ, secretRef string
	var events, resources []string
	c := &cobra.Command{
		Use:   "receiver [name]",
		Short: "Create or update a Receiver resource",
		Example: `  # Create a Receiver for GitHub push events
  ferry create receiver github-receiver \
    --type github \
    --event ping \
    --event push \
    --secret-ref webhook-token \
    --resource GitRepository/webapp \
    --resource HelmRepository/webapp`,
		RunE: a.createRunE(cf, "Receiver", "Receiver", func(meta metav1.ObjectMeta) ([]client.Object, error) {
			if typ == "" || secretRef == "" || len(resources) == 0 {
				return nil, errors.New("--type, --secret-ref and at least one --resource are required")
			}
			obj := &notificationv1.Receiver{ObjectMeta: meta}
			obj.Spec.Type, obj.Spec.Events, obj.Spec.SecretRef = typ, events, localRef(secretRef)
			for _, r := range resources {
				kind, rName, ns, err := parseRef(r, "")
				if err != nil {
					return nil, err
				}
				obj.Spec.Resources = append(obj.Spec.Resources, notificationv1.ReceiverResource{
					CrossNamespaceObjectReference: notificationv1.CrossNamespaceObjectReference{Kind: kind, Name: rName, Namespace: ns}})
			}
			return []client.Object{obj}, nil
		}),
	}
	c.Flags().StringVar(&typ, "type", "", "type of receiver")
	c.Flags().StringVar(&secretRef, "secret-ref", "", "name of secret containing the webhook token")
	c.Flags().StringSliceVar(&events, "event", nil, "event types the receiver accepts")
	c.Flags().StringSliceVar(&resources, "resource", nil, "resources the receiver triggers, in the format <kind>/<name>")
	return c
}
