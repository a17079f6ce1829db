package provider

import (
	"sort"

	"github.com/ferry-gitops/ferry/notification-controller/internal/notifier"
	"github.com/ferry-gitops/ferry/shared/runtime/unsupported"
)

// unsupportedFields are the Provider fields Ferry accepts and does not implement
// (docs/api-compatibility.md lists them): the types of Flux's enum without a notifier, when
// there are any (a rule without values would refuse every type). spec.serviceAccountName is
// refused with the types that do not authenticate with a cloud identity, and without the
// feature gate ObjectLevelWorkloadIdentity, by the sender (a delivery refuses it too).
var unsupportedFields = refusedFields()

func refusedFields() []unsupported.Rule {
	if len(notifier.Unsupported) == 0 {
		return nil
	}
	types := make([]string, 0, len(notifier.Unsupported))
	for t := range notifier.Unsupported {
		types = append(types, t)
	}
	sort.Strings(types)
	return []unsupported.Rule{{Path: "spec.type", Values: types}}
}
