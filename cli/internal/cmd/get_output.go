package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/ferry-gitops/ferry/cli/internal/kinds"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
)

// statusSelector keeps the objects whose condition has a status, as --status-selector
// ready=false asks.
type statusSelector struct {
	condition, status string
}

// parseStatusSelector reads "<condition>=<status>"; an empty selector keeps everything.
func parseStatusSelector(s string) (statusSelector, error) {
	if s == "" {
		return statusSelector{}, nil
	}
	cond, status, ok := strings.Cut(s, "=")
	if !ok || cond == "" || status == "" {
		return statusSelector{}, fmt.Errorf("invalid status selector %q, expected <condition>=<status>, e.g. ready=false", s)
	}
	return statusSelector{condition: cond, status: status}, nil
}

// matches reports whether obj has the selected condition status; the kinds without status
// are Ready=True.
func (s statusSelector) matches(obj kinds.Object) bool {
	if s.condition == "" {
		return true
	}
	so, ok := obj.(fluxmeta.StatusObject)
	if !ok {
		return strings.EqualFold(s.condition, fluxmeta.ReadyCondition) && strings.EqualFold(s.status, "true")
	}
	for _, c := range so.GetObjectStatus().Conditions {
		if strings.EqualFold(c.Type, s.condition) {
			return strings.EqualFold(string(c.Status), s.status)
		}
	}
	return false
}

// filter returns the objects that match.
func (s statusSelector) filter(objs []kinds.Object) []kinds.Object {
	var out []kinds.Object
	for _, o := range objs {
		if s.matches(o) {
			out = append(out, o)
		}
	}
	return out
}

// printObjects prints the objects of ks as one List in YAML or JSON, with their status.
func (a *app) printObjects(ctx context.Context, c client.Client, ks []*kinds.Kind, namespace, name string, sel statusSelector, format string) error {
	if format != "yaml" && format != "json" {
		return fmt.Errorf("unknown output format %q, expected yaml or json", format)
	}
	items := []any{}
	for _, k := range ks {
		objs, err := list(ctx, c, k, namespace, name)
		if len(ks) > 1 && apimeta.IsNoMatchError(err) {
			continue
		}
		if err != nil {
			return err
		}
		for _, obj := range sel.filter(objs) {
			m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
			if err != nil {
				return fmt.Errorf("failed to convert %s %s: %w", k, obj.GetName(), err)
			}
			m["apiVersion"], m["kind"] = k.GroupVersion.String(), k.Kind
			if md, ok := m["metadata"].(map[string]any); ok {
				delete(md, "managedFields")
			}
			items = append(items, m)
		}
	}
	list := map[string]any{"apiVersion": "v1", "kind": "List", "items": items}
	var data []byte
	var err error
	if format == "json" {
		data, err = json.MarshalIndent(list, "", "    ")
		data = append(data, '\n')
	} else {
		data, err = yaml.Marshal(list)
	}
	if err != nil {
		return fmt.Errorf("failed to encode the objects: %w", err)
	}
	_, err = a.opts.Out.Write(data)
	return err
}

// watch prints a row each time an object of ks changes, until ctx ends.
func (a *app) watch(ctx context.Context, ks []*kinds.Kind, namespace, name string, sel statusSelector, o tableOptions) error {
	cfg, err := a.restConfig()
	if err != nil {
		return err
	}
	scheme := runtime.NewScheme()
	if err := kinds.AddToScheme(scheme); err != nil {
		return fmt.Errorf("failed to build the scheme: %w", err)
	}
	wc, err := client.NewWithWatch(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return fmt.Errorf("failed to create the watch client: %w", err)
	}
	events := make(chan func() error)
	for _, k := range ks {
		opts := []client.ListOption{}
		if namespace != "" {
			opts = append(opts, client.InNamespace(namespace))
		}
		if name != "" {
			opts = append(opts, client.MatchingFields{"metadata.name": name})
		}
		w, err := wc.Watch(ctx, k.NewList(), opts...)
		if err != nil {
			if len(ks) > 1 && apimeta.IsNoMatchError(err) {
				continue
			}
			return fmt.Errorf("failed to watch %s objects: %w", k, err)
		}
		defer w.Stop()
		go forward(ctx, w, k, sel, o, a, events)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case print := <-events:
			if err := print(); err != nil {
				return err
			}
		}
	}
}

// forward turns the watch events of kind k into printing functions on events (a watch
// opens with the current objects, then each change).
func forward(ctx context.Context, w watch.Interface, k *kinds.Kind, sel statusSelector, o tableOptions, a *app, events chan<- func() error) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-w.ResultChan():
			if !ok {
				return
			}
			obj, isObj := ev.Object.(kinds.Object)
			if !isObj || ev.Type == watch.Bookmark || ev.Type == watch.Error || !sel.matches(obj) {
				continue
			}
			select {
			case events <- func() error { return printTable(a.opts.Out, k, []kinds.Object{obj}, o) }:
			case <-ctx.Done():
				return
			}
		}
	}
}
