package cmd

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	utilduration "k8s.io/apimachinery/pkg/util/duration"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/cli/internal/kinds"
	"github.com/ferry-gitops/ferry/cli/internal/ui"
)

// eventsFlags are the flags of `ferry events`.
type eventsFlags struct {
	forObject     string
	allNamespaces bool
	watch         bool
	types         []string
}

// newEventsCommand returns `ferry events`.
func newEventsCommand(a *app) *cobra.Command {
	var f eventsFlags
	c := &cobra.Command{
		Use:   "events",
		Short: "Display Kubernetes events for Ferry resources",
		Long: "The events command shows the Kubernetes events of the toolkit objects; with --for, the events\n" +
			"of one object and of the source it is built from.",
		Example: `  # Display the events of a Kustomization and of its source
  ferry events --for Kustomization/apps

  # Display the warnings of every namespace
  ferry events -A --types=Warning`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel, c, err := a.connect(cmd)
			if err != nil {
				return err
			}
			defer cancel()
			match, err := a.eventFilter(ctx, c, f)
			if err != nil {
				return err
			}
			namespace := a.flags.namespace
			if f.allNamespaces {
				namespace = ""
			}
			return a.printEvents(ctx, c, namespace, match, f)
		},
	}
	c.Flags().StringVar(&f.forObject, "for", "", "get the events of an object and of its source, in the format <kind>/<name>")
	c.Flags().BoolVarP(&f.allNamespaces, "all-namespaces", "A", false, "display events from all namespaces")
	c.Flags().BoolVarP(&f.watch, "watch", "w", false, "indicate if the events should be streamed")
	c.Flags().StringSliceVar(&f.types, "types", nil, "filter events by type, one of: Normal, Warning")
	return c
}

// eventFilter returns the test an event must pass: the --types, and with --for, being about
// the object or its source.
func (a *app) eventFilter(ctx context.Context, c client.Client, f eventsFlags) (func(*corev1.Event) bool, error) {
	for _, t := range f.types {
		if t != corev1.EventTypeNormal && t != corev1.EventTypeWarning {
			return nil, fmt.Errorf("invalid event type %q, expected Normal or Warning", t)
		}
	}
	var refs []kinds.Ref
	if f.forObject != "" {
		kind, name, ok := strings.Cut(f.forObject, "/")
		if !ok || name == "" {
			return nil, fmt.Errorf("invalid --for %q, expected <kind>/<name>", f.forObject)
		}
		ref := kinds.Ref{Kind: kind, Namespace: a.flags.namespace, Name: name}
		refs = append(refs, ref)
		if k, ok := kinds.ByKind(kind); ok && k.Source != nil {
			obj, err := get(ctx, c, k, types.NamespacedName{Namespace: ref.Namespace, Name: name})
			if err != nil {
				return nil, err
			}
			if src, ok := k.Source(obj); ok {
				refs = append(refs, src)
			}
		}
	}
	return func(ev *corev1.Event) bool {
		if len(f.types) > 0 && !containsString(f.types, ev.Type) {
			return false
		}
		if len(refs) == 0 {
			return true
		}
		for _, r := range refs {
			io := ev.InvolvedObject
			if io.Kind == r.Kind && io.Name == r.Name && io.Namespace == r.Namespace {
				return true
			}
		}
		return false
	}, nil
}

// printEvents prints the matching events as a table, oldest first, then streams new ones
// with --watch.
func (a *app) printEvents(ctx context.Context, c client.Client, namespace string, match func(*corev1.Event) bool, f eventsFlags) error {
	var list corev1.EventList
	var opts []client.ListOption
	if namespace != "" {
		opts = append(opts, client.InNamespace(namespace))
	}
	if err := c.List(ctx, &list, opts...); err != nil {
		return fmt.Errorf("failed to list the events: %w", err)
	}
	var events []*corev1.Event
	for i := range list.Items {
		if match(&list.Items[i]) {
			events = append(events, &list.Items[i])
		}
	}
	sort.SliceStable(events, func(i, j int) bool { return ui.LastSeen(events[i]).Before(ui.LastSeen(events[j])) })
	if len(events) == 0 && !f.watch {
		a.failuref("no events found in %s", namespaceText(namespace))
		return nil
	}
	rows := [][]string{withNamespace(f.allNamespaces, "NAMESPACE", []string{"LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"})}
	for _, ev := range events {
		rows = append(rows, eventRow(ev, f.allNamespaces))
	}
	if err := writeRows(a.opts.Out, rows); err != nil {
		return err
	}
	if !f.watch {
		return nil
	}
	return a.watchEvents(ctx, namespace, match, f.allNamespaces)
}

// eventRow is the table row of ev.
func eventRow(ev *corev1.Event, namespaces bool) []string {
	seen := "<unknown>"
	if t := ui.LastSeen(ev); !t.IsZero() {
		seen = utilduration.HumanDuration(time.Since(t))
	}
	object := ev.InvolvedObject.Kind + "/" + ev.InvolvedObject.Name
	return withNamespace(namespaces, ev.Namespace, []string{seen, ev.Type, ev.Reason, object, ev.Message})
}

// namespaceText names a namespace for messages, or all of them.
func namespaceText(namespace string) string {
	if namespace == "" {
		return "any namespace"
	}
	return fmt.Sprintf("%q namespace", namespace)
}

// containsString reports whether list holds s.
func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
