package build

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
)

// gitRepo makes a local Git repository holding a kustomization under base/.
func gitRepo(t *testing.T) string {
	t.Helper()
	repo := t.TempDir()
	writeTree(t, repo, map[string]string{
		"base/kustomization.yaml": "resources: [cm.yaml]\n",
		"base/cm.yaml":            configMap,
	})
	for _, args := range [][]string{
		{"init", "-q", "-b", "main"}, {"add", "."},
		{"-c", "user.name=test", "-c", "user.email=test@example.com", "commit", "-q", "-m", "base"},
	} {
		cmd := exec.Command("git", args...)
		cmd.Dir = repo
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v: %s", args, err, out)
		}
	}
	return repo
}

func TestBuildRemoteBaseWhenAllowed(t *testing.T) {
	g := NewWithT(t)
	repo := gitRepo(t)
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"app/kustomization.yaml": "resources:\n- file://" + filepath.ToSlash(repo) + "//base?ref=main\n",
	})
	objs, err := Build(nil, Options{Root: root, Path: "app"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(objs).To(HaveLen(1))
	g.Expect(objs[0].GetName()).To(Equal("base"))

	_, err = Build(nil, Options{Root: root, Path: "app", NoRemoteBases: true})
	g.Expect(err).To(MatchError(ContainSubstring("remote bases are not allowed")))
}

func TestClonePatternOnlyMatchesKustomizeClones(t *testing.T) {
	re := clonePattern()
	tmp, err := filepath.EvalSymlinks(os.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		want bool
	}{
		{filepath.Join(tmp, "kustomize-123"), true},
		{filepath.Join(tmp, "kustomize-123/base/cm.yaml"), true},
		{filepath.Join(tmp, "kustomize-controller-suite-1/x"), false},
		{filepath.Join(tmp, "kustomize-123abc"), false},
		{filepath.Join(tmp, "artifacts/kustomize-123"), false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			NewWithT(t).Expect(re.MatchString(tt.path)).To(Equal(tt.want))
		})
	}
}
