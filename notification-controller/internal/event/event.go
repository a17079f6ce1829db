// Package event turns what notification-controller receives — Kubernetes Events recorded by
// the toolkit's controllers, and Flux's JSON events POSTed to its event endpoint — into one
// form, with an identity (Fingerprint) that is the same for an event read from the API and
// the same event POSTed, and tells those twins apart from events that merely repeat (Twins).
package event

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/ferry-gitops/ferry/shared/runtime/events"
)

// Source is where an event came from.
type Source int

const (
	// FromAPI is a Kubernetes Event read from the API (watch or list).
	FromAPI Source = iota
	// FromHTTP is an event POSTed to the event endpoint.
	FromHTTP
)

// String names the source, for metrics and logs.
func (s Source) String() string {
	if s == FromHTTP {
		return "http"
	}
	return "api"
}

// Record is one received event.
type Record struct {
	// Event is the event with its metadata keys without the group prefix (keys copied from
	// the object's annotations keep theirs, events.ObjectMetadataPrefix, until an Alert sends
	// the event).
	Event events.Event
	// Source is where it came from.
	Source Source
	// ResourceVersion is the Kubernetes Event's resourceVersion (FromAPI), the position of
	// the event in the delivery checkpoint; 0 for POSTed events.
	ResourceVersion uint64
	// Fingerprint identifies the event's content (Fingerprint).
	Fingerprint string
}

// toolkitGroupSuffix ends the API group of every kind an Alert can select but one.
const toolkitGroupSuffix = ".toolkit.fluxcd.io"

// extensionsGroup is the API group of ArtifactGenerator (Flux's source-watcher), which an
// Alert can select too.
const extensionsGroup = "source.extensions.fluxcd.io"

// IsToolkit tells whether an involved object's apiVersion belongs to the toolkit: a kind an
// Alert can select.
func IsToolkit(apiVersion string) bool {
	gv, err := schema.ParseGroupVersion(apiVersion)
	return err == nil && (strings.HasSuffix(gv.Group, toolkitGroupSuffix) || gv.Group == extensionsGroup)
}

// FromKubernetes reads a Kubernetes Event about a toolkit object; ok is false for an Event
// about anything else. Warning events have severity error, others info; the metadata is the
// annotations of the object's group, without the prefix.
func FromKubernetes(e *corev1.Event) (r Record, ok bool, err error) {
	if !IsToolkit(e.InvolvedObject.APIVersion) {
		return r, false, nil
	}
	rv, err := strconv.ParseUint(e.ResourceVersion, 10, 64)
	if err != nil {
		return r, false, fmt.Errorf("failed to read the resourceVersion of event %s/%s: %w", e.Namespace, e.Name, err)
	}
	gv, _ := schema.ParseGroupVersion(e.InvolvedObject.APIVersion)
	ev := events.Event{
		InvolvedObject:      e.InvolvedObject,
		Severity:            events.SeverityInfo,
		Timestamp:           occurred(e),
		Message:             e.Message,
		Reason:              e.Reason,
		Metadata:            events.MetadataOf(gv.Group, e.Annotations),
		ReportingController: e.ReportingController,
		ReportingInstance:   e.ReportingInstance,
	}
	if ev.ReportingController == "" {
		ev.ReportingController = e.Source.Component
	}
	if e.Type == corev1.EventTypeWarning {
		ev.Severity = events.SeverityError
	}
	ev.InvolvedObject.ResourceVersion, ev.InvolvedObject.FieldPath = "", ""
	return Record{Event: ev, Source: FromAPI, ResourceVersion: rv, Fingerprint: Fingerprint(ev)}, true, nil
}

// occurred is when the event last happened.
func occurred(e *corev1.Event) time.Time {
	switch {
	case !e.EventTime.IsZero():
		return e.EventTime.UTC()
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp.UTC()
	case !e.FirstTimestamp.IsZero():
		return e.FirstTimestamp.UTC()
	}
	return e.CreationTimestamp.UTC()
}

// FromJSON reads an event POSTed in Flux's format. It must name a toolkit object, a
// severity (info or error), a reason and a message.
func FromJSON(body []byte) (Record, error) {
	var ev events.Event
	if err := json.Unmarshal(body, &ev); err != nil {
		return Record{}, fmt.Errorf("failed to decode the event: %w", err)
	}
	o := ev.InvolvedObject
	switch {
	case o.Kind == "" || o.Name == "" || o.Namespace == "":
		return Record{}, errors.New("the event's involvedObject needs kind, name and namespace")
	case !IsToolkit(o.APIVersion):
		return Record{}, fmt.Errorf("the event's involvedObject apiVersion %q is not of the toolkit", o.APIVersion)
	case ev.Severity != events.SeverityInfo && ev.Severity != events.SeverityError:
		return Record{}, fmt.Errorf("severity %q: want info or error", ev.Severity)
	case ev.Reason == "" || ev.Message == "":
		return Record{}, errors.New("the event needs a reason and a message")
	}
	gv, _ := schema.ParseGroupVersion(o.APIVersion)
	ev.Metadata = events.MetadataOf(gv.Group, ev.Metadata)
	if ev.Timestamp.IsZero() {
		ev.Timestamp = time.Now().UTC()
	}
	ev.InvolvedObject.ResourceVersion, ev.InvolvedObject.FieldPath = "", ""
	return Record{Event: ev, Source: FromHTTP, Fingerprint: Fingerprint(ev)}, nil
}

// Fingerprint identifies an event by what it says: the object (kind, namespace, name), the
// severity, reason and message, and the metadata. Times, UIDs and the reporting instance are
// left out, so that the Kubernetes Event and the POST of one event have the same one.
func Fingerprint(ev events.Event) string {
	o := ev.InvolvedObject
	h := sha256.New()
	for _, s := range []string{o.Kind, o.Namespace, o.Name, ev.Severity, ev.Reason, ev.Message} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	keys := make([]string, 0, len(ev.Metadata))
	for k := range ev.Metadata {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		h.Write([]byte(k))
		h.Write([]byte{1})
		h.Write([]byte(ev.Metadata[k]))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}
