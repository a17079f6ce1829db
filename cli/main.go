// Command ferry is the command-line tool of the Ferry GitOps toolkit.
package main

import (
	"os"

	"github.com/ferry-gitops/ferry/cli/internal/cmd"
)

// version is the client version, set at build time with
// -ldflags "-X main.version=<version>".
var version = "dev"

func main() {
	os.Exit(cmd.Execute(version))
}
