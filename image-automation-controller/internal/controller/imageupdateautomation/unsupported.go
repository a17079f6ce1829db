package imageupdateautomation

import "github.com/ferry-gitops/ferry/shared/runtime/unsupported"

// unsupportedFields are the ImageUpdateAutomation fields Ferry accepts but does not
// implement: an object setting one is stalled before anything is fetched. There are none:
// spec.git.commit.signingKey.type ssh, once refused, is implemented (workspace.SSHSigner).
var unsupportedFields []unsupported.Rule
