package cmd

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// watchEvents prints each new or updated matching event until ctx ends.
func (a *app) watchEvents(ctx context.Context, namespace string, match func(*corev1.Event) bool, namespaces bool) error {
	cfg, err := a.restConfig()
	if err != nil {
		return err
	}
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return fmt.Errorf("failed to build the scheme: %w", err)
	}
	wc, err := client.NewWithWatch(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return fmt.Errorf("failed to create the watch client: %w", err)
	}
	var opts []client.ListOption
	if namespace != "" {
		opts = append(opts, client.InNamespace(namespace))
	}
	var list corev1.EventList
	if err := wc.List(ctx, &list, opts...); err != nil {
		return fmt.Errorf("failed to list the events: %w", err)
	}
	opts = append(opts, &client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: list.ResourceVersion}})
	w, err := wc.Watch(ctx, &corev1.EventList{}, opts...)
	if err != nil {
		return fmt.Errorf("failed to watch the events: %w", err)
	}
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.ResultChan():
			if !ok {
				return nil
			}
			e, isEvent := ev.Object.(*corev1.Event)
			if !isEvent || ev.Type == watch.Deleted || !match(e) {
				continue
			}
			if err := writeRows(a.opts.Out, [][]string{eventRow(e, namespaces)}); err != nil {
				return err
			}
		}
	}
}
