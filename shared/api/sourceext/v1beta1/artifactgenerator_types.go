package v1beta1

import (
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferry-gitops/ferry/shared/api/meta"
)

// ArtifactGeneratorKind is the kind name of ArtifactGenerator.
const ArtifactGeneratorKind = "ArtifactGenerator"

const (
	// Finalizer is put on every ArtifactGenerator so that its ExternalArtifacts and their
	// files are removed before it goes away.
	Finalizer = "source.extensions.fluxcd.io/finalizer"
	// GeneratorLabel is set on every generated ExternalArtifact to the name of the generator
	// (which lives in the artifact's namespace).
	GeneratorLabel = "source.extensions.fluxcd.io/generator"
	// ReconcileAnnotation set to "Disabled" (in any case) pauses the generator.
	ReconcileAnnotation = "source.extensions.fluxcd.io/reconcile"
	// DisabledValue is the value of ReconcileAnnotation that pauses the generator.
	DisabledValue = "Disabled"
	// OriginRevisionAnnotation is the artifact metadata key of the origin revision (a Git
	// commit), which originRevision copies from a source.
	OriginRevisionAnnotation = "org.opencontainers.image.revision"
	// ArtifactAlias names the generated artifact's root in copy destinations: "@artifact/".
	ArtifactAlias = "artifact"
)

// Copy strategies (spec.artifacts[].copy[].strategy).
const (
	// OverwriteStrategy replaces files copied earlier; it is the default.
	OverwriteStrategy = "Overwrite"
	// MergeStrategy merges a YAML file into one copied earlier, as Helm merges values files
	// given with several --values flags: maps are merged, anything else (lists too) replaced.
	MergeStrategy = "Merge"
	// ExtractStrategy unpacks tarballs (.tar.gz, .tgz) into the destination.
	ExtractStrategy = "Extract"
)

// Reasons of the ArtifactGenerator's conditions, besides the shared ones (Succeeded,
// ArtifactFailed, BuildFailed, ReconciliationFailed).
const (
	// AccessDeniedReason signals a cross-namespace source refused by --no-cross-namespace-refs.
	AccessDeniedReason = "AccessDenied"
	// ValidationFailedReason signals a spec that cannot work until it changes: an alias used
	// but not declared, a path leaving the root, two artifacts of one name.
	ValidationFailedReason = "ValidationFailed"
	// SourceFetchFailedReason signals a source that is missing, has no artifact yet, or whose
	// artifact cannot be read.
	SourceFetchFailedReason = "SourceFetchFailed"
	// OwnershipConflictReason signals an ExternalArtifact of an artifact's name that another
	// generator or controller owns.
	OwnershipConflictReason = "OwnershipConflict"
)

// CommonMetadata holds labels and annotations set on every generated ExternalArtifact.
type CommonMetadata struct {
	// Annotations added to the metadata of each generated object.
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`

	// Labels added to the metadata of each generated object.
	// +optional
	Labels map[string]string `json:"labels,omitempty"`
}

// ArtifactGeneratorSpec says which sources to read and which artifacts to compose from them.
// +kubebuilder:validation:XValidation:rule="(has(self.pathPattern) && size(self.pathPattern) > 0) || self.artifacts.all(a, a.name.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$') && size(a.name) <= 253)",message="artifact names must be valid Kubernetes object names when pathPattern is not set"
type ArtifactGeneratorSpec struct {
	// CommonMetadata holds labels and annotations set on every generated ExternalArtifact;
	// a key they share with the generator's own labels takes their value.
	// +optional
	CommonMetadata *CommonMetadata `json:"commonMetadata,omitempty"`

	// Sources are the source objects whose artifacts the copy operations read, each under an
	// alias.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=1000
	// +required
	Sources []SourceReference `json:"sources"`

	// PathPattern ("@<alias>/<pattern>") discovers directories of a source; its named
	// captures ("{app}") are placeholders in the artifacts' fields.
	// +kubebuilder:validation:Pattern="^@([a-z0-9]([a-z0-9_-]*[a-z0-9])?)/(.*)$"
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	PathPattern string `json:"pathPattern,omitempty"`

	// OutputArtifacts are the artifacts to compose, each published as an ExternalArtifact
	// of its name in the generator's namespace.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=1000
	// +required
	OutputArtifacts []OutputArtifact `json:"artifacts"`
}

// SourceReference names a source object and the alias copy operations read it by.
type SourceReference struct {
	// Alias of the source in the generator: unique, lowercase letters, digits, '_' and '-',
	// starting and ending with a letter or digit.
	// +kubebuilder:validation:Pattern="^[a-z0-9]([a-z0-9_-]*[a-z0-9])?$"
	// +kubebuilder:validation:MaxLength=63
	// +required
	Alias string `json:"alias"`

	// Name of the source object.
	// +kubebuilder:validation:Pattern="^[a-z0-9]([a-z0-9-]*[a-z0-9])?$"
	// +kubebuilder:validation:MaxLength=253
	// +required
	Name string `json:"name"`

	// Namespace of the source object; defaults to the generator's.
	// +kubebuilder:validation:Pattern="^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +optional
	Namespace string `json:"namespace,omitempty"`

	// Kind of the source object.
	// +kubebuilder:validation:Enum=Bucket;GitRepository;OCIRepository;HelmChart;ExternalArtifact
	// +required
	Kind string `json:"kind"`
}

// OutputArtifact describes one artifact to compose.
type OutputArtifact struct {
	// Name of the artifact, and of the ExternalArtifact that publishes it.
	// +kubebuilder:validation:MaxLength=1024
	// +required
	Name string `json:"name"`

	// Revision ("@<alias>") gives the artifact the revision of that source; by default the
	// revision is "latest@<digest of the content>".
	// +kubebuilder:validation:Pattern="^@([a-z0-9]([a-z0-9_-]*[a-z0-9])?)$"
	// +kubebuilder:validation:MaxLength=64
	// +optional
	Revision string `json:"revision,omitempty"`

	// OriginRevision ("@<alias>") records the origin revision of that source (a Git commit)
	// in the artifact's metadata as org.opencontainers.image.revision; a source without one
	// leaves it out.
	// +kubebuilder:validation:Pattern="^@([a-z0-9]([a-z0-9_-]*[a-z0-9])?)$"
	// +kubebuilder:validation:MaxLength=64
	// +optional
	OriginRevision string `json:"originRevision,omitempty"`

	// Copy operations, run in order; a later one overwrites (or merges into) what an earlier
	// one copied.
	// +kubebuilder:validation:MinItems=1
	// +required
	Copy []CopyOperation `json:"copy"`
}

// CopyOperation copies files of a source into the artifact.
type CopyOperation struct {
	// From is "@<alias>/<path or glob>": a file, a directory, or a glob where '*' matches
	// within one directory and '**' across directories.
	// +kubebuilder:validation:Pattern="^@([a-z0-9]([a-z0-9_-]*[a-z0-9])?)/(.*)$"
	// +kubebuilder:validation:MaxLength=1024
	// +required
	From string `json:"from"`

	// To is "@artifact/<path>", a path in the artifact; a trailing '/' makes it a directory.
	// +kubebuilder:validation:Pattern="^@(artifact)/(.*)$"
	// +kubebuilder:validation:MaxLength=1024
	// +required
	To string `json:"to"`

	// Exclude are globs of files From matches that are left out, matched against the path
	// below the part of From before its first glob; a pattern without '/' matches file names
	// at any depth.
	// +kubebuilder:validation:MaxItems=100
	// +optional
	Exclude []string `json:"exclude,omitempty"`

	// Strategy is Overwrite (the default), Merge (YAML) or Extract (tarballs).
	// +kubebuilder:validation:Enum=Overwrite;Merge;Extract
	// +optional
	Strategy string `json:"strategy,omitempty"`
}

// ExternalArtifactReference names a generated ExternalArtifact and the digest of its artifact.
type ExternalArtifactReference struct {
	// Name of the ExternalArtifact.
	// +required
	Name string `json:"name"`

	// Namespace of the ExternalArtifact.
	// +required
	Namespace string `json:"namespace"`

	// Digest of its artifact.
	// +required
	Digest string `json:"digest"`

	// Filename is the name of the artifact's file in the storage.
	// +required
	Filename string `json:"filename"`
}

// ArtifactGeneratorStatus is the observed state of an ArtifactGenerator.
type ArtifactGeneratorStatus struct {
	meta.ObjectStatus `json:",inline"`

	// Inventory lists the generated ExternalArtifacts.
	// +optional
	Inventory []ExternalArtifactReference `json:"inventory,omitempty"`

	// ObservedSourcesDigest is a digest of the artifacts of every source the current
	// artifacts were composed from.
	// +optional
	ObservedSourcesDigest string `json:"observedSourcesDigest,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:storageversion
// +kubebuilder:resource:shortName=ag,categories=all;fluxcd;fluxcd-sources
// +kubebuilder:metadata:annotations="kustomize.toolkit.fluxcd.io/substitute=disabled"
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].message`

// ArtifactGenerator composes artifacts from the files of other sources and publishes each as
// an ExternalArtifact.
type ArtifactGenerator struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec ArtifactGeneratorSpec `json:"spec,omitempty"`
	// +kubebuilder:default={"observedGeneration":-1}
	Status ArtifactGeneratorStatus `json:"status,omitempty"`
}

// ArtifactGeneratorList is a list of ArtifactGenerator objects.
// +kubebuilder:object:root=true
type ArtifactGeneratorList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ArtifactGenerator `json:"items"`
}

// GetObjectStatus returns the shared status fields.
func (in *ArtifactGenerator) GetObjectStatus() *meta.ObjectStatus { return &in.Status.ObjectStatus }

// IsSuspended reports whether the generator is paused: the annotation
// source.extensions.fluxcd.io/reconcile is "Disabled" (in any case). It has no spec.suspend.
func (in *ArtifactGenerator) IsSuspended() bool {
	v, ok := in.GetAnnotations()[ReconcileAnnotation]
	return ok && strings.EqualFold(v, DisabledValue)
}

// GetRequeueAfter returns an hour: a generator is woken by its sources' changes, and checks
// its artifacts hourly besides.
func (in *ArtifactGenerator) GetRequeueAfter() time.Duration { return time.Hour }
