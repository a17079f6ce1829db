package values

import (
	"context"
	"errors"
	"reflect"
	"testing"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
)

// objects is a Getter over in-memory ConfigMaps and Secrets, keyed "<kind>/<name>".
type objects map[string]map[string][]byte

func (o objects) GetData(_ context.Context, kind, name string) (map[string][]byte, bool, error) {
	d, ok := o[kind+"/"+name]
	return d, ok, nil
}

func TestCompose(t *testing.T) {
	objs := objects{
		"ConfigMap/base":   {"values.yaml": []byte("replicas: 1\nimage:\n  tag: v1\n  name: app\n")},
		"ConfigMap/other":  {"custom": []byte("image:\n  tag: v2\n")},
		"Secret/password":  {"pw": []byte("s3cr3t")},
		"Secret/quoted":    {"v": []byte(`"007"`)},
		"ConfigMap/broken": {"values.yaml": []byte("a: [")},
		"ConfigMap/list":   {"v": []byte("x,y")},
	}
	tests := []struct {
		name    string
		refs    []helmv2.ValuesReference
		inline  string
		want    map[string]any
		wantErr string
		missing bool
		invalid bool
	}{
		{name: "nothing", want: map[string]any{}},
		{name: "inline only", inline: `{"a":{"b":1}}`, want: map[string]any{"a": map[string]any{"b": 1.0}}},
		{name: "inline null", inline: `null`, want: map[string]any{}},
		{
			name:   "documents in order then inline",
			refs:   []helmv2.ValuesReference{{Kind: "ConfigMap", Name: "base"}, {Kind: "ConfigMap", Name: "other", ValuesKey: "custom"}},
			inline: `{"replicas":3}`,
			want:   map[string]any{"replicas": 3.0, "image": map[string]any{"tag": "v2", "name": "app"}},
		},
		{
			name: "target path with set syntax",
			refs: []helmv2.ValuesReference{{Kind: "Secret", Name: "password", ValuesKey: "pw", TargetPath: "db.auth[0].password"}},
			want: map[string]any{"db": map[string]any{"auth": []any{map[string]any{"password": "s3cr3t"}}}},
		},
		{
			name: "quoted value stays a string",
			refs: []helmv2.ValuesReference{{Kind: "Secret", Name: "quoted", ValuesKey: "v", TargetPath: "code"}},
			want: map[string]any{"code": "007"},
		},
		{
			name: "literal keeps commas",
			refs: []helmv2.ValuesReference{{Kind: "ConfigMap", Name: "list", ValuesKey: "v", TargetPath: "l", Literal: true}},
			want: map[string]any{"l": "x,y"},
		},
		{
			name: "optional missing object and key are skipped",
			refs: []helmv2.ValuesReference{{Kind: "ConfigMap", Name: "absent", Optional: true}, {Kind: "ConfigMap", Name: "base", ValuesKey: "nope", Optional: true}},
			want: map[string]any{},
		},
		{name: "missing object", refs: []helmv2.ValuesReference{{Kind: "ConfigMap", Name: "absent"}}, missing: true,
			wantErr: "could not find ConfigMap 'absent' referenced in spec.valuesFrom"},
		{name: "missing key", refs: []helmv2.ValuesReference{{Kind: "Secret", Name: "password"}}, invalid: true,
			wantErr: "invalid values: missing key 'values.yaml' in Secret 'password'"},
		{name: "broken document", refs: []helmv2.ValuesReference{{Kind: "ConfigMap", Name: "broken"}}, invalid: true},
		{name: "broken inline", inline: `[1]`, invalid: true},
		{name: "unsupported kind", refs: []helmv2.ValuesReference{{Kind: "Pod", Name: "x"}}, invalid: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Compose(context.Background(), objs, tt.refs, []byte(tt.inline))
			var missing *MissingError
			if errors.As(err, &missing) != tt.missing || errors.Is(err, ErrInvalid) != tt.invalid {
				t.Fatalf("error = %v, want missing=%v invalid=%v", err, tt.missing, tt.invalid)
			}
			if tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr) {
				t.Fatalf("error = %v, want %q", err, tt.wantErr)
			}
			if err == nil && !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("values = %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestMergeLeavesInputsAlone(t *testing.T) {
	base := map[string]any{"a": map[string]any{"b": 1, "c": 2}, "l": []any{1}}
	overlay := map[string]any{"a": map[string]any{"b": 3}, "l": []any{2}, "n": nil}
	got := Merge(base, overlay)
	want := map[string]any{"a": map[string]any{"b": 3, "c": 2}, "l": []any{2}, "n": nil}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Merge = %#v, want %#v", got, want)
	}
	if !reflect.DeepEqual(base, map[string]any{"a": map[string]any{"b": 1, "c": 2}, "l": []any{1}}) {
		t.Fatalf("base changed: %#v", base)
	}
}

func TestDigests(t *testing.T) {
	tests := []struct {
		name             string
		a, b             map[string]any
		same             bool
		digest, checksum string
	}{
		{name: "nil and empty are equal", a: nil, b: map[string]any{}, same: true,
			digest:   "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
			checksum: "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
		{name: "key order does not matter", a: map[string]any{"x": 1, "y": "z"}, b: map[string]any{"y": "z", "x": 1.0}, same: true},
		{name: "int and float of the same number", a: map[string]any{"r": int64(3)}, b: map[string]any{"r": 3.0}, same: true},
		{name: "different values", a: map[string]any{"r": 3}, b: map[string]any{"r": 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if (Digest(tt.a) == Digest(tt.b)) != tt.same || (Checksum(tt.a) == Checksum(tt.b)) != tt.same {
				t.Fatalf("digests %s %s / checksums %s %s, want same=%v", Digest(tt.a), Digest(tt.b), Checksum(tt.a), Checksum(tt.b), tt.same)
			}
			if tt.digest != "" && Digest(tt.a) != tt.digest {
				t.Fatalf("Digest = %s, want %s", Digest(tt.a), tt.digest)
			}
			if tt.checksum != "" && Checksum(tt.a) != tt.checksum {
				t.Fatalf("Checksum = %s, want %s", Checksum(tt.a), tt.checksum)
			}
		})
	}
}
