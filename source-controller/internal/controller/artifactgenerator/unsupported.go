package artifactgenerator

import "github.com/ferry-gitops/ferry/shared/runtime/unsupported"

// unsupportedFields are the ArtifactGenerator fields Ferry accepts but does not implement:
// a generator that sets one is stalled before any source is read.
var unsupportedFields = []unsupported.Rule{
	// Directory discovery with named captures is not implemented; without it the artifacts'
	// placeholders ("{app}") would be taken literally.
	{Path: "spec.pathPattern",
		Message: "spec.pathPattern is not supported by Ferry: list each artifact in spec.artifacts"},
}
