// Command source-controller is Ferry's source-controller.
package main

import "github.com/ferry-gitops/ferry/shared/runtime/manager"

const controllerName = "source-controller"

func main() {
	manager.Main(manager.Program{
		Name:              controllerName,
		DefaultConcurrent: 2,
		// Its reconcilers land with their own issue: until then it serves health and metrics only.
		IgnoredFlags: map[string]manager.FlagKind{
			"storage-path": manager.StringFlag, "storage-addr": manager.StringFlag, "storage-adv-addr": manager.StringFlag,
			"artifact-retention-ttl": manager.StringFlag, "artifact-retention-records": manager.StringFlag, "artifact-digest-algo": manager.StringFlag,
			"helm-index-max-size": manager.StringFlag, "helm-chart-max-size": manager.StringFlag, "helm-chart-file-max-size": manager.StringFlag,
			"helm-cache-max-size": manager.StringFlag, "helm-cache-ttl": manager.StringFlag, "helm-cache-purge-interval": manager.StringFlag,
			"ssh-kex-algos": manager.StringFlag, "ssh-hostkey-algos": manager.StringFlag,
		},
	})
}
