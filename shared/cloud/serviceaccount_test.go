package cloud_test

import (
	"testing"

	"github.com/ferry-gitops/ferry/shared/cloud"
)

func TestServiceAccountName(t *testing.T) {
	for _, tc := range []struct {
		provider, name, def, want string
	}{
		{provider: "aws", name: "own", def: "locked", want: "own"},
		{provider: "gcp", name: "", def: "locked", want: "locked"},
		{provider: "azure", name: "", def: "", want: ""},
		// Not a cloud: the name is something else (image pull secrets) and takes no default.
		{provider: "generic", name: "", def: "locked", want: ""},
		{provider: "", name: "pull", def: "locked", want: "pull"},
		{provider: "github", name: "", def: "locked", want: ""},
	} {
		if got := cloud.ServiceAccountName(tc.provider, tc.name, tc.def); got != tc.want {
			t.Errorf("ServiceAccountName(%q, %q, %q) = %q, want %q", tc.provider, tc.name, tc.def, got, tc.want)
		}
	}
}
