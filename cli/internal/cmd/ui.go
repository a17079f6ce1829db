package cmd

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"runtime"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/cli/internal/kinds"
	"github.com/ferry-gitops/ferry/cli/internal/ui"
)

// uiFlags are the flags of `ferry ui`.
type uiFlags struct {
	port     int
	noOpen   bool
	readOnly bool
}

// newUICommand returns `ferry ui`.
func newUICommand(a *app) *cobra.Command {
	var f uiFlags
	c := &cobra.Command{
		Use:   "ui",
		Short: "Serve a live web view of the GitOps graph on 127.0.0.1",
		Long: "The ui command serves, on 127.0.0.1 only, a page that draws the toolkit objects of the cluster\n" +
			"as a graph: sources, the Kustomizations and HelmReleases built from them, the objects they\n" +
			"applied, image automation and alerts, with their status, kept live by watching the API server\n" +
			"with your kubeconfig. The page can reconcile, suspend and resume what your RBAC lets you\n" +
			"patch, as the reconcile, suspend and resume commands do. Every request needs the token of\n" +
			"the URL the command prints. Every namespace is shown unless -n is given.",
		Example: `  # Open the graph of every namespace in the browser
  ferry ui

  # Serve the graph of flux-system on port 9000 without opening a browser, read-only
  ferry ui -n flux-system --port 9000 --no-open --read-only`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.serveUI(cmd, f) },
	}
	c.Flags().IntVar(&f.port, "port", 0, "port to listen on, on 127.0.0.1 (default: any free port)")
	c.Flags().BoolVar(&f.noOpen, "no-open", false, "print the URL without opening a browser")
	c.Flags().BoolVar(&f.readOnly, "read-only", false, "switch the page's reconcile, suspend and resume actions off")
	return c
}

// serveUI runs the page's server until the command's context ends.
func (a *app) serveUI(cmd *cobra.Command, f uiFlags) error {
	cfg, err := a.restConfig()
	if err != nil {
		return err
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	opts := ui.Options{Config: cfg, Client: c, ActionTimeout: a.flags.timeout, Log: a.opts.Err}
	if cmd.Flags().Changed("namespace") {
		opts.Namespace = a.flags.namespace
	}
	if !f.readOnly {
		opts.Actions = &uiActions{app: a, c: c}
	}
	srv, err := ui.New(opts)
	if err != nil {
		return err
	}
	l, err := ui.Listen(f.port)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	a.waitingf("listing the toolkit objects")
	if err := srv.Start(ctx, a.flags.timeout); err != nil {
		_ = l.Close()
		return err
	}
	url := srv.URL(l)
	a.successf("ferry ui serves %s", url)
	fmt.Fprintln(a.opts.Out, url)
	if !f.noOpen {
		if err := openBrowser(ctx, url); err != nil {
			a.failuref("failed to open a browser (%v): open the URL above", err)
		}
	}
	return srv.Serve(ctx, l)
}

// openBrowser asks the desktop to open url.
func openBrowser(ctx context.Context, url string) error {
	name, args := "xdg-open", []string{url}
	switch runtime.GOOS {
	case "darwin":
		name = "open"
	case "windows":
		name, args = "rundll32", []string{"url.dll,FileProtocolHandler", url}
	}
	c := exec.CommandContext(ctx, name, args...)
	if err := c.Start(); err != nil {
		return err
	}
	go func() { _ = c.Wait() }()
	return nil
}

// uiActions runs the page's actions through the CLI's own verbs, with their progress
// lines going both to the page and to the terminal.
type uiActions struct {
	app *app
	c   client.Client
}

// verb returns a copy of the app whose progress lines also go to log.
func (u *uiActions) verb(log io.Writer) *app {
	b := *u.app
	b.opts.Err = io.MultiWriter(log, u.app.opts.Err)
	return &b
}

// target returns the kind and key of ref.
func target(ref kinds.Ref) (*kinds.Kind, types.NamespacedName, error) {
	k, ok := kinds.ByKind(ref.Kind)
	if !ok {
		return nil, types.NamespacedName{}, fmt.Errorf("unsupported kind %q", ref.Kind)
	}
	return k, types.NamespacedName{Namespace: ref.Namespace, Name: ref.Name}, nil
}

// Reconcile runs `ferry reconcile` on ref.
func (u *uiActions) Reconcile(ctx context.Context, ref kinds.Ref, withSource bool, log io.Writer) error {
	k, key, err := target(ref)
	if err != nil {
		return err
	}
	return u.verb(log).reconcile(ctx, u.c, k, key, withSource)
}

// Suspend runs `ferry suspend` on ref.
func (u *uiActions) Suspend(ctx context.Context, ref kinds.Ref, log io.Writer) error {
	k, key, err := target(ref)
	if err != nil {
		return err
	}
	return u.verb(log).suspend(ctx, u.c, k, key)
}

// Resume runs `ferry resume` on ref, waiting for the reconciliation.
func (u *uiActions) Resume(ctx context.Context, ref kinds.Ref, log io.Writer) error {
	k, key, err := target(ref)
	if err != nil {
		return err
	}
	return u.verb(log).resume(ctx, u.c, k, key, true)
}
