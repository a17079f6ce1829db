package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ferry-gitops/ferry/e2e/demo"
	"github.com/ferry-gitops/ferry/e2e/fleet"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// ociManifest is the media type of the manifests the demo's registry holds.
const ociManifest = "application/vnd.oci.image.manifest.v1+json"

// printTryThis prints how to reach the cluster and what to try with the demo.
func printTryThis(o options, env *testenv.Env, f *fleet.Fleet, w *demo.World) {
	path := []string{}
	if assets, err := testenv.Binaries(); err == nil {
		if _, err := os.Stat(filepath.Join(assets, "kubectl")); err == nil {
			path = append(path, assets)
		}
	}
	if bin, err := filepath.Abs(o.bin); err == nil {
		path = append(path, bin)
	}
	fmt.Printf(`
In another terminal:

  export KUBECONFIG=%s
  export PATH=%s:$PATH   # kubectl and the ferry CLI

Look around:
  kubectl get gitrepositories,kustomizations,helmreleases -A
  kubectl get imagerepositories,imagepolicies,imageupdateautomations -A
  kubectl get deploy -A
  ferry get all -A
  ferry get ks -A

Change the desired state in Git: the GitRepository polls every %s and the cluster follows.
  git clone %s && cd demo
  sed -i.bak 's/replicas: 2/replicas: 4/' apps/my-app/my-app.yaml
  git commit -am 'my-app: 4 replicas' && git push
  kubectl get deploy my-app -w

Change the cluster by hand: Ferry puts it back at the next interval (%s), or at once with
  kubectl scale deploy my-app --replicas=5
  ferry reconcile ks my-apps

Helm: the HelmRelease demo/hello installs chart hello 1.x (%s) from %s
  kubectl -n demo patch helmrelease hello --type merge -p '{"spec":{"values":{"replicaCount":3}}}'
  kubectl -n demo get deploy hello -w

Image automation (seed 002's loop): the registry %[9]s holds %[10]s:%[11]s. Tag a new
version, as CI would, and ask the ImageRepository to scan, as a registry webhook would:
  curl -s -H 'Accept: %[12]s' %[9]s/v2/%[13]s/manifests/%[11]s |
    curl -s -X PUT -H 'Content-Type: %[12]s' --data-binary @- %[9]s/v2/%[13]s/manifests/v1.2.4
  ferry reconcile image repository my-app
  kubectl -n production get deploy my-app -o wide -w   # runs v1.2.4 within seconds
  git pull && git log -1                               # the automation's commit, in the clone above

The objects applied are in %[8]s.
`, env.Kubeconfig, strings.Join(path, ":"), demo.GitInterval, w.RepoURL, demo.ApplyInterval,
		strings.Join(demo.ChartVersions, ", "), w.ChartsURL, w.ObjectsFile,
		w.RegistryURL, w.Image, demo.FirstTag, ociManifest, demo.ImageName)
	fmt.Println("\nControllers:")
	for _, p := range f.Processes {
		fmt.Printf("  %-28s metrics http://%s/metrics  health http://%s/readyz\n", p.Name, p.MetricsAddr, p.HealthAddr)
	}
	fmt.Printf("\nLogs of every component are in %s (removed on exit). Press Ctrl-C to stop.\n", env.Dir)
}
