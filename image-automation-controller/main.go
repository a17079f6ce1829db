// Command image-automation-controller is Ferry's image-automation-controller.
package main

import "github.com/ferry-gitops/ferry/shared/runtime/manager"

const controllerName = "image-automation-controller"

func main() {
	manager.Main(manager.Program{
		Name:              controllerName,
		DefaultConcurrent: 4,
		// Its reconcilers land with their own issue: until then it serves health and metrics only.
		IgnoredFlags: map[string]manager.FlagKind{},
	})
}
