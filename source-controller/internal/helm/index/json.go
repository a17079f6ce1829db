package index

import (
	"encoding/json"
	"fmt"
	"io"
)

// parseJSON reads a JSON index as a stream of tokens, decoding one chart version at a time.
func parseJSON(r io.Reader, x *Index) error {
	dec := json.NewDecoder(r)
	if err := expectDelim(dec, '{'); err != nil {
		return err
	}
	for dec.More() {
		key, err := stringToken(dec)
		if err != nil {
			return err
		}
		switch key {
		case "apiVersion":
			if err := dec.Decode(&x.APIVersion); err != nil {
				return fmt.Errorf("apiVersion: %w", err)
			}
		case "entries":
			if err := parseJSONEntries(dec, x); err != nil {
				return err
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return fmt.Errorf("field %q: %w", key, err)
			}
		}
	}
	return expectDelim(dec, '}')
}

// parseJSONEntries reads the entries object: chart names to arrays of versions.
func parseJSONEntries(dec *json.Decoder, x *Index) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("entries: %w", err)
	}
	if tok == nil {
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("entries: expected an object, found %v", tok)
	}
	for dec.More() {
		chart, err := stringToken(dec)
		if err != nil {
			return err
		}
		if _, seen := x.entries[chart]; !seen {
			x.entries[chart] = nil
		}
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("versions of chart %q: %w", chart, err)
		}
		if tok == nil {
			continue
		}
		if d, ok := tok.(json.Delim); !ok || d != '[' {
			return fmt.Errorf("versions of chart %q: expected an array, found %v", chart, tok)
		}
		for dec.More() {
			var r rawVersion
			if err := dec.Decode(&r); err != nil {
				return fmt.Errorf("version of chart %q: %w", chart, err)
			}
			x.add(chart, r)
		}
		if err := expectDelim(dec, ']'); err != nil {
			return err
		}
	}
	return expectDelim(dec, '}')
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("failed to read JSON: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("expected %q in JSON, found %v", want, tok)
	}
	return nil
}

func stringToken(dec *json.Decoder) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", fmt.Errorf("failed to read JSON: %w", err)
	}
	s, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("expected a key in JSON, found %v", tok)
	}
	return s, nil
}
