package s3server

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// Version is the version of versitygw pinned in tools/go.mod; hack/tools.sh caches the
// binary under <cache>/ferry/tools/versitygw-<Version>/versitygw. A test checks that the
// two agree.
const Version = "v1.8.0"

// BinaryEnv names the environment variable that, when set, is the path of the S3 server
// binary to run instead of the cached one.
const BinaryEnv = "FERRY_S3SERVER"

// toolName is the binary's name in tools/go.mod and in the cache.
const toolName = "versitygw"

// CacheDir returns the root under which hack/tools.sh caches tools: $FERRY_TOOLS_DIR if
// set, else <os.UserCacheDir()>/ferry/tools.
func CacheDir() (string, error) {
	if dir := os.Getenv("FERRY_TOOLS_DIR"); dir != "" {
		return filepath.Abs(dir)
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("failed to find the user cache directory: %w", err)
	}
	return filepath.Join(base, "ferry", "tools"), nil
}

// Binary returns the path of the S3 server binary: $FERRY_S3SERVER when set, else the
// cached build of the pinned version. When it is not cached, Binary runs
// hack/tools.sh versitygw to build it (about a minute on a cold Go cache), so that a plain
// `go test` works on a fresh checkout; build progress goes to os.Stderr.
func Binary() (string, error) {
	if bin := os.Getenv(BinaryEnv); bin != "" {
		if err := checkExecutable(bin); err != nil {
			return "", fmt.Errorf("failed to use $%s: %w", BinaryEnv, err)
		}
		return bin, nil
	}
	root, err := CacheDir()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(root, toolName+"-"+Version, toolName)
	if checkExecutable(bin) == nil {
		return bin, nil
	}
	return build()
}

// checkExecutable reports whether path is an executable regular file.
func checkExecutable(path string) error {
	info, err := os.Stat(path)
	switch {
	case err != nil:
		return err
	case !info.Mode().IsRegular() || info.Mode()&0o111 == 0:
		return fmt.Errorf("%s is not an executable file", path)
	}
	return nil
}

// repoRoot returns the repository's root directory, found from this source file.
func repoRoot() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("failed to locate the s3server source directory")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", ".."), nil
}

// build runs hack/tools.sh to build the server and returns the path it prints last.
func build() (string, error) {
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	script := filepath.Join(root, "hack", "tools.sh")
	howTo := fmt.Sprintf("build it with `%s %s` or point $%s at a versitygw binary", script, toolName, BinaryEnv)
	if _, err := os.Stat(script); err != nil {
		return "", fmt.Errorf("failed to find the S3 server binary and its build script: %w; %s", err, howTo)
	}
	var stdout bytes.Buffer
	cmd := exec.Command("bash", script, toolName)
	cmd.Stdout, cmd.Stderr = &stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("failed to build the S3 server with %s: %w; %s", script, err, howTo)
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	bin := strings.TrimSpace(lines[len(lines)-1])
	if err := checkExecutable(bin); err != nil {
		return "", fmt.Errorf("failed to build the S3 server: %w; %s", err, howTo)
	}
	return bin, nil
}
