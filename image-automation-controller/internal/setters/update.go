package setters

import (
	"errors"
	"path"
)

// Result is what applying the markers of many files did.
type Result struct {
	// Changes are the fields rewritten, in the order the files were applied, top to bottom.
	Changes []Change
	// Skipped are the markers (and the files with markers that do not parse) left alone.
	Skipped []Skip
}

// Apply applies the markers of one file (rel is its slash path from the repository root),
// records its changes and skipped markers in res, and returns its content and whether it
// changed. A file that does not parse as YAML is recorded as skipped and left alone.
func (res *Result) Apply(rel string, data []byte, resolve Resolve) ([]byte, bool) {
	out, changes, skips, err := ApplyFile(rel, data, resolve)
	if err != nil {
		reason := err.Error()
		if cause := errors.Unwrap(err); cause != nil {
			reason = "the file does not parse as YAML: " + cause.Error()
		}
		res.Skipped = append(res.Skipped, Skip{File: rel, Reason: reason})
		return data, false
	}
	res.Changes = append(res.Changes, changes...)
	res.Skipped = append(res.Skipped, skips...)
	return out, len(changes) > 0
}

// Candidate reports whether the file at a slash path may hold markers: its name ends in
// .yaml or .yml.
func Candidate(p string) bool {
	ext := path.Ext(p)
	return ext == ".yaml" || ext == ".yml"
}
