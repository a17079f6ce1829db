package index

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	yaml "go.yaml.in/yaml/v3"
)

// maxSectionDecode is the largest top-level section other than entries (or flow-style entries
// of one chart) that Parse decodes as a whole; larger ones are skipped or refused, so that no
// part of an index is ever decoded into a full YAML tree of unbounded size.
const maxSectionDecode = 4 << 20

// Parse reads a repository index from r. It accepts the YAML block layout that Helm and
// repository servers write (entries as a mapping of chart names to lists of versions, in any
// indentation, with any other fields) and JSON. It decodes one chart version at a time and
// keeps only names, versions, URLs and digests. Versions that are not semver are left out,
// as Helm leaves them out. An index without apiVersion is refused.
func Parse(r io.Reader) (*Index, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	x := &Index{entries: map[string][]Version{}}
	var err error
	if startsWithBrace(br) {
		err = parseJSON(br, x)
	} else {
		err = newYAMLParser(x).run(br)
	}
	if err != nil {
		return nil, fmt.Errorf("failed to parse the repository index: %w", err)
	}
	if x.APIVersion == "" {
		return nil, errors.New("failed to parse the repository index: no apiVersion: the file is not a Helm repository index")
	}
	x.sortEntries()
	return x, nil
}

// startsWithBrace reports whether the first non-blank byte is '{', without consuming input.
func startsWithBrace(br *bufio.Reader) bool {
	head, _ := br.Peek(4096)
	t := bytes.TrimLeft(head, " \t\r\n\ufeff")
	return len(t) > 0 && t[0] == '{'
}

// yamlParser splits a block-style index into top-level sections, chart names and chart
// versions, and decodes each version on its own.
type yamlParser struct {
	x        *Index
	line     int
	section  string // the current top-level key
	sect     bytes.Buffer
	sectLine int

	chart       string
	chartIndent int
	itemIndent  int
	flow        bool // the current chart's versions are written in flow style
	item        bytes.Buffer
	itemLine    int
}

func newYAMLParser(x *Index) *yamlParser {
	return &yamlParser{x: x, chartIndent: -1, itemIndent: -1}
}

// run feeds every line of br to the parser.
func (p *yamlParser) run(br *bufio.Reader) error {
	var long []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long, chunk...)
			continue
		}
		if long != nil {
			chunk = append(long, chunk...)
			long = nil
		}
		if len(chunk) > 0 {
			p.line++
			if lerr := p.feed(bytes.TrimRight(chunk, "\r\n")); lerr != nil {
				return lerr
			}
		}
		if errors.Is(err, io.EOF) {
			return p.finishSection()
		}
		if err != nil {
			return fmt.Errorf("failed to read: %w", err)
		}
	}
}

// feed handles one line without its line break.
func (p *yamlParser) feed(line []byte) error {
	t := bytes.TrimLeft(line, " ")
	if len(t) == 0 || t[0] == '#' {
		p.appendOpen(line)
		return nil
	}
	indent := len(line) - len(t)
	if indent == 0 {
		return p.topLevel(t)
	}
	switch p.section {
	case "entries":
		return p.entriesLine(line, indent, t)
	case "":
		return fmt.Errorf("line %d: indented content before any top-level key: the file is not a Helm repository index", p.line)
	}
	p.sect.Write(line)
	p.sect.WriteByte('\n')
	return nil
}

// appendOpen adds a blank or comment line to whatever is being collected; such lines may
// belong to block scalars.
func (p *yamlParser) appendOpen(line []byte) {
	switch {
	case p.section == "entries" && p.flow:
		p.sect.Write(line)
		p.sect.WriteByte('\n')
	case p.section == "entries" && p.item.Len() > 0:
		p.item.Write(line)
		p.item.WriteByte('\n')
	case p.section != "entries" && p.section != "":
		p.sect.Write(line)
		p.sect.WriteByte('\n')
	}
}

// topLevel starts a new top-level section.
func (p *yamlParser) topLevel(t []byte) error {
	if bytes.Equal(t, []byte("---")) || bytes.HasPrefix(t, []byte("--- #")) || bytes.HasPrefix(t, []byte("%")) {
		if p.section != "" {
			return fmt.Errorf("line %d: more than one YAML document", p.line)
		}
		return nil
	}
	if err := p.finishSection(); err != nil {
		return err
	}
	key, rest, ok := splitKey(t)
	if !ok {
		return fmt.Errorf("line %d: expected a top-level key such as apiVersion or entries: the file is not a Helm repository index", p.line)
	}
	p.section, p.sectLine = key, p.line
	if key != "entries" {
		p.sect.Write(t)
		p.sect.WriteByte('\n')
		return nil
	}
	switch string(rest) {
	case "", "{}":
		return nil
	}
	return fmt.Errorf("line %d: entries written in flow style are not supported; write them in block style as Helm does", p.line)
}

// entriesLine handles a line inside the entries section.
func (p *yamlParser) entriesLine(line []byte, indent int, t []byte) error {
	if p.chartIndent < 0 {
		p.chartIndent = indent
	}
	isItem := t[0] == '-' && (len(t) == 1 || t[1] == ' ')
	switch {
	case indent < p.chartIndent:
		return fmt.Errorf("line %d: unexpected indentation in entries", p.line)
	case indent == p.chartIndent && !isItem:
		return p.startChart(t)
	case p.chart == "":
		return fmt.Errorf("line %d: a list item where a chart name was expected in entries", p.line)
	case p.flow:
		p.sect.Write(line)
		p.sect.WriteByte('\n')
		return nil
	}
	if p.itemIndent < 0 {
		if !isItem {
			return fmt.Errorf("line %d: expected a list of versions of chart %q", p.line, p.chart)
		}
		p.itemIndent = indent
	}
	switch {
	case indent == p.itemIndent && isItem:
		if err := p.finishItem(); err != nil {
			return err
		}
		p.itemLine = p.line
	case indent <= p.itemIndent:
		return fmt.Errorf("line %d: unexpected indentation in the versions of chart %q", p.line, p.chart)
	}
	p.item.Write(line)
	p.item.WriteByte('\n')
	return nil
}

// startChart handles a "<chart name>:" line of the entries section.
func (p *yamlParser) startChart(t []byte) error {
	if err := p.finishChart(); err != nil {
		return err
	}
	key, rest, ok := splitKey(t)
	if !ok {
		return fmt.Errorf("line %d: expected a chart name followed by ':' in entries", p.line)
	}
	p.chart, p.itemIndent, p.itemLine = key, -1, p.line
	if _, seen := p.x.entries[key]; !seen {
		p.x.entries[key] = nil
	}
	switch string(rest) {
	case "", "[]", "~", "null":
		return nil
	}
	p.flow = true
	p.sect.Reset()
	p.sect.Write(rest)
	p.sect.WriteByte('\n')
	return nil
}

// finishItem decodes the collected chart version, if any.
func (p *yamlParser) finishItem() error {
	if p.item.Len() == 0 {
		return nil
	}
	if r, ok := quickItem(p.item.Bytes()); ok {
		p.item.Reset()
		p.x.add(p.chart, r)
		return nil
	}
	defer p.item.Reset()
	return p.decode(&p.item, "version")
}

// finishChart decodes what is left of the current chart.
func (p *yamlParser) finishChart() error {
	if !p.flow {
		return p.finishItem()
	}
	p.flow = false
	if p.sect.Len() > maxSectionDecode {
		return fmt.Errorf("versions of chart %q at line %d: flow style larger than %d bytes is not supported", p.chart, p.itemLine, maxSectionDecode)
	}
	defer p.sect.Reset()
	return p.decode(&p.sect, "versions")
}

// decode adds the chart versions of a YAML sequence to the index.
func (p *yamlParser) decode(buf *bytes.Buffer, what string) error {
	var raw []rawVersion
	if err := yaml.Unmarshal(buf.Bytes(), &raw); err != nil {
		return fmt.Errorf("%s of chart %q at line %d: %w", what, p.chart, p.itemLine, err)
	}
	for _, r := range raw {
		p.x.add(p.chart, r)
	}
	return nil
}

// finishSection completes the current top-level section.
func (p *yamlParser) finishSection() error {
	defer p.sect.Reset()
	switch p.section {
	case "":
		return nil
	case "entries":
		err := p.finishChart()
		p.chart, p.chartIndent, p.itemIndent = "", -1, -1
		return err
	}
	if p.sect.Len() > maxSectionDecode {
		return nil // not needed for resolving charts
	}
	var fields map[string]any
	if err := yaml.Unmarshal(p.sect.Bytes(), &fields); err != nil {
		return fmt.Errorf("field %q at line %d: %w", p.section, p.sectLine, err)
	}
	if p.section == "apiVersion" {
		v, ok := fields["apiVersion"].(string)
		if !ok {
			return fmt.Errorf("line %d: apiVersion is not a string", p.sectLine)
		}
		p.x.APIVersion = v
	}
	return nil
}

// splitKey splits a "key: rest" mapping line (key plain or quoted) and drops a trailing
// comment from rest.
func splitKey(t []byte) (string, []byte, bool) {
	var key string
	end := -1
	if t[0] == '"' || t[0] == '\'' {
		q := bytes.IndexByte(t[1:], t[0])
		if q < 0 {
			return "", nil, false
		}
		key, end = string(t[1:q+1]), q+2
	} else {
		for i := 0; i < len(t); i++ {
			if t[i] == ':' && (i+1 == len(t) || t[i+1] == ' ' || t[i+1] == '\t') {
				key, end = string(t[:i]), i
				break
			}
		}
	}
	if end < 0 || end >= len(t) || t[end] != ':' || key == "" {
		return "", nil, false
	}
	rest := bytes.TrimSpace(t[end+1:])
	if len(rest) > 0 && rest[0] == '#' {
		rest = nil
	}
	return key, rest, true
}
