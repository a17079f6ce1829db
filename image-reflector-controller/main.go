// Command image-reflector-controller is Ferry's image-reflector-controller.
package main

import "github.com/ferry-gitops/ferry/shared/runtime/manager"

const controllerName = "image-reflector-controller"

func main() {
	manager.Main(manager.Program{
		Name:              controllerName,
		DefaultConcurrent: 4,
		// Its reconcilers land with their own issue: until then it serves health and metrics only.
		IgnoredFlags: map[string]manager.FlagKind{
			"storage-path": manager.StringFlag, "storage-value-log-file-size": manager.StringFlag, "gc-interval": manager.StringFlag,
			"aws-autologin-for-ecr": manager.BoolFlag, "gcp-autologin-for-gcr": manager.BoolFlag, "azure-autologin-for-acr": manager.BoolFlag,
		},
	})
}
