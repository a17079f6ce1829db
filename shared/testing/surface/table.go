// Package surface reads the table of docs/api-compatibility.md that says, for every spec field
// path of Flux's CRDs, whether Ferry implements it (naming the test that covers it) or refuses
// it (with the message users see), and runs the refusal checks: every refused path, set on a
// real object, must leave that object Stalled with the message. Only tests import it.
package surface

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// DocPath is the compatibility document, relative to the repository root.
const DocPath = "docs/api-compatibility.md"

// Status says what Ferry does with a field path.
type Status string

const (
	// Implemented paths do what Flux documents; the row names the tests that show it.
	Implemented Status = "implemented"
	// Refused paths stall the object that sets them, with the row's message.
	Refused Status = "refused"
	// Partly paths are implemented for some values and refused for others: the row names
	// the tests of the implemented part and the message and value of the refused part.
	Partly Status = "partly"
)

// Row is one field path of one kind.
type Row struct {
	// APIVersion and Kind name the kind, from the section heading.
	APIVersion, Kind string
	// Path is the field path, as in Flux's surface list ("spec.dependsOn[].readyExpr").
	Path string
	// Status is what Ferry does with it.
	Status Status
	// Tests name the tests covering an implemented path, as "<dir>.<TestName>" with dir
	// relative to the repository root.
	Tests []string
	// Message is the text of the Stalled condition an object setting a refused path gets.
	Message string
	// Set is the JSON merge patch on a minimal object's spec that sets the refused path.
	Set string
	// Line is the row's line in the document.
	Line int
}

// Root returns the repository root: the nearest directory above the working directory that
// holds go.work.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.work above the working directory")
		}
		dir = parent
	}
}

// Rows parses the field table of the compatibility document under root. Sections start with a
// heading "### <apiVersion> <Kind>" (a fluxcd.io group); rows are "| `path` | status | tests | message | set |".
func Rows(root string) ([]Row, error) {
	f, err := os.Open(filepath.Join(root, DocPath))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var rows []Row
	var apiVersion, kind string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if h, ok := strings.CutPrefix(line, "### "); ok {
			apiVersion, kind = "", ""
			if f := strings.Fields(h); len(f) == 2 && strings.Contains(f[0], ".fluxcd.io/") {
				apiVersion, kind = f[0], f[1]
			}
			continue
		}
		if kind == "" || !strings.HasPrefix(line, "| `") {
			continue
		}
		row, err := parseRow(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", DocPath, n, err)
		}
		row.APIVersion, row.Kind, row.Line = apiVersion, kind, n
		rows = append(rows, row)
	}
	return rows, sc.Err()
}

func parseRow(line string) (Row, error) {
	cells := strings.Split(strings.Trim(line, "|"), "|")
	if len(cells) != 5 {
		return Row{}, fmt.Errorf("want 5 cells (path, status, tests, message, set), got %d", len(cells))
	}
	for i := range cells {
		cells[i] = strings.TrimSpace(cells[i])
	}
	r := Row{Path: unquote(cells[0]), Status: Status(cells[1]), Message: unquote(cells[3]), Set: unquote(cells[4])}
	for _, t := range strings.Split(cells[2], ",") {
		if t = unquote(strings.TrimSpace(t)); t != "" {
			r.Tests = append(r.Tests, t)
		}
	}
	switch r.Status {
	case Implemented:
		if len(r.Tests) == 0 {
			return r, errors.New("an implemented path names the tests that cover it")
		}
	case Refused, Partly:
		if r.Message == "" || r.Set == "" {
			return r, fmt.Errorf("a %s path gives the message users see and the spec that sets it", r.Status)
		}
		if r.Status == Partly && len(r.Tests) == 0 {
			return r, errors.New("a partly implemented path names the tests of the implemented part")
		}
	default:
		return r, fmt.Errorf("status %q: want implemented, partly or refused", r.Status)
	}
	return r, nil
}

// unquote removes the backquotes around a cell's code.
func unquote(s string) string {
	return strings.TrimSuffix(strings.TrimPrefix(s, "`"), "`")
}
