package apply

import (
	"crypto/sha256"
	"encoding/json"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
)

// Observed remembers, for each object a Manager read or wrote (by UID), its resourceVersion
// and a digest of what InSync compares. A server-side dry run reports the object's current
// resourceVersion: when it is the one remembered, the object has not changed since, and a
// dry-run result with the remembered digest is in sync with it, so the object need not be
// read again. That is the steady state of a reconcile every interval: one dry run per
// object instead of a dry run and a read. Anything else (another resourceVersion, another
// digest, ignore rules, the IfNotPresent policy) takes the full path. An Observed is safe for
// concurrent use, shared by every Manager of a controller, and holds at most max objects.
type Observed struct {
	mu   sync.Mutex
	max  int
	objs map[types.UID]observation
}

// observation is what an Observed keeps of one object.
type observation struct {
	resourceVersion string
	digest          [sha256.Size]byte
	// disabled: the object carried reconcile: disabled.
	disabled bool
}

// NewObserved returns an Observed holding at most max objects (about 150 bytes each).
func NewObserved(max int) *Observed {
	return &Observed{max: max, objs: map[types.UID]observation{}}
}

// inSync reports whether dry, the dry-run result of applying an object, is known to be in
// sync with the live object: the live object is the one last seen (same UID and
// resourceVersion) and not disabled, and dry has the digest it had. A nil Observed knows
// nothing.
func (o *Observed) inSync(dry *unstructured.Unstructured) bool {
	if o == nil || dry.GetUID() == "" || dry.GetResourceVersion() == "" {
		return false
	}
	o.mu.Lock()
	seen, ok := o.objs[dry.GetUID()]
	o.mu.Unlock()
	if !ok || seen.disabled || seen.resourceVersion != dry.GetResourceVersion() {
		return false
	}
	d, ok := digestOf(dry)
	return ok && d == seen.digest
}

// see records live, an object as the API server returned it (read or written); disabled
// says whether it carries reconcile: disabled.
func (o *Observed) see(live *unstructured.Unstructured, disabled bool) {
	if o == nil || live == nil || live.GetUID() == "" || live.GetResourceVersion() == "" {
		return
	}
	d, ok := digestOf(live)
	if !ok {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, known := o.objs[live.GetUID()]; !known && len(o.objs) >= o.max {
		// Make room by dropping any one (map order is random): every interval revisits the
		// objects in turn, a cycle in which least-recently-used eviction would keep none.
		for uid := range o.objs {
			delete(o.objs, uid)
			break
		}
	}
	o.objs[live.GetUID()] = observation{resourceVersion: live.GetResourceVersion(), digest: d, disabled: disabled}
}

// Len returns the number of objects known.
func (o *Observed) Len() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.objs)
}

// digestOf is the SHA-256 of the JSON of what InSync compares of obj (encoding/json sorts
// map keys, so equal maps have equal encodings).
func digestOf(obj *unstructured.Unstructured) ([sha256.Size]byte, bool) {
	b, err := json.Marshal(stripped(obj))
	if err != nil {
		return [sha256.Size]byte{}, false
	}
	return sha256.Sum256(b), true
}
