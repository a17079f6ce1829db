// Package cmd holds the commands of the ferry CLI, one file per verb. The commands take
// the kinds they act on from package kinds, so that every verb works on every kind.
package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/spf13/cobra"
)

// DefaultNamespace is the namespace the commands act in when -n is not given, as for flux.
const DefaultNamespace = "flux-system"

// DefaultTimeout bounds a whole command, waits included, when --timeout is not given.
const DefaultTimeout = 5 * time.Minute

// DefaultPollInterval is how often reconcile and resume look at the object while they wait.
const DefaultPollInterval = time.Second

// Options carries what the commands take from outside the command line.
type Options struct {
	// Version is the client version printed by `ferry version`.
	Version string
	// In is where questions are answered; os.Stdin when nil.
	In io.Reader
	// Out receives the command's results (tables); os.Stdout when nil.
	Out io.Writer
	// Err receives progress messages and errors; os.Stderr when nil.
	Err io.Writer
	// PollInterval is how often waits look at the object; DefaultPollInterval when zero.
	PollInterval time.Duration
}

// globalFlags are the flags every command takes.
type globalFlags struct {
	kubeconfig string
	context    string
	namespace  string
	timeout    time.Duration
}

// app is what the commands of one invocation share: the options and the global flags.
type app struct {
	opts  Options
	flags globalFlags
}

// NewRootCommand returns the ferry command with all its sub-commands.
func NewRootCommand(opts Options) *cobra.Command {
	if opts.Out == nil {
		opts.Out = os.Stdout
	}
	if opts.In == nil {
		opts.In = os.Stdin
	}
	if opts.Err == nil {
		opts.Err = os.Stderr
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = DefaultPollInterval
	}
	a := &app{opts: opts}
	root := &cobra.Command{
		Use:           "ferry",
		Short:         "Command line utility for the Ferry GitOps toolkit",
		Long:          "ferry drives the Ferry GitOps toolkit, which speaks Flux's APIs: it lists, reconciles,\nsuspends and resumes sources, Kustomizations, HelmReleases and the other toolkit kinds.",
		Version:       opts.Version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(opts.Out)
	root.SetErr(opts.Err)
	pf := root.PersistentFlags()
	pf.StringVar(&a.flags.kubeconfig, "kubeconfig", "", "path to the kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
	pf.StringVar(&a.flags.context, "context", "", "kubeconfig context to use")
	pf.StringVarP(&a.flags.namespace, "namespace", "n", DefaultNamespace, "the namespace scope for this operation")
	pf.DurationVar(&a.flags.timeout, "timeout", DefaultTimeout, "timeout for this operation")
	root.AddCommand(
		newVersionCommand(a),
		newGetCommand(a),
		newReconcileCommand(a),
		newSuspendCommand(a),
		newResumeCommand(a),
		newInstallCommand(a),
		newUninstallCommand(a),
		newCheckCommand(a),
		newCreateCommand(a),
		newBootstrapCommand(a),
		newExportCommand(a),
		newDeleteCommand(a),
		newEventsCommand(a),
		newTreeCommand(a),
		newTraceCommand(a),
		newStatsCommand(a),
		newLogsCommand(a),
		newBuildCommand(a),
		newDiffCommand(a),
		newUICommand(a),
	)
	return root
}

// Execute runs ferry with the process's arguments and returns its exit code.
func Execute(version string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	root := NewRootCommand(Options{Version: version})
	if err := root.ExecuteContext(ctx); err != nil {
		if !errors.Is(err, ErrDiffers) {
			fmt.Fprintf(root.ErrOrStderr(), "✗ %v\n", err)
		}
		return 1
	}
	return 0
}

// withTimeout bounds ctx by --timeout.
func (a *app) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, a.flags.timeout)
}

// actionf reports an action about to be taken.
func (a *app) actionf(format string, args ...any) { a.logf("►", format, args...) }

// successf reports an action that succeeded.
func (a *app) successf(format string, args ...any) { a.logf("✔", format, args...) }

// waitingf reports a wait that starts.
func (a *app) waitingf(format string, args ...any) { a.logf("◎", format, args...) }

// failuref reports a failure that does not stop the command.
func (a *app) failuref(format string, args ...any) { a.logf("✗", format, args...) }

// logf writes one progress line to the error stream.
func (a *app) logf(symbol, format string, args ...any) {
	fmt.Fprintf(a.opts.Err, symbol+" "+format+"\n", args...)
}
