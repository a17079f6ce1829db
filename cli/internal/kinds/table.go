package kinds

import (
	"time"

	"k8s.io/apimachinery/pkg/runtime"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	notificationv1 "github.com/ferry-gitops/ferry/shared/api/notification/v1"
	notificationv1beta3 "github.com/ferry-gitops/ferry/shared/api/notification/v1beta3"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
)

// The command groups, with the words the flux CLI uses for them.
var (
	sources = &Group{Name: "sources", Aliases: []string{"source"}}
	images  = &Group{Name: "images", Aliases: []string{"image"}}
	groups  = []*Group{sources, images}
)

// suspended is the SUSPENDED column: spec.suspend as "True" or "False".
var suspended = Column{Header: "SUSPENDED", Value: func(obj Object) string {
	if obj.IsSuspended() {
		return "True"
	}
	return "False"
}}

// table lists every kind, in the order `get all` prints them.
var table = []*Kind{
	define[sourcev1.GitRepository, sourcev1.GitRepositoryList](Kind{
		Kind: sourcev1.GitRepositoryKind, GroupVersion: sourcev1.GroupVersion,
		Group: sources, Name: "git", Aliases: []string{"gitrepository", "gitrepositories"},
		Revision: artifactRevision, Columns: []Column{suspended},
	}),
	define[sourcev1.OCIRepository, sourcev1.OCIRepositoryList](Kind{
		Kind: sourcev1.OCIRepositoryKind, GroupVersion: sourcev1.GroupVersion,
		Group: sources, Name: "oci", Aliases: []string{"ocirepository", "ocirepositories"},
		Revision: artifactRevision, Columns: []Column{suspended},
	}),
	define[sourcev1.HelmRepository, sourcev1.HelmRepositoryList](Kind{
		Kind: sourcev1.HelmRepositoryKind, GroupVersion: sourcev1.GroupVersion,
		Group: sources, Name: "helm", Aliases: []string{"helmrepository", "helmrepositories"},
		Revision: artifactRevision, Columns: []Column{suspended},
	}),
	define[sourcev1.HelmChart, sourcev1.HelmChartList](Kind{
		Kind: sourcev1.HelmChartKind, GroupVersion: sourcev1.GroupVersion,
		Group: sources, Name: "chart", Aliases: []string{"helmchart", "helmcharts"},
		Revision: artifactRevision, Columns: []Column{suspended},
		Source: typedSource(helmChartSource),
	}),
	define[sourcev1.Bucket, sourcev1.BucketList](Kind{
		Kind: sourcev1.BucketKind, GroupVersion: sourcev1.GroupVersion,
		Group: sources, Name: "bucket", Aliases: []string{"buckets"},
		Revision: artifactRevision, Columns: []Column{suspended},
	}),
	define[kustomizev1.Kustomization, kustomizev1.KustomizationList](Kind{
		Kind: kustomizev1.KustomizationKind, GroupVersion: kustomizev1.GroupVersion,
		Name: "kustomizations", Aliases: []string{"kustomization", "ks"},
		Revision: typed(kustomizationRevision), Columns: []Column{suspended},
		Source: typedSource(kustomizationSource),
	}),
	define[helmv2.HelmRelease, helmv2.HelmReleaseList](Kind{
		Kind: helmv2.HelmReleaseKind, GroupVersion: helmv2.GroupVersion,
		Name: "helmreleases", Aliases: []string{"helmrelease", "hr"},
		Revision: typed(helmReleaseRevision), Columns: []Column{suspended},
		Source: typedSource(helmReleaseSource),
	}),
	define[imagev1.ImageRepository, imagev1.ImageRepositoryList](Kind{
		Kind: imagev1.ImageRepositoryKind, GroupVersion: imagev1.GroupVersion,
		Group: images, Name: "repository", Aliases: []string{"repositories", "imagerepository", "imagerepositories"},
		Columns: []Column{{Header: "LAST SCAN", Value: typed(lastScan)}, suspended},
	}),
	define[imagev1.ImagePolicy, imagev1.ImagePolicyList](Kind{
		Kind: imagev1.ImagePolicyKind, GroupVersion: imagev1.GroupVersion,
		Group: images, Name: "policy", Aliases: []string{"policies", "imagepolicy", "imagepolicies"},
		Columns: []Column{
			{Header: "IMAGE", Value: typed(func(o *imagev1.ImagePolicy) string { return latestRef(o).Name })},
			{Header: "TAG", Value: typed(func(o *imagev1.ImagePolicy) string { return latestRef(o).Tag })},
		},
	}),
	define[imagev1.ImageUpdateAutomation, imagev1.ImageUpdateAutomationList](Kind{
		Kind: imagev1.ImageUpdateAutomationKind, GroupVersion: imagev1.GroupVersion,
		Group: images, Name: "update", Aliases: []string{"updates", "imageupdateautomation", "imageupdateautomations"},
		Columns: []Column{{Header: "LAST RUN", Value: typed(lastRun)}, suspended},
	}),
	define[notificationv1beta3.Alert, notificationv1beta3.AlertList](Kind{
		Kind: notificationv1beta3.AlertKind, GroupVersion: notificationv1beta3.GroupVersion,
		Name: "alerts", Aliases: []string{"alert"},
		Columns: []Column{suspended},
	}),
	define[notificationv1beta3.Provider, notificationv1beta3.ProviderList](Kind{
		Kind: notificationv1beta3.ProviderKind, GroupVersion: notificationv1beta3.GroupVersion,
		Name: "alert-providers", Aliases: []string{"alert-provider", "providers", "provider"},
		Columns: []Column{suspended},
	}),
	define[notificationv1.Receiver, notificationv1.ReceiverList](Kind{
		Kind: notificationv1.ReceiverKind, GroupVersion: notificationv1.GroupVersion,
		Name: "receivers", Aliases: []string{"receiver", "rcv"},
		Columns: []Column{suspended},
	}),
}

// AddToScheme registers the API groups of every kind of the table.
func AddToScheme(s *runtime.Scheme) error {
	for _, add := range []func(*runtime.Scheme) error{
		sourcev1.AddToScheme, kustomizev1.AddToScheme, helmv2.AddToScheme, imagev1.AddToScheme,
		notificationv1.AddToScheme, notificationv1beta3.AddToScheme,
	} {
		if err := add(s); err != nil {
			return err
		}
	}
	return nil
}

// artifactRevision reads status.artifact.revision of a source.
func artifactRevision(obj Object) string {
	if src, ok := obj.(sourcev1.Source); ok && src.GetArtifact() != nil {
		return src.GetArtifact().Revision
	}
	return ""
}

// kustomizationRevision reads the revision last applied.
func kustomizationRevision(obj *kustomizev1.Kustomization) string {
	return obj.Status.LastAppliedRevision
}

// helmReleaseRevision reads the chart version of the newest release, or of the last
// attempt when there is no release yet.
func helmReleaseRevision(obj *helmv2.HelmRelease) string {
	if latest := obj.Status.History.Latest(); latest != nil {
		return latest.ChartVersion
	}
	return obj.Status.LastAttemptedRevision
}

// kustomizationSource names the source whose artifact the Kustomization builds.
func kustomizationSource(obj *kustomizev1.Kustomization) (Ref, bool) {
	ref := obj.Spec.SourceRef
	return Ref{Kind: ref.Kind, Namespace: orDefault(ref.Namespace, obj.Namespace), Name: ref.Name}, true
}

// helmReleaseSource names the chart source of the HelmRelease: the object of
// spec.chartRef, or the HelmChart made from spec.chart.
func helmReleaseSource(obj *helmv2.HelmRelease) (Ref, bool) {
	switch {
	case obj.Spec.ChartRef != nil:
		ref := obj.Spec.ChartRef
		return Ref{Kind: ref.Kind, Namespace: orDefault(ref.Namespace, obj.Namespace), Name: ref.Name}, true
	case obj.Spec.Chart != nil:
		if ns, name := obj.Status.GetHelmChart(); name != "" {
			return Ref{Kind: sourcev1.HelmChartKind, Namespace: ns, Name: name}, true
		}
		ns := obj.Spec.Chart.GetNamespace(obj.Namespace)
		return Ref{Kind: sourcev1.HelmChartKind, Namespace: ns, Name: obj.GetHelmChartName()}, true
	}
	return Ref{}, false
}

// helmChartSource names the source the HelmChart fetches or packages the chart from.
func helmChartSource(obj *sourcev1.HelmChart) (Ref, bool) {
	ref := obj.Spec.SourceRef
	return Ref{Kind: ref.Kind, Namespace: obj.Namespace, Name: ref.Name}, true
}

// lastScan reads when the image repository was last scanned.
func lastScan(obj *imagev1.ImageRepository) string {
	if r := obj.Status.LastScanResult; r != nil && !r.ScanTime.IsZero() {
		return r.ScanTime.UTC().Format(time.RFC3339)
	}
	return ""
}

// latestRef returns the image the policy elected, or an empty reference.
func latestRef(obj *imagev1.ImagePolicy) imagev1.ImageRef {
	if obj.Status.LatestRef == nil {
		return imagev1.ImageRef{}
	}
	return *obj.Status.LatestRef
}

// lastRun reads when the image update automation last ran.
func lastRun(obj *imagev1.ImageUpdateAutomation) string {
	if t := obj.Status.LastAutomationRunTime; t != nil {
		return t.UTC().Format(time.RFC3339)
	}
	return ""
}

// orDefault returns s, or def when s is empty.
func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
