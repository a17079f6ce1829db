package imageupdateautomation

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/image-automation-controller/internal/setters"
	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
)

// policies reads the ImagePolicies of the automation's namespace: those the selector takes
// and that elected an image give their image; those not Ready are reported by the markers
// that name them; those the selector leaves out are not the automation's to set.
func (st *state) policies(ctx context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	var list imagev1.ImagePolicyList
	if err := st.r.rt.Client.List(ctx, &list, client.InNamespace(obj.Namespace)); err != nil {
		return reconcile.Transient(imagev1.UpdateFailedReason, fmt.Errorf("failed to list ImagePolicies: %w", err))
	}
	st.images = map[string]imagev1.ImageRef{}
	st.problems = map[string]string{}
	st.unselected = map[string]bool{}
	for i := range list.Items {
		p := &list.Items[i]
		key := p.Namespace + "/" + p.Name
		switch {
		case !st.selector.Matches(labels.Set(p.Labels)):
			st.unselected[key] = true
		case p.Status.LatestRef != nil && conditions.IsReady(p):
			st.images[key] = *p.Status.LatestRef
		default:
			st.problems[key] = notReady(p)
		}
	}
	return reconcile.Done("", "")
}

// notReady says why a selected policy gives no image.
func notReady(p *imagev1.ImagePolicy) string {
	why := "has elected no image yet"
	if c := conditions.Get(p, fluxmeta.ReadyCondition); c != nil && c.Message != "" {
		why = "is not Ready: " + c.Message
	}
	return fmt.Sprintf("ImagePolicy '%s/%s' %s", p.Namespace, p.Name, why)
}

// observed returns the images the automation applies, by policy name, as
// status.observedPolicies records them.
func (st *state) observed() imagev1.ObservedPolicies {
	out := imagev1.ObservedPolicies{}
	for key, ref := range st.images {
		_, name, _ := strings.Cut(key, "/")
		out[name] = ref
	}
	return out
}

// resolve gives setters the value a marker of namespace ns asks for.
func (st *state) resolve(ns string) setters.Resolve {
	return func(m setters.Marker) (string, bool, error) {
		key := m.Namespace + "/" + m.Name
		switch {
		case m.Namespace != ns, st.unselected[key]:
			return "", true, nil
		case st.problems[key] != "":
			return "", false, errors.New(st.problems[key])
		}
		ref, ok := st.images[key]
		if !ok {
			return "", false, fmt.Errorf("ImagePolicy '%s' does not exist", key)
		}
		v, err := setters.Value(ref, m.Field)
		return v, false, err
	}
}
