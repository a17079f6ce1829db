package testenv

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// Versions of the control-plane binaries that testbin/build.sh builds. They
// must match the readonly variables at the top of that script.
const (
	// KubernetesVersion is the version of kube-apiserver,
	// kube-controller-manager and kube-scheduler.
	KubernetesVersion = "1.34.4"
	// EtcdVersion is the version of etcd.
	EtcdVersion = "3.6.8"
	// KWOKVersion is the version of kwok, which fakes kubelets in full mode.
	KWOKVersion = "0.7.0"
)

// Names of the binaries in the assets directory.
const (
	binEtcd              = "etcd"
	binAPIServer         = "kube-apiserver"
	binControllerManager = "kube-controller-manager"
	binScheduler         = "kube-scheduler"
	binKWOK              = "kwok"
)

// allBinaries lists every binary of the assets directory that a control plane
// needs; build.sh also puts kubectl there, for users and for the e2e stories.
var allBinaries = []string{binEtcd, binAPIServer, binControllerManager, binScheduler, binKWOK}

// assetsDirName is the name build.sh gives the directory of symlinks to all
// binaries (and kubectl), under the cache root.
func assetsDirName() string {
	return fmt.Sprintf("assets-k8s-%s-etcd-%s-kwok-%s-kubectl", KubernetesVersion, EtcdVersion, KWOKVersion)
}

// CacheDir returns the root under which build.sh caches binaries:
// $FERRY_TESTBIN_DIR if set, else <os.UserCacheDir()>/ferry/testbin.
func CacheDir() (string, error) {
	if dir := os.Getenv("FERRY_TESTBIN_DIR"); dir != "" {
		return filepath.Abs(dir)
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("failed to find the user cache directory: %w", err)
	}
	return filepath.Join(base, "ferry", "testbin"), nil
}

// Binaries returns the directory holding etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler and kwok, in the layout envtest
// expects of KUBEBUILDER_ASSETS. KUBEBUILDER_ASSETS wins when set; otherwise
// the binaries come from the cache, and when they are missing Binaries runs
// testbin/build.sh to build them from source (minutes on a cold cache), so
// that a plain `go test` works on a fresh machine. Build progress goes to
// os.Stderr.
func Binaries() (string, error) {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir, nil
	}
	root, err := CacheDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, assetsDirName())
	if missingBinaries(dir, allBinaries) == nil {
		return dir, nil
	}
	return runBuildScript(os.Stderr)
}

// missingBinaries returns an error naming the binaries absent from dir.
func missingBinaries(dir string, names []string) error {
	var missing []string
	for _, name := range names {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil || info.IsDir() || info.Mode()&0o111 == 0 {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing %s in %s", strings.Join(missing, ", "), dir)
	}
	return nil
}

// BuildScript returns the path of testbin/build.sh, found beside this source
// file.
func BuildScript() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("failed to locate the testenv source directory")
	}
	script := filepath.Join(filepath.Dir(file), "testbin", "build.sh")
	if _, err := os.Stat(script); err != nil {
		return "", fmt.Errorf("failed to find the build script: %w", err)
	}
	return script, nil
}

// runBuildScript runs build.sh, streaming its progress to progress, and
// returns the assets directory it prints as its last line.
func runBuildScript(progress io.Writer) (string, error) {
	script, err := BuildScript()
	if err != nil {
		return "", err
	}
	var stdout bytes.Buffer
	cmd := exec.Command("bash", script)
	cmd.Stdout = &stdout
	cmd.Stderr = progress
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("failed to build the test binaries with %s: %w", script, err)
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	dir := strings.TrimSpace(lines[len(lines)-1])
	if err := missingBinaries(dir, allBinaries); err != nil {
		return "", fmt.Errorf("failed to build the test binaries: %w", err)
	}
	return dir, nil
}
