// Package controller holds what the reconcilers of every source kind share: Artifacts, the one
// way a kind checks, stores and removes its artifacts (lock, write, status, event, garbage
// collection, log), the reconcile.Kind of a source kind, the reading of the Secrets of a
// HelmRepository, and the controller's settings. Each kind lives in its own sub-package
// (gitrepository, ocirepository, helmrepository, helmchart, bucket) exporting
// Setup(mgr, rt, deps).
package controller

import (
	"sync"

	"github.com/ferry-gitops/ferry/shared/runtime/manager"
	"github.com/ferry-gitops/ferry/source-controller/internal/helm/index"
	"github.com/ferry-gitops/ferry/source-controller/internal/storage"
)

// Deps is what every source kind's reconciler needs besides the manager and the runtime.
type Deps struct {
	// Storage stores the artifacts and builds their URLs.
	Storage *storage.Storage
	// Options are the controller's shared start-up settings (concurrency, cross-namespace
	// references, retry delays).
	Options *manager.Options
	// Helm bounds what is read from Helm repositories.
	Helm HelmLimits

	indexesOnce sync.Once
	indexes     *index.Cache
}

// HelmIndexes returns the parsed Helm repository indexes by the digest of their artifact,
// shared by the reconcilers given these Deps: the index a HelmRepository parses while storing
// it is the one its HelmCharts resolve versions from, never parsed again.
func (d *Deps) HelmIndexes() *index.Cache {
	d.indexesOnce.Do(func() { d.indexes = index.NewCache(0) })
	return d.indexes
}

// HelmLimits bound the sizes read from Helm repositories (--helm-*-max-size).
type HelmLimits struct {
	// IndexMaxSize is the largest index.yaml fetched, in bytes.
	IndexMaxSize int64
	// ChartMaxSize is the largest packaged chart fetched, in bytes.
	ChartMaxSize int64
	// ChartFileMaxSize is the largest single file read from a chart, in bytes.
	ChartFileMaxSize int64
}

// DefaultHelmLimits are Flux's defaults: a 50 MiB index, 10 MiB charts, 5 MiB files.
func DefaultHelmLimits() HelmLimits {
	return HelmLimits{IndexMaxSize: 50 << 20, ChartMaxSize: 10 << 20, ChartFileMaxSize: 5 << 20}
}
