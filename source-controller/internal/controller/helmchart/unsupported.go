package helmchart

import "github.com/ferry-gitops/ferry/shared/runtime/unsupported"

// unsupportedFields are the HelmChart fields Ferry refuses: an object setting one is stalled
// before any chart is pulled, packaged or served.
// spec.verify is refused for charts that do not come from an OCI HelmRepository, and for
// keyless verification against the public Sigstore instance, by the source step (it depends on
// the source), before any chart is pulled.
var unsupportedFields = []unsupported.Rule{}
