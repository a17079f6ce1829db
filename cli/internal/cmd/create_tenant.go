package cmd

import (
	"errors"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TenantLabel marks the objects of a tenant, as flux labels them.
const TenantLabel = "toolkit.fluxcd.io/tenant"

func newCreateTenantCommand(a *app, cf *createFlags) *cobra.Command {
	var namespaces []string
	var clusterRole string
	c := &cobra.Command{
		Use:   "tenant [name]",
		Short: "Create or update a tenant",
		Long: "The tenant command generates, for each namespace, the Namespace, a ServiceAccount named\n" +
			"after the tenant and a RoleBinding of the cluster role to it and to the reconciler user.",
		Example: `  # Create a tenant with access to a namespace
  ferry create tenant dev-team \
    --with-namespace=frontend \
    --label=instance=frontend`,
		RunE: func(cmd *cobra.Command, args []string) error {
			name, err := nameArg(args, "tenant")
			if err != nil {
				return err
			}
			if len(namespaces) == 0 {
				return errors.New("at least one namespace is required (--with-namespace)")
			}
			labels, err := parseLabels(cf.labels)
			if err != nil {
				return err
			}
			if labels == nil {
				labels = map[string]string{}
			}
			labels[TenantLabel] = name
			var objs []client.Object
			for _, ns := range namespaces {
				objs = append(objs, tenantObjects(name, ns, clusterRole, labels)...)
			}
			return a.finishCreate(cmd.Context(), cf, created{what: "tenant", objs: objs})
		},
	}
	c.Flags().StringSliceVar(&namespaces, "with-namespace", nil, "namespace belonging to this tenant")
	c.Flags().StringVar(&clusterRole, "cluster-role", "cluster-admin", "cluster role of the tenant role binding")
	return c
}

// tenantObjects returns the Namespace, ServiceAccount and RoleBinding of tenant in ns.
func tenantObjects(tenant, ns, clusterRole string, labels map[string]string) []client.Object {
	namespace := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: labels}}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: tenant, Namespace: ns, Labels: labels}}
	rb := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: tenant + "-reconciler", Namespace: ns, Labels: labels},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: clusterRole},
		Subjects: []rbacv1.Subject{
			{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: "gotk:" + ns + ":reconciler"},
			{Kind: rbacv1.ServiceAccountKind, Name: tenant, Namespace: ns},
		},
	}
	return []client.Object{namespace, sa, rb}
}
