package meta

// ResourceInventory lists the objects a Kustomization or HelmRelease applied.
type ResourceInventory struct {
	// Entries holds one reference per applied object.
	// +required
	Entries []ResourceRef `json:"entries"`
}

// ResourceRef identifies one applied object.
type ResourceRef struct {
	// ID is the object's identity in the form <namespace>_<name>_<group>_<kind>.
	// +required
	ID string `json:"id"`

	// Version is the API version the object was applied with.
	// +required
	Version string `json:"v"`
}
