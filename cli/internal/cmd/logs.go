package cmd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/ferry-gitops/ferry/cli/internal/install"
	"github.com/ferry-gitops/ferry/cli/internal/logs"
)

// logsFlags are the flags of `ferry logs`.
type logsFlags struct {
	kind, name, level, fluxNamespace string
	follow, allNamespaces            bool
	since                            time.Duration
	tail                             int64
}

// newLogsCommand returns `ferry logs`.
func newLogsCommand(a *app) *cobra.Command {
	var f logsFlags
	c := &cobra.Command{
		Use:   "logs",
		Short: "Display formatted logs for Ferry's controllers",
		Long: "The logs command reads the controllers' logs through the Pod log API and shows the lines of\n" +
			"the objects asked for, as \"<time> <level> <Kind>/<name>.<namespace> - <message>\".",
		Example: `  # Print the reconciliation logs of every Kustomization of flux-system
  ferry logs --kind=Kustomization

  # Follow the errors of every namespace
  ferry logs --all-namespaces --level=error --follow`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := a.withTimeout(cmd.Context())
			defer cancel()
			if f.follow {
				ctx = cmd.Context() // following ends with Ctrl-C, not with --timeout
			}
			cfg, err := a.restConfig()
			if err != nil {
				return err
			}
			cs, err := kubernetes.NewForConfig(cfg)
			if err != nil {
				return fmt.Errorf("failed to create the Kubernetes client: %w", err)
			}
			filter := logs.Filter{Kind: f.kind, Name: f.name, Level: f.level, Namespace: a.flags.namespace}
			if f.allNamespaces {
				filter.Namespace = ""
			}
			return a.streamLogs(ctx, cs, f, filter)
		},
	}
	fs := c.Flags()
	fs.StringVar(&f.kind, "kind", "", "displays errors of a particular toolkit kind e.g GitRepository")
	fs.StringVar(&f.name, "name", "", "specifies the name of the object logs to be displayed")
	fs.StringVar(&f.level, "level", "", "log level, available options are: (debug, info, error)")
	fs.StringVar(&f.fluxNamespace, "flux-namespace", DefaultNamespace, "the namespace where the controllers run")
	fs.BoolVarP(&f.follow, "follow", "f", false, "specifies if the logs should be streamed")
	fs.BoolVarP(&f.allNamespaces, "all-namespaces", "A", false, "displays logs for objects across all namespaces")
	fs.DurationVar(&f.since, "since", 0, "only return logs newer than a relative duration like 5s, 2m, or 3h")
	fs.Int64Var(&f.tail, "tail", -1, "lines of recent log file to display")
	return c
}

// streamLogs prints the filtered lines of every controller pod's manager container.
func (a *app) streamLogs(ctx context.Context, cs kubernetes.Interface, f logsFlags, filter logs.Filter) error {
	pods, err := cs.CoreV1().Pods(f.fluxNamespace).List(ctx, metav1.ListOptions{LabelSelector: install.PartOfLabel + "=" + install.PartOfValue})
	if err != nil {
		return fmt.Errorf("failed to list the controllers' pods: %w", err)
	}
	if len(pods.Items) == 0 {
		return fmt.Errorf("no controller pods found in %s namespace", f.fluxNamespace)
	}
	sort.Slice(pods.Items, func(i, j int) bool { return pods.Items[i].Name < pods.Items[j].Name })
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		errs []error
	)
	for _, pod := range pods.Items {
		opts := &corev1.PodLogOptions{Container: "manager", Follow: f.follow}
		if f.since > 0 {
			secs := int64(f.since.Seconds())
			opts.SinceSeconds = &secs
		}
		if f.tail >= 0 {
			opts.TailLines = &f.tail
		}
		stream, err := cs.CoreV1().Pods(pod.Namespace).GetLogs(pod.Name, opts).Stream(ctx)
		if err != nil {
			errs = append(errs, fmt.Errorf("failed to get the logs of pod %s/%s: %w", pod.Namespace, pod.Name, err))
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer stream.Close()
			if err := copyLines(stream, a.opts.Out, &mu, filter); err != nil && ctx.Err() == nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("failed to read the logs of pod %s: %w", pod.Name, err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// copyLines writes the lines of r the filter keeps, one whole line at a time.
func copyLines(r io.Reader, w io.Writer, mu *sync.Mutex, filter logs.Filter) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line, keep := logs.Format(sc.Bytes(), filter)
		if !keep {
			continue
		}
		mu.Lock()
		_, err := fmt.Fprintln(w, line)
		mu.Unlock()
		if err != nil {
			return err
		}
	}
	return sc.Err()
}
