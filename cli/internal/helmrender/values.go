package helmrender

import (
	"context"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	"github.com/ferry-gitops/ferry/shared/helm/values"
)

// Values composes the release's values as helm-controller does (shared/helm/values): each
// valuesFrom reference in order, then spec.values merged on top. g reads the ConfigMaps and
// Secrets in the release's namespace.
func Values(ctx context.Context, hr *helmv2.HelmRelease, g values.Getter) (map[string]any, error) {
	var inline []byte
	if hr.Spec.Values != nil {
		inline = hr.Spec.Values.Raw
	}
	return values.Compose(ctx, g, hr.Spec.ValuesFrom, inline)
}
