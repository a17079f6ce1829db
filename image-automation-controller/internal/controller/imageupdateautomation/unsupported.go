package imageupdateautomation

import "github.com/ferry-gitops/ferry/shared/runtime/unsupported"

// unsupportedFields are the ImageUpdateAutomation fields Ferry refuses: an object setting
// one is stalled before anything is fetched.
var unsupportedFields = []unsupported.Rule{
	// Signing with an SSH key (git's gpg.format=ssh) is not implemented.
	{Path: "spec.git.commit.signingKey.type", Values: []string{"ssh"},
		Message: "spec.git.commit.signingKey.type ssh is not supported by Ferry: sign with an OpenPGP key (type gpg, the key in 'git.asc')"},
}
