package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-gitops/ferry/e2e/fleet"
)

// TestDockerfilesAgree: the controllers' Dockerfiles (for users who build with Docker; make
// images builds the same images without it) are one recipe with the controller's name in it,
// so a change to one must be made to all. It also checks what the recipe promises: a static
// build, a scratch image, the non-root user and the binary as entrypoint.
func TestDockerfilesAgree(t *testing.T) {
	const model = "source-controller"
	read := func(name string) string {
		data, err := os.ReadFile(filepath.Join("..", name, "Dockerfile"))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	recipe := read(model)
	for _, want := range []string{"CGO_ENABLED=0", "FROM scratch", "USER 65534:65534", `ENTRYPOINT ["/usr/local/bin/` + model + `"]`} {
		if !strings.Contains(recipe, want) {
			t.Errorf("%s/Dockerfile lacks %q", model, want)
		}
	}
	for _, c := range fleet.Controllers {
		if got, want := read(c), strings.ReplaceAll(recipe, model, c); got != want {
			t.Errorf("%s/Dockerfile is not %s/Dockerfile with the name replaced", c, model)
		}
	}
}
