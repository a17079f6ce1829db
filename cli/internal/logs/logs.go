// Package logs filters and formats the controllers' JSON log lines the way flux logs shows
// them: "<time> <level> <Kind>/<name>.<namespace> - <message>", keeping the lines of one kind,
// object name, namespace or level.
package logs

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
)

// Filter selects log lines; an empty field selects everything.
type Filter struct {
	// Kind is the object kind (case-insensitive).
	Kind string
	// Name is the object name.
	Name string
	// Namespace is the object namespace; empty selects every namespace.
	Namespace string
	// Level is debug, info or error.
	Level string
}

// entry is the part of a controller-runtime JSON log line that is shown or filtered on.
type entry struct {
	Level          string          `json:"level"`
	TS             json.RawMessage `json:"ts"`
	Msg            string          `json:"msg"`
	Error          string          `json:"error"`
	ControllerKind string          `json:"controllerKind"`
	Name           string          `json:"name"`
	Namespace      string          `json:"namespace"`
}

// Format returns the line as shown, and whether the filter keeps it. Lines that are not
// JSON (a panic, a flag error) are shown as they are unless a filter asks for an object.
func Format(line []byte, f Filter) (string, bool) {
	var e entry
	if err := json.Unmarshal(line, &e); err != nil {
		raw := strings.TrimRight(string(line), "\n")
		return raw, raw != "" && f.Kind == "" && f.Name == "" && f.Namespace == "" && f.Level == ""
	}
	if f.Kind != "" && !strings.EqualFold(f.Kind, e.ControllerKind) ||
		f.Name != "" && f.Name != e.Name ||
		f.Namespace != "" && f.Namespace != e.Namespace ||
		f.Level != "" && !strings.EqualFold(f.Level, e.Level) {
		return "", false
	}
	object := ""
	if e.ControllerKind != "" && e.Name != "" {
		object = e.ControllerKind + "/" + e.Name
		if e.Namespace != "" {
			object += "." + e.Namespace
		}
	}
	msg := e.Msg
	if e.Error != "" {
		msg += ": " + e.Error
	}
	parts := []string{timestamp(e.TS), e.Level}
	if object != "" {
		parts = append(parts, object)
	}
	return strings.Join(parts, " ") + " - " + msg, true
}

// timestamp renders zap's ts (epoch seconds, or a time string) in RFC 3339, UTC.
func timestamp(raw json.RawMessage) string {
	var secs float64
	if err := json.Unmarshal(raw, &secs); err == nil {
		whole, frac := math.Modf(secs)
		return time.Unix(int64(whole), int64(frac*1e9)).UTC().Format("2006-01-02T15:04:05.000Z")
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s
	}
	return fmt.Sprint(string(raw))
}
