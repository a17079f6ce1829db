// Command helm-controller is Ferry's helm-controller.
package main

import "github.com/ferry-gitops/ferry/shared/runtime/manager"

const controllerName = "helm-controller"

func main() {
	manager.Main(manager.Program{
		Name:              controllerName,
		DefaultConcurrent: 4,
		// Its reconcilers land with their own issue: until then it serves health and metrics only.
		IgnoredFlags: map[string]manager.FlagKind{
			"http-retry": manager.StringFlag, "snapshot-digest-algo": manager.StringFlag,
		},
	})
}
