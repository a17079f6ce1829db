package artifactgenerator

import "github.com/ferry-gitops/ferry/shared/runtime/unsupported"

// unsupportedFields are the ArtifactGenerator fields Ferry accepts but does not implement:
// a generator that sets one is stalled before any source is read. It refuses none.
var unsupportedFields []unsupported.Rule
