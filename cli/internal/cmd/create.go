package cmd

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	"github.com/ferry-gitops/ferry/cli/internal/export"
	"github.com/ferry-gitops/ferry/cli/internal/install"
	"github.com/ferry-gitops/ferry/cli/internal/kinds"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
)

// createFlags are the flags every create sub-command takes.
type createFlags struct {
	export   bool
	labels   []string
	interval time.Duration
}

// newCreateCommand returns `ferry create` with its sub-commands.
func newCreateCommand(a *app) *cobra.Command {
	cf := &createFlags{}
	c := &cobra.Command{
		Use:   "create",
		Short: "Create or update sources and resources",
		Long: "The create sub-commands generate sources and resources. With --export they print the\n" +
			"YAML (as flux does); without, they apply it and wait until the object is Ready.",
	}
	pf := c.PersistentFlags()
	pf.BoolVar(&cf.export, "export", false, "export in YAML format to stdout")
	pf.StringSliceVar(&cf.labels, "label", nil, "set labels on the resource (can specify multiple labels with commas: label1=value1,label2=value2)")
	pf.DurationVar(&cf.interval, "interval", time.Minute, "source sync interval")
	c.AddCommand(
		newCreateSourceCommand(a, cf),
		newCreateKustomizationCommand(a, cf),
		newCreateHelmReleaseCommand(a, cf),
		newCreateImageCommand(a, cf),
		newCreateAlertCommand(a, cf),
		newCreateAlertProviderCommand(a, cf),
		newCreateReceiverCommand(a, cf),
		newCreateSecretCommand(a, cf),
		newCreateTenantCommand(a, cf),
	)
	return c
}

// objectMeta returns the metadata of a new object name in the command's namespace with
// the --label labels.
func (a *app) objectMeta(cf *createFlags, name string) (metav1.ObjectMeta, error) {
	labels, err := parseLabels(cf.labels)
	if err != nil {
		return metav1.ObjectMeta{}, err
	}
	return metav1.ObjectMeta{Name: name, Namespace: a.flags.namespace, Labels: labels}, nil
}

// parseLabels reads key=value pairs.
func parseLabels(pairs []string) (map[string]string, error) {
	if len(pairs) == 0 {
		return nil, nil
	}
	labels := map[string]string{}
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("invalid label format '%s', must be key=value", p)
		}
		labels[k] = v
	}
	return labels, nil
}

// createRunE returns the RunE of a create sub-command: it reads the name argument (what
// names the object in the error when it is missing), makes the metadata, builds the objects
// and exports or applies them as every create does (description names them in progress
// lines).
func (a *app) createRunE(cf *createFlags, what, description string, build func(metav1.ObjectMeta) ([]client.Object, error)) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		name, err := nameArg(args, what)
		if err != nil {
			return err
		}
		meta, err := a.objectMeta(cf, name)
		if err != nil {
			return err
		}
		objs, err := build(meta)
		if err != nil {
			return err
		}
		return a.finishCreate(cmd.Context(), cf, created{what: description, objs: objs})
	}
}

// created is what a create sub-command made: a description for the progress lines (such
// as "GitRepository source") and the objects, the last one the one to wait for.
type created struct {
	what string
	objs []client.Object
}

// finishCreate prints the objects with --export, or applies them and waits until the last
// one is Ready.
func (a *app) finishCreate(ctx context.Context, cf *createFlags, res created) error {
	if err := setKinds(res.objs); err != nil {
		return err
	}
	if cf.export {
		var docs []map[string]any
		for _, obj := range res.objs {
			doc, err := export.Object(obj)
			if err != nil {
				return err
			}
			docs = append(docs, doc)
		}
		return export.Write(a.opts.Out, docs...)
	}
	ctx, cancel := a.withTimeout(ctx)
	defer cancel()
	c, err := a.client()
	if err != nil {
		return err
	}
	a.logf("✚", "generating %s", res.what)
	for _, obj := range res.objs {
		if err := a.applyObject(ctx, c, obj); err != nil {
			return err
		}
	}
	last := res.objs[len(res.objs)-1]
	k, ok := kinds.ByKind(last.GetObjectKind().GroupVersionKind().Kind)
	if !ok || !k.HasStatus() {
		return nil
	}
	return a.waitForGeneration(ctx, c, k, client.ObjectKeyFromObject(last))
}

// applyObject server-side applies obj and reports whether it was created or updated.
func (a *app) applyObject(ctx context.Context, c client.Client, obj client.Object) error {
	doc, err := export.Object(obj)
	if err != nil {
		return err
	}
	u := &unstructured.Unstructured{Object: doc}
	ref := u.GetKind() + "/" + u.GetNamespace() + "/" + u.GetName()
	existing := &unstructured.Unstructured{}
	existing.SetGroupVersionKind(u.GroupVersionKind())
	verb := "updated"
	if err := c.Get(ctx, client.ObjectKeyFromObject(u), existing); apierrors.IsNotFound(err) {
		verb = "created"
	}
	a.actionf("applying %s", ref)
	if err := c.Patch(ctx, u, client.Apply, client.FieldOwner(install.FieldManager), client.ForceOwnership); err != nil {
		return fmt.Errorf("failed to apply %s: %w", ref, err)
	}
	a.successf("%s %s", ref, verb)
	return nil
}

// waitForGeneration polls the object until the controller has observed its generation
// and decided Ready, and fails with the Ready (or Stalled) message when it is not Ready.
func (a *app) waitForGeneration(ctx context.Context, c client.Client, k *kinds.Kind, key client.ObjectKey) error {
	a.waitingf("waiting for %s reconciliation", k)
	obj := k.New()
	var message string
	var ready, failed bool
	err := wait.PollUntilContextCancel(ctx, a.opts.PollInterval, true, func(ctx context.Context) (bool, error) {
		if err := c.Get(ctx, key, obj); err != nil {
			return false, nil
		}
		so, ok := obj.(fluxmeta.StatusObject)
		if !ok {
			return true, nil
		}
		if so.GetObjectStatus().ObservedGeneration < obj.GetGeneration() {
			message = "the controller has not observed the object yet"
			return false, nil
		}
		if st := conditions.Get(so, fluxmeta.StalledCondition); st != nil && st.Status == metav1.ConditionTrue {
			failed, message = true, st.Message
			return true, nil
		}
		rc := conditions.Get(so, fluxmeta.ReadyCondition)
		if rc == nil || rc.Status == metav1.ConditionUnknown {
			if rc != nil {
				message = rc.Message
			}
			return false, nil
		}
		ready, failed, message = rc.Status == metav1.ConditionTrue, rc.Status == metav1.ConditionFalse, rc.Message
		return true, nil
	})
	switch {
	case err != nil:
		return fmt.Errorf("%s/%s not ready: %s: %w", k, key.Name, message, err)
	case failed || !ready:
		return fmt.Errorf("%s/%s not ready: %s", k, key.Name, message)
	}
	a.successf("%s reconciliation completed%s", k, revisionSuffix(k, obj))
	return nil
}

// parseRef reads Kind/name or Kind/name.namespace; kind defaults to defKind when the
// reference has no slash.
func parseRef(ref, defKind string) (kind, name, namespace string, err error) {
	kind, rest, ok := strings.Cut(ref, "/")
	if !ok {
		kind, rest = defKind, ref
	}
	name, namespace, _ = strings.Cut(rest, ".")
	if kind == "" || name == "" {
		return "", "", "", fmt.Errorf("invalid reference %q, expected <kind>/<name>[.<namespace>]", ref)
	}
	return kind, name, namespace, nil
}

// duration returns a pointer to d, or nil when it is zero.
func duration(d time.Duration) *metav1.Duration {
	if d == 0 {
		return nil
	}
	return &metav1.Duration{Duration: d}
}

// localRef returns a reference to name, or nil when it is empty.
func localRef(name string) *fluxmeta.LocalObjectReference {
	if name == "" {
		return nil
	}
	return &fluxmeta.LocalObjectReference{Name: name}
}

// nameArg returns the single name argument of a create sub-command.
func nameArg(args []string, what string) (string, error) {
	if len(args) != 1 || args[0] == "" {
		return "", fmt.Errorf("%s name is required", what)
	}
	return args[0], nil
}

// setKinds sets the group, version and kind of typed objects that lack them, from the
// scheme of the CLI's kinds and client-go's.
func setKinds(objs []client.Object) error {
	scheme := runtime.NewScheme()
	if err := errors.Join(kinds.AddToScheme(scheme), clientgoscheme.AddToScheme(scheme)); err != nil {
		return fmt.Errorf("failed to build the scheme: %w", err)
	}
	for _, obj := range objs {
		if !obj.GetObjectKind().GroupVersionKind().Empty() {
			continue
		}
		gvk, err := apiutil.GVKForObject(obj, scheme)
		if err != nil {
			return fmt.Errorf("failed to find the kind of %T: %w", obj, err)
		}
		obj.GetObjectKind().SetGroupVersionKind(gvk)
	}
	return nil
}
