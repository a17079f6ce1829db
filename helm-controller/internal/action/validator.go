package action

import (
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/validation"
)

// validatorTTL is how long a shared validator is used before it is built afresh, so that
// what kubectl's validator caches forever (OpenAPI documents, the CRD list, per-kind
// answers) follows the cluster.
const validatorTTL = 10 * time.Minute

// sharedValidator is kubectl's strict validator shared by the releases of one identity.
// kubectl builds one per command and caches in it, forever and without locks, the OpenAPI
// documents it downloads, the CRD list and every per-kind answer, errors included; shared
// by a long-running controller it is serialised, rebuilt after validatorTTL and dropped
// after any error, so that a transient failure is not remembered.
type sharedValidator struct {
	getter *clients

	mu     sync.Mutex
	schema validation.Schema
	built  time.Time
}

// ValidateBytes validates one object's document.
func (v *sharedValidator) ValidateBytes(data []byte) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.schema == nil || time.Since(v.built) > validatorTTL {
		// A new kubectl factory: its OpenAPI getter and parser start empty.
		s, err := cmdutil.NewFactory(v.getter).Validator(metav1.FieldValidationStrict)
		if err != nil {
			return err
		}
		v.schema, v.built = s, time.Now()
	}
	err := v.schema.ValidateBytes(data)
	if err != nil {
		v.schema = nil
	}
	return err
}
