package setters

import (
	"strings"
	"testing"

	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
)

func TestParseMarker(t *testing.T) {
	tests := []struct {
		comment string
		want    Marker
		ok      bool
		err     string
	}{
		{comment: `# {"$imagepolicy": "flux-system:app"}`, want: Marker{Namespace: "flux-system", Name: "app"}, ok: true},
		{comment: `#{"$imagepolicy":"ns:app:tag"}`, want: Marker{Namespace: "ns", Name: "app", Field: FieldTag}, ok: true},
		{comment: `#   { "$imagepolicy" : "ns:app:name" }  `, want: Marker{Namespace: "ns", Name: "app", Field: FieldName}, ok: true},
		{comment: `# {"$imagepolicy": "ns:app:digest", "note": "x"}`, want: Marker{Namespace: "ns", Name: "app", Field: FieldDigest}, ok: true},
		{comment: `# plain prose`},
		{comment: `# {"other": "ns:app"}`},
		{comment: `# {"$imagepolicy": "ns:app"} trailing words`},
		{comment: `# "$imagepolicy" in prose`},
		{comment: `# {"$imagepolicy": "ns"}`, ok: true, err: "must be"},
		{comment: `# {"$imagepolicy": ":app"}`, ok: true, err: "must be"},
		{comment: `# {"$imagepolicy": "ns:app:tag:x"}`, ok: true, err: "must be"},
		{comment: `# {"$imagepolicy": "ns:app:size"}`, ok: true, err: "asks for 'size'"},
		{comment: `# {"$imagepolicy": ["ns:app"]}`, ok: true, err: "must be a string"},
	}
	for _, tt := range tests {
		t.Run(tt.comment, func(t *testing.T) {
			got, ok, err := ParseMarker(tt.comment)
			if ok != tt.ok || (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
				t.Fatalf("ParseMarker = %+v, %v, %v; want ok=%v err %q", got, ok, err, tt.ok, tt.err)
			}
			if tt.err == "" && got != tt.want {
				t.Fatalf("ParseMarker = %+v, want %+v", got, tt.want)
			}
			if ok && err == nil {
				again, _, _ := ParseMarker(`# {"$imagepolicy": "` + got.String() + `"}`)
				if again != got {
					t.Errorf("String() does not read back: %q", got.String())
				}
			}
		})
	}
}

func TestValue(t *testing.T) {
	ref := imagev1.ImageRef{Name: "ghcr.io/org/app", Tag: "1.2.4", Digest: "sha256:abc"}
	for f, want := range map[Field]string{FieldImage: "ghcr.io/org/app:1.2.4@sha256:abc", FieldTag: "1.2.4", FieldName: "ghcr.io/org/app", FieldDigest: "sha256:abc"} {
		if got, err := Value(ref, f); err != nil || got != want {
			t.Errorf("Value(%q) = %q, %v; want %q", f, got, err, want)
		}
	}
	ref.Digest = ""
	if got, _ := Value(ref, FieldImage); got != "ghcr.io/org/app:1.2.4" {
		t.Errorf("Value without digest = %q", got)
	}
	if _, err := Value(ref, FieldDigest); err == nil {
		t.Error("Value(digest) without a digest must fail")
	}
}

// TestPlainSafe: a value written plain must read back as the same string.
func TestPlainSafe(t *testing.T) {
	tests := map[string]bool{
		"ghcr.io/org/app:1.2.4": true, "1.2.4": true, "v1": true, "-dash": true,
		"1.10": false, "true": false, "null": false, "~": false, "": false, "a: b": false, "a #b": false,
		"#x": false, "*x": false, "'x": false, " x": false, "x:": false, "0x10": false, "1e3": false,
	}
	for v, want := range tests {
		if got := plainSafe(v, false); got != want {
			t.Errorf("plainSafe(%q) = %v, want %v", v, got, want)
		}
	}
	if plainSafe("a,b", true) {
		t.Error("a comma ends a plain scalar in flow context")
	}
}
