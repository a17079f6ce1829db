package fleet

import (
	"fmt"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// DeployArgs builds the kustomization deployDir (deploy/ of the repository) and returns the
// arguments of each controller's container, by controller name, so that the fleet runs with
// the flags a cluster install runs with.
func DeployArgs(deployDir string) (map[string][]string, error) {
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	rm, err := k.Run(filesys.MakeFsOnDisk(), deployDir)
	if err != nil {
		return nil, fmt.Errorf("failed to build %s: %w", deployDir, err)
	}
	args := map[string][]string{}
	for _, r := range rm.Resources() {
		if r.GetKind() != "Deployment" || !slices.Contains(Controllers, r.GetName()) {
			continue
		}
		data, err := r.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("failed to encode %s: %w", r.CurId(), err)
		}
		var d appsv1.Deployment
		if err := json.Unmarshal(data, &d); err != nil {
			return nil, fmt.Errorf("failed to decode %s: %w", r.CurId(), err)
		}
		for _, c := range d.Spec.Template.Spec.Containers {
			if c.Name == "manager" || len(d.Spec.Template.Spec.Containers) == 1 {
				args[d.Name] = c.Args
			}
		}
	}
	for _, c := range Controllers {
		if _, ok := args[c]; !ok {
			return nil, fmt.Errorf("%s has no Deployment of %s", deployDir, c)
		}
	}
	return args, nil
}
