package v1

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/ferry-gitops/ferry/shared/api/meta"
)

func TestGitRepositoryVerificationMode(t *testing.T) {
	tests := []struct {
		mode              GitVerificationMode
		want              GitVerificationMode
		wantHEAD, wantTag bool
	}{
		{mode: "", want: ModeGitHEAD, wantHEAD: true},
		{mode: "head", want: ModeGitHEAD, wantHEAD: true},
		{mode: ModeGitHEAD, want: ModeGitHEAD, wantHEAD: true},
		{mode: ModeGitTag, want: ModeGitTag, wantTag: true},
		{mode: ModeGitTagAndHEAD, want: ModeGitTagAndHEAD, wantHEAD: true, wantTag: true},
	}
	for _, tt := range tests {
		t.Run(string(tt.mode), func(t *testing.T) {
			v := &GitRepositoryVerification{Mode: tt.mode}
			if got := v.GetMode(); got != tt.want {
				t.Errorf("GetMode() = %q, want %q", got, tt.want)
			}
			if got := v.VerifyHEAD(); got != tt.wantHEAD {
				t.Errorf("VerifyHEAD() = %v, want %v", got, tt.wantHEAD)
			}
			if got := v.VerifyTag(); got != tt.wantTag {
				t.Errorf("VerifyTag() = %v, want %v", got, tt.wantTag)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	tenSeconds := &metav1.Duration{Duration: 10 * time.Second}
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"git provider empty", (&GitRepository{}).GetProvider(), GitProviderGeneric},
		{"git provider set", (&GitRepository{Spec: GitRepositorySpec{Provider: GitProviderAzure}}).GetProvider(), GitProviderAzure},
		{"include toPath empty", (&GitRepositoryInclude{GitRepositoryRef: meta.LocalObjectReference{Name: "lib"}}).GetToPath(), "lib"},
		{"include toPath set", (&GitRepositoryInclude{GitRepositoryRef: meta.LocalObjectReference{Name: "lib"}, ToPath: "x"}).GetToPath(), "x"},
		{"git timeout unset", (&GitRepository{}).GetTimeout(), DefaultTimeout},
		{"bucket timeout set", (&Bucket{Spec: BucketSpec{Timeout: tenSeconds}}).GetTimeout(), 10 * time.Second},
		{"helmrepo interval unset", (&HelmRepository{}).GetRequeueAfter(), DefaultHelmRepositoryInterval},
		{"helmrepo interval set", (&HelmRepository{Spec: HelmRepositorySpec{Interval: *tenSeconds}}).GetRequeueAfter(), 10 * time.Second},
		{"helmrepo timeout unset", (&HelmRepository{}).GetTimeout(), DefaultTimeout},
		{"oci layer op unset", (&OCIRepository{}).GetLayerOperation(), OCILayerExtract},
		{"oci layer op set", (&OCIRepository{Spec: OCIRepositorySpec{LayerSelector: &OCILayerSelector{Operation: OCILayerCopy}}}).GetLayerOperation(), OCILayerCopy},
		{"oci media type unset", (&OCIRepository{}).GetLayerMediaType(), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
}

func TestAddToScheme(t *testing.T) {
	s := runtime.NewScheme()
	if err := AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{GitRepositoryKind, OCIRepositoryKind, HelmRepositoryKind, HelmChartKind, BucketKind, ExternalArtifactKind} {
		for _, k := range []string{kind, kind + "List"} {
			if !s.Recognizes(GroupVersion.WithKind(k)) {
				t.Errorf("scheme does not recognize %s", k)
			}
		}
	}
}
