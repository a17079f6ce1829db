package notifier

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ferry-gitops/ferry/shared/runtime/events"
)

// Metadata keys with a meaning of their own.
const (
	// RevisionKey holds the revision the event is about.
	RevisionKey = "revision"
	// SummaryKey holds the Alert's summary.
	SummaryKey = "summary"
)

// field is one key and value of an event's metadata.
type field struct {
	Key, Value string
}

// object names the event's object as "<kind>/<name>.<namespace>", the way Flux titles its
// notifications.
func object(ev Event) string {
	o := ev.InvolvedObject
	return fmt.Sprintf("%s/%s.%s", o.Kind, o.Name, o.Namespace)
}

// fields returns the event's metadata sorted by key.
func fields(ev Event) []field {
	keys := make([]string, 0, len(ev.Metadata))
	for k := range ev.Metadata {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]field, 0, len(keys))
	for _, k := range keys {
		out = append(out, field{Key: k, Value: ev.Metadata[k]})
	}
	return out
}

// isError tells whether the event is about a failure.
func isError(ev Event) bool { return ev.Severity == events.SeverityError }

// plainText renders the event as text: the object, the message, then one "key: value" line
// per metadata entry.
func plainText(ev Event) string { return render(ev, "%s\n%s", "\n%s: %s") }

// markdownText renders the event as Markdown: the object in bold, the message, then a list
// of the metadata.
func markdownText(ev Event) string { return render(ev, "**%s**\n\n%s", "\n- **%s**: %s") }

// render formats the object and message with head, then each metadata entry with item.
func render(ev Event, head, item string) string {
	var b strings.Builder
	fmt.Fprintf(&b, head, object(ev), ev.Message)
	if fs := fields(ev); len(fs) > 0 {
		b.WriteString("\n")
		for _, f := range fs {
			fmt.Fprintf(&b, item, f.Key, f.Value)
		}
	}
	return b.String()
}

// severityWord is the severity as a title word.
func severityWord(ev Event) string {
	if isError(ev) {
		return "Error"
	}
	return "Info"
}
