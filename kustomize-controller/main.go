// Command kustomize-controller is Ferry's kustomize-controller.
package main

import "github.com/ferry-gitops/ferry/shared/runtime/manager"

const controllerName = "kustomize-controller"

func main() {
	manager.Main(manager.Program{
		Name:              controllerName,
		DefaultConcurrent: 4,
		// Its reconcilers land with their own issue: until then it serves health and metrics only.
		IgnoredFlags: map[string]manager.FlagKind{
			"no-remote-bases": manager.BoolFlag, "sops-age-secret": manager.StringFlag, "http-retry": manager.StringFlag,
		},
	})
}
