// Command crdgen generates the API's deepcopy functions and its CRDs into deploy/crds:
// controller-gen writes the storage versions from the Go types, then the older versions users
// still write (helm v2beta1/v2beta2, image v1beta1/v1beta2) are added as served versions
// with the storage schema plus their legacy fields, converted by the API server (strategy None).
//
// Run it from the shared module: go run ./tools/crdgen -crds ../deploy/crds
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	out := flag.String("crds", "../deploy/crds", "directory the CRDs are written to")
	objects := flag.Bool("deepcopy", true, "also generate deepcopy functions")
	coverage := flag.Bool("coverage", false, "print the API surface coverage of the CRDs in -crds and exit")
	surface := flag.String("surface", "testing/fixtures/testdata/surface.txt", "the surface file, with -coverage")
	flag.Parse()
	if err := run(*out, *objects, *coverage, *surface); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(out string, objects, coverage bool, surface string) error {
	if coverage {
		rep, err := Coverage(surface, out)
		if err != nil {
			return err
		}
		fmt.Print(rep.String())
		return nil
	}
	if objects {
		if err := controllerGen(".", "object", "paths=./api/..."); err != nil {
			return err
		}
	}
	return Generate(".", out)
}
