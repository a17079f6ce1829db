package helmrepository

import (
	"fmt"
	"net/url"

	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/runtime/unsupported"
)

// unsupportedFields are the HelmRepository fields Ferry refuses: an object setting one is
// stalled before anything is fetched, and the HelmCharts using it wait.
var unsupportedFields = []unsupported.Rule{
	// Nothing enforces the access list (Flux deprecated it unimplemented): a user relying on it
	// to keep other namespaces out would be silently unprotected. The message names the kind,
	// as it stands for every field below spec.accessFrom.
	{Path: "spec.accessFrom", Message: "spec.accessFrom is not supported by Ferry: HelmRepository access lists are not enforced; remove the field"},
}

// Refused returns an error naming the refused fields obj sets, or why its spec.provider
// cannot be used, or nil. HelmCharts do not use such a repository: an OCI repository has no
// artifact to hold them back.
func Refused(obj *sourcev1.HelmRepository) error {
	if err := unsupported.Check(obj, unsupportedFields); err != nil {
		return err
	}
	return providerError(obj)
}

// providerError returns why obj's spec.provider cannot be used, or nil: a cloud login is for
// a registry (type oci) of the provider, and is the only source of credentials.
func providerError(obj *sourcev1.HelmRepository) error {
	p := obj.Spec.Provider
	if !cloud.IsCloud(p) {
		return nil
	}
	if !obj.IsOCI() {
		return fmt.Errorf("spec.provider %s applies to HelmRepositories of type oci only: set spec.type to oci, or spec.provider to generic", p)
	}
	u, err := url.Parse(obj.Spec.URL)
	if err != nil {
		return nil // validate reports the URL
	}
	return cloud.CheckRegistrySpec(p, u.Host, "", obj.Spec.SecretRef != nil, false)
}
