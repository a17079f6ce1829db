package v1

import "github.com/ferry-gitops/ferry/shared/api/meta"

// GitSpec holds the Git settings of an ImageUpdateAutomation.
type GitSpec struct {
	// Checkout says which ref to clone; without it the ref of the GitRepository is used.
	// +optional
	Checkout *GitCheckoutSpec `json:"checkout,omitempty"`

	// Commit says how to write the commit.
	// +required
	Commit CommitSpec `json:"commit"`

	// Push says where to push; without it the commit goes back to the checked-out branch.
	// +optional
	Push *PushSpec `json:"push,omitempty"`
}

// HasRefspec reports whether a push refspec is set.
func (in *GitSpec) HasRefspec() bool { return in.Push != nil && in.Push.Refspec != "" }

// GitCheckoutSpec says which ref to clone.
type GitCheckoutSpec struct {
	// Reference is the branch, tag, semver range, ref name or commit to clone.
	// +required
	Reference GitRepositoryRef `json:"ref"`
}

// GitRepositoryRef selects a Git reference; it has the shape of a GitRepository's
// spec.ref. When several fields are set, commit wins over name, name over semver, semver
// over tag, and tag over branch.
type GitRepositoryRef struct {
	// Branch to check out.
	// +optional
	Branch string `json:"branch,omitempty"`

	// Tag to check out.
	// +optional
	Tag string `json:"tag,omitempty"`

	// SemVer is a range; the highest matching tag is checked out.
	// +optional
	SemVer string `json:"semver,omitempty"`

	// Name is a full reference name, such as `refs/heads/main` or `refs/pull/42/head`.
	// +optional
	Name string `json:"name,omitempty"`

	// Commit is a commit hash to check out.
	// +optional
	Commit string `json:"commit,omitempty"`
}

// CommitSpec says how the automation writes its commits.
type CommitSpec struct {
	// Author is the commit author (and committer).
	// +required
	Author CommitUser `json:"author"`

	// SigningKey names a Secret with a key used to sign the commits.
	// +optional
	SigningKey *SigningKey `json:"signingKey,omitempty"`

	// MessageTemplate is a Go text/template for the commit message, rendered over the
	// changes made (`.Changed`) and the automation object. The former `.Updated` data is
	// gone in v1.
	// +optional
	MessageTemplate string `json:"messageTemplate,omitempty"`

	// MessageTemplateValues are extra values the message template can read as `.Values`.
	// +optional
	MessageTemplateValues map[string]string `json:"messageTemplateValues,omitempty"`
}

// CommitUser is the identity written into commits.
type CommitUser struct {
	// Name is the author name.
	// +optional
	Name string `json:"name,omitempty"`

	// Email is the author email address.
	// +required
	Email string `json:"email"`
}

// SigningKeyType is the format of a commit signing key.
// +kubebuilder:validation:Enum=gpg;ssh
type SigningKeyType string

// Signing key formats.
const (
	// SigningKeyTypeGPG is an ASCII-armored OpenPGP key pair in the Secret key `git.asc`,
	// with an optional `passphrase`.
	SigningKeyTypeGPG SigningKeyType = "gpg"
	// SigningKeyTypeSSH is an SSH private key in the Secret key `identity`, with an
	// optional `password`, the layout of a GitRepository SSH Secret.
	SigningKeyTypeSSH SigningKeyType = "ssh"
)

// SigningKey names the Secret, in the automation's namespace, that holds the commit
// signing key.
type SigningKey struct {
	// SecretRef names the Secret holding the key.
	// +required
	SecretRef meta.LocalObjectReference `json:"secretRef"`

	// Type is the key format; gpg when empty.
	// +optional
	Type SigningKeyType `json:"type,omitempty"`
}

// GetType returns the key format, SigningKeyTypeGPG when none is set.
func (in *SigningKey) GetType() SigningKeyType {
	if in.Type == "" {
		return SigningKeyTypeGPG
	}
	return in.Type
}

// PushSpec says where commits are pushed.
type PushSpec struct {
	// Branch is the branch to push to; it is created from the checked-out ref if missing.
	// +optional
	Branch string `json:"branch,omitempty"`

	// Refspec is a Git refspec to push with, in addition to branch when both are set.
	// Deleting and forced (`+`) refspecs are refused.
	// +kubebuilder:validation:Pattern="^$|^[^+:]"
	// +optional
	Refspec string `json:"refspec,omitempty"`

	// Options are Git push options (`git push -o key=value`) sent to the server.
	// +optional
	Options map[string]string `json:"options,omitempty"`
}
