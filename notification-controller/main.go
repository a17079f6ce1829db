// Command notification-controller is Ferry's notification-controller.
package main

import "github.com/ferry-gitops/ferry/shared/runtime/manager"

const controllerName = "notification-controller"

func main() {
	manager.Main(manager.Program{
		Name:              controllerName,
		DefaultConcurrent: 4,
		// Its reconcilers land with their own issue: until then it serves health and metrics only.
		IgnoredFlags: map[string]manager.FlagKind{
			"receiverAddr": manager.StringFlag, "rate-limit-interval": manager.StringFlag, "export-http-path": manager.StringFlag,
		},
	})
}
