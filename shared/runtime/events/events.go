// Package events records Kubernetes Events for toolkit objects, with metadata annotations the
// notification-controller reads, and optionally forwards each event in Flux's JSON event
// format to an HTTP endpoint (--events-addr).
//
// Both carry the metadata keys prefixed with the object's API group
// ("kustomize.toolkit.fluxcd.io/revision"), as Flux's controllers write them: Flux's
// notification-controller keeps only the keys of the involved object's group, and Ferry's
// strips the prefix (MetadataOf) so that an event read from the API and the same event
// POSTed compare equal.
//
// Every event also carries the annotations of its object whose keys start with
// ObjectMetadataPrefix ("event.toolkit.fluxcd.io/change_request"), keys unchanged, as Flux's
// controllers send them. The notification-controller strips that prefix when it sends the
// event, and gives those keys the lowest precedence: an Alert's eventMetadata and the keys
// the controller set replace them.
package events

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/record"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
)

// Severity values of the Flux event format.
const (
	// SeverityInfo marks an event about normal operation.
	SeverityInfo = "info"
	// SeverityError marks an event about a failure.
	SeverityError = "error"
)

// Event is an event in Flux's JSON event format, as POSTed to --events-addr.
type Event struct {
	// InvolvedObject is the object the event is about.
	InvolvedObject corev1.ObjectReference `json:"involvedObject"`
	// RelatedObject is a secondary object of the action, such as the source of a
	// Kustomization; Flux's newer controllers send it, Ferry's do not.
	RelatedObject *corev1.ObjectReference `json:"relatedObject,omitempty"`
	// Severity is info or error.
	Severity string `json:"severity"`
	// Timestamp is when the event happened.
	Timestamp time.Time `json:"timestamp"`
	// Message is the human-readable text.
	Message string `json:"message"`
	// Reason is the machine-readable reason, the condition reason.
	Reason string `json:"reason"`
	// Metadata holds extra information such as the revision, keyed as Flux's controllers
	// send it: "<API group of the involved object>/<key>".
	Metadata map[string]string `json:"metadata,omitempty"`
	// ReportingController is the name of the controller that emitted the event.
	ReportingController string `json:"reportingController"`
	// ReportingInstance is the controller instance (pod) that emitted the event.
	ReportingInstance string `json:"reportingInstance,omitempty"`
}

// ObjectMetadataPrefix starts the keys of an object's annotations that its events carry as
// metadata (the API group event.toolkit.fluxcd.io and a slash).
const ObjectMetadataPrefix = "event.toolkit.fluxcd.io/"

// Recorder records events for one controller.
type Recorder struct {
	recorder   record.EventRecorder
	scheme     *runtime.Scheme
	controller string
	instance   string
	eventsAddr string
	http       *http.Client
}

// NewRecorder returns a Recorder that writes Kubernetes Events as controllerName and, when
// eventsAddr is not empty, also POSTs each event there.
func NewRecorder(cfg *rest.Config, scheme *runtime.Scheme, controllerName, eventsAddr string) (*Recorder, error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("failed to create events client: %w", err)
	}
	b := record.NewBroadcaster()
	b.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: cs.CoreV1().Events("")})
	host, _ := os.Hostname()
	return &Recorder{
		recorder:   b.NewRecorder(scheme, corev1.EventSource{Component: controllerName}),
		scheme:     scheme,
		controller: controllerName,
		instance:   host,
		eventsAddr: eventsAddr,
		http:       &http.Client{Timeout: 15 * time.Second},
	}, nil
}

// Event records an event. eventType is corev1.EventTypeNormal or corev1.EventTypeWarning;
// metadata keys are written as annotations prefixed with the object's API group
// ("kustomize.toolkit.fluxcd.io/revision"), beside the object's own annotations whose keys
// start with ObjectMetadataPrefix (WithObjectMetadata).
func (r *Recorder) Event(ctx context.Context, obj client.Object, eventType, reason, message string, metadata map[string]string) {
	gvk, err := apiutil.GVKForObject(obj, r.scheme)
	if err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "unable to record event", "reason", reason)
		return
	}
	annotations := WithObjectMetadata(Prefixed(gvk.Group, metadata), obj.GetAnnotations())
	r.recorder.AnnotatedEventf(obj, annotations, eventType, reason, "%s", message)
	if r.eventsAddr == "" {
		return
	}
	ev := Event{
		InvolvedObject: corev1.ObjectReference{
			Kind: gvk.Kind, APIVersion: gvk.GroupVersion().String(), Namespace: obj.GetNamespace(),
			Name: obj.GetName(), UID: obj.GetUID(), ResourceVersion: obj.GetResourceVersion(),
		},
		Severity:            severity(eventType),
		Timestamp:           time.Now().UTC(),
		Message:             message,
		Reason:              reason,
		Metadata:            annotations,
		ReportingController: r.controller,
		ReportingInstance:   r.instance,
	}
	go r.post(ctrl.LoggerFrom(ctx), ev)
}

// Prefixed returns metadata with every key prefixed by group and a slash, as Flux writes the
// metadata of an event about an object of that API group (the core group "" adds nothing).
func Prefixed(group string, metadata map[string]string) map[string]string {
	out := make(map[string]string, len(metadata))
	for k, v := range metadata {
		if group != "" {
			k = group + "/" + k
		}
		out[k] = v
	}
	return out
}

// WithObjectMetadata returns metadata (keys as sent, already prefixed) with the object's
// annotations whose keys start with ObjectMetadataPrefix added, keys unchanged. A key
// metadata already has keeps its value: an annotation never replaces what the controller
// set. Annotations with nothing after the prefix are left out.
func WithObjectMetadata(metadata, objectAnnotations map[string]string) map[string]string {
	out := make(map[string]string, len(metadata)+len(objectAnnotations))
	for k, v := range objectAnnotations {
		if len(k) > len(ObjectMetadataPrefix) && strings.HasPrefix(k, ObjectMetadataPrefix) {
			out[k] = v
		}
	}
	for k, v := range metadata {
		out[k] = v
	}
	return out
}

// MetadataOf returns the metadata of an event about an object of API group from its
// annotations (a Kubernetes Event) or its metadata (a POSTed event): the keys prefixed with
// the group, without the prefix. Keys of other groups are left out, as Flux's
// notification-controller leaves them out; keys without any prefix (sent by tools that do
// not prefix) are kept as they are, and so are the keys copied from the object's annotations
// (ObjectMetadataPrefix), prefix included, for their precedence is resolved only when an
// Alert sends the event (SplitObjectMetadata).
func MetadataOf(group string, annotations map[string]string) map[string]string {
	out := make(map[string]string, len(annotations))
	prefix := group + "/"
	for k, v := range annotations {
		switch {
		case group != "" && strings.HasPrefix(k, prefix):
			out[strings.TrimPrefix(k, prefix)] = v
		case !strings.Contains(k, "/"),
			len(k) > len(ObjectMetadataPrefix) && strings.HasPrefix(k, ObjectMetadataPrefix):
			out[k] = v
		}
	}
	return out
}

// SplitObjectMetadata splits the metadata MetadataOf returns into the keys the controller
// set (own) and those copied from the object's annotations (object), the latter without
// ObjectMetadataPrefix.
func SplitObjectMetadata(metadata map[string]string) (own, object map[string]string) {
	own = make(map[string]string, len(metadata))
	object = make(map[string]string)
	for k, v := range metadata {
		if key, ok := strings.CutPrefix(k, ObjectMetadataPrefix); ok {
			object[key] = v
			continue
		}
		own[k] = v
	}
	return own, object
}

func severity(eventType string) string {
	if eventType == corev1.EventTypeWarning {
		return SeverityError
	}
	return SeverityInfo
}

func (r *Recorder) post(log logr.Logger, ev Event) {
	body, err := json.Marshal(ev)
	if err != nil {
		log.Error(err, "unable to encode event")
		return
	}
	resp, err := r.http.Post(r.eventsAddr, "application/json", bytes.NewReader(body))
	if err != nil {
		log.Error(err, "unable to forward event", "address", r.eventsAddr)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		log.Error(fmt.Errorf("unexpected status %s", resp.Status), "unable to forward event", "address", r.eventsAddr)
	}
}
