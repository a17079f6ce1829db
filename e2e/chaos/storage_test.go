package chaos

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/ferry-gitops/ferry/shared/testing/gitserver"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// storageSize is the size of the tmpfs the source-controller stores its artifacts on.
const storageSize = "2m"

// TestChaosStorageFull is fault 4 of the chaos issue: the source-controller's artifact
// storage is a small tmpfs. A GitRepository whose new revision does not fit is Ready=False
// with StorageOperationFailed=True naming the cause, and the previous artifact is still
// recorded and served.
func TestChaosStorageFull(t *testing.T) {
	g := NewWithT(t)
	dir := smallStorage(t)
	restartSource(t, "--storage-path="+dir)
	t.Cleanup(func() { restartSource(t) })

	ns := testenv.NewNamespace(t, env.Client)
	repos := gitserver.NewRepos(t)
	repos.Create(t, "app", appFiles(0, false))
	url := repos.ServeHTTP(t, gitserver.HTTPOptions{Plain: true}).RepoURL("app")
	src := decode(t, ns, `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: app}
spec: {interval: 1h, url: "`+url+`", ref: {branch: master}}
`)[0]
	apply(t, src)
	var before map[string]any
	g.Eventually(func(g Gomega) {
		cur := get(g, src)
		expectReady(g, cur)
		before, _, _ = unstructured.NestedMap(cur.Object, "status", "artifact")
	}, timeout, poll).Should(Succeed())

	// 3 MiB that no compression shrinks: the next artifact cannot fit in 2 MiB.
	noise := make([]byte, 3<<20)
	if _, err := rand.Read(noise); err != nil {
		t.Fatal(err)
	}
	head := repos.Commit(t, "app", "master", "add a large file", map[string]string{"large.txt": base64.StdEncoding.EncodeToString(noise)})
	requestReconcile(t, src)
	g.Eventually(func(g Gomega) {
		cur := get(g, src)
		status, reason, msg := ready(cur)
		g.Expect(status).To(Equal("False"), "Ready: %s: %s", reason, msg)
		g.Expect(msg).To(ContainSubstring("no space left on device"))
		storage, _, _ := statuscheck.Condition(cur, "StorageOperationFailed")
		g.Expect(storage).To(Equal("True"))
		artifact, _, _ := unstructured.NestedMap(cur.Object, "status", "artifact")
		g.Expect(artifact).To(Equal(before), "the previous artifact stays recorded")
	}, timeout, poll).Should(Succeed())
	_, reason, msg := ready(get(g, src))
	t.Logf("revision %s does not fit: Ready=False %s: %s", head[:12], reason, msg)

	resp, err := http.Get(before["url"].(string))
	g.Expect(err).NotTo(HaveOccurred())
	_ = resp.Body.Close()
	g.Expect(resp.StatusCode).To(Equal(http.StatusOK), "the previous artifact is still served")
}

// smallStorage mounts a tmpfs of storageSize and returns its path; the test unmounts it.
func smallStorage(t *testing.T) string {
	dir := filepath.Join(t.TempDir(), "storage")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+storageSize, "tmpfs", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("failed to mount a %s tmpfs for the artifact storage (the chaos suite runs as root): %v: %s", storageSize, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("failed to unmount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// restartSource restarts the source-controller with args added to its own.
func restartSource(t *testing.T, args ...string) {
	if err := controllers.Kill("source-controller"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := controllers.Restart(ctx, "source-controller", args...); err != nil {
		t.Fatal(err)
	}
}
