package cmd

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	apimeta "k8s.io/apimachinery/pkg/api/meta"

	"github.com/ferry-gitops/ferry/cli/internal/kinds"
)

// getFlags are the flags of `ferry get`.
type getFlags struct {
	allNamespaces  bool
	noHeader       bool
	watch          bool
	output         string
	statusSelector string
}

// newGetCommand returns `ferry get <kind> [name]`.
func newGetCommand(a *app) *cobra.Command {
	var f getFlags
	c := &cobra.Command{
		Use:   "get <kind> [name]",
		Short: "Get the resources and their status",
		Long:  "The get command prints the status of toolkit objects. Kinds:\n\n" + kinds.Usage(),
		Example: `  # List the GitRepositories in flux-system
  ferry get sources git

  # List the Kustomizations of every namespace
  ferry get ks -A

  # List every toolkit object in a namespace
  ferry get all -n apps`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ks, rest, err := kinds.Parse(args)
			if err != nil {
				return err
			}
			if len(rest) > 1 {
				return fmt.Errorf("expected at most one name, got %q", strings.Join(rest, " "))
			}
			name := ""
			if len(rest) == 1 {
				name = rest[0]
			}
			return a.get(cmd.Context(), ks, name, f)
		},
	}
	c.Flags().BoolVarP(&f.allNamespaces, "all-namespaces", "A", false, "list the requested object(s) across all namespaces")
	c.Flags().BoolVar(&f.noHeader, "no-header", false, "skip the header when printing the results")
	c.Flags().BoolVarP(&f.watch, "watch", "w", false, "after listing the requested objects, watch for changes")
	c.Flags().StringVarP(&f.output, "output", "o", "", "output format, one of: yaml, json (the objects with their status, as a List); a table when empty")
	c.Flags().StringVar(&f.statusSelector, "status-selector", "", "specify the status condition name and the desired state to filter the get result, e.g. ready=false")
	return c
}

// get prints one table per kind of ks that has objects.
func (a *app) get(ctx context.Context, ks []*kinds.Kind, name string, f getFlags) error {
	ctx, cancel := a.withTimeout(ctx)
	defer cancel()
	c, err := a.client()
	if err != nil {
		return err
	}
	namespace := a.flags.namespace
	if f.allNamespaces {
		namespace = ""
	}
	sel, err := parseStatusSelector(f.statusSelector)
	if err != nil {
		return err
	}
	if f.output != "" {
		return a.printObjects(ctx, c, ks, namespace, name, sel, f.output)
	}
	several := len(ks) > 1
	printed := false
	for _, k := range ks {
		objs, err := list(ctx, c, k, namespace, name)
		if several && apimeta.IsNoMatchError(err) {
			continue // the CRD of this kind is not installed: nothing to show
		}
		if err != nil {
			return err
		}
		objs = sel.filter(objs)
		if len(objs) == 0 {
			if !several {
				a.reportNone(k, name, namespace)
			}
			continue
		}
		if printed {
			fmt.Fprintln(a.opts.Out)
		}
		if err := printTable(a.opts.Out, k, objs, tableOptions{
			namespaces: f.allNamespaces, kindPrefix: several, noHeader: f.noHeader,
		}); err != nil {
			return err
		}
		printed = true
	}
	if f.watch {
		return a.watch(ctx, ks, namespace, name, sel, tableOptions{namespaces: f.allNamespaces, kindPrefix: several, noHeader: true})
	}
	return nil
}

// reportNone says that no object matched, as flux does: on the error stream, without
// failing.
func (a *app) reportNone(k *kinds.Kind, name, namespace string) {
	where := fmt.Sprintf("%q namespace", namespace)
	if namespace == "" {
		where = "any namespace"
	}
	if name != "" {
		a.failuref("%s object '%s' not found in %s", k, name, where)
		return
	}
	a.failuref("no %s objects found in %s", k, where)
}

// tableOptions say how printTable lays out the table.
type tableOptions struct {
	// namespaces adds a NAMESPACE column first.
	namespaces bool
	// kindPrefix writes names as kind/name, for tables of several kinds.
	kindPrefix bool
	// noHeader leaves out the header line.
	noHeader bool
}

// printTable writes objs of kind k as an aligned table.
func printTable(w io.Writer, k *kinds.Kind, objs []kinds.Object, o tableOptions) error {
	var rows [][]string
	if !o.noHeader {
		rows = append(rows, withNamespace(o.namespaces, "NAMESPACE", k.Headers()))
	}
	for _, obj := range objs {
		row := k.Row(obj)
		if o.kindPrefix {
			row[0] = strings.ToLower(k.Kind) + "/" + row[0]
		}
		rows = append(rows, withNamespace(o.namespaces, obj.GetNamespace(), row))
	}
	return writeRows(w, rows)
}

// writeRows writes rows as an aligned table, each cell on one line.
func writeRows(w io.Writer, rows [][]string) error {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 8, 3, ' ', 0)
	for _, row := range rows {
		fmt.Fprintln(tw, strings.Join(cells(row), "\t"))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("failed to format the table: %w", err)
	}
	for _, line := range strings.SplitAfter(buf.String(), "\n") {
		if line == "" {
			continue
		}
		if _, err := io.WriteString(w, strings.TrimRight(line, " \n")+"\n"); err != nil {
			return fmt.Errorf("failed to print the table: %w", err)
		}
	}
	return nil
}

// cells flattens the whitespace of each cell, so that a multi-line message keeps to its row.
func cells(row []string) []string {
	out := make([]string, len(row))
	for i, cell := range row {
		out[i] = strings.Join(strings.Fields(cell), " ")
	}
	return out
}

// withNamespace prepends namespace to row when namespaces is set.
func withNamespace(namespaces bool, namespace string, row []string) []string {
	if !namespaces {
		return row
	}
	return append([]string{namespace}, row...)
}
