// Package browser runs `ferry ui` as a process and drives its page in a real headless
// Chromium (Debian's chromium package) through the DevTools protocol, for the browser
// stories and the page's benchmark.
package browser

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// ChromiumEnv names the environment variable that points at a Chromium binary.
const ChromiumEnv = "FERRY_CHROMIUM"

// ScreenshotsEnv names the environment variable of the directory the screenshots go to.
const ScreenshotsEnv = "FERRY_SCREENSHOTS"

// Chromium returns the path of Chromium: $FERRY_CHROMIUM, or the first of chromium,
// chromium-browser and google-chrome on PATH.
func Chromium() (string, error) {
	if p := os.Getenv(ChromiumEnv); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no Chromium found: install Debian's chromium package (apt-get install -y chromium) or set " + ChromiumEnv)
}

// New starts a headless Chromium for the test and returns a browser context of one tab;
// the test fails when there is no Chromium. Chromium stops when the test ends.
func New(t testing.TB) context.Context {
	t.Helper()
	path, err := Chromium()
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.WindowSize(1600, 1000),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("enable-precise-memory-info", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	if err := chromedp.Run(ctx); err != nil {
		cancel()
		cancelAlloc()
		t.Fatalf("failed to start Chromium %s: %v", path, err)
	}
	t.Cleanup(func() { cancel(); cancelAlloc() })
	return ctx
}

// Tab opens another tab (with its own cookies) of the browser of ctx.
func Tab(t testing.TB, ctx context.Context) context.Context {
	t.Helper()
	tab, cancel := chromedp.NewContext(ctx)
	if err := chromedp.Run(tab); err != nil {
		t.Fatalf("failed to open a tab: %v", err)
	}
	t.Cleanup(cancel)
	return tab
}

// UI is a running `ferry ui`.
type UI struct {
	// URL is the address it printed, with the token.
	URL string
	// PID is the process ID.
	PID int
	cmd *exec.Cmd
}

// StartUI runs `<bin>/ferry ui --no-open --kubeconfig kubeconfig args...` until the test
// ends and waits for the URL it prints.
func StartUI(t testing.TB, bin, kubeconfig string, args ...string) *UI {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), "ferry-ui.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(bin, "ferry"), append([]string{"ui", "--no-open", "--kubeconfig", kubeconfig}, args...)...)
	cmd.Stderr = logFile
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("failed to start ferry ui: %v", err)
	}
	ui := &UI{cmd: cmd, PID: cmd.Process.Pid}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGINT)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		logFile.Close()
		data, _ := os.ReadFile(logPath)
		t.Logf("ferry ui (pid %d) printed:\n%s", ui.PID, data)
	})
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		lines <- strings.TrimSpace(line)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case line := <-lines:
		if u, err := url.Parse(line); err != nil || u.Query().Get("token") == "" {
			t.Fatalf("ferry ui printed %q, want its URL", line)
		}
		ui.URL = line
	case <-time.After(2 * time.Minute):
		t.Fatal("ferry ui printed no URL within 2 minutes")
	}
	return ui
}

// WaitJS evaluates expr in the page until it returns true, for at most timeout; it returns
// the last error or "still false" when time is up.
func WaitJS(ctx context.Context, expr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var ok bool
		err := chromedp.Run(ctx, chromedp.Evaluate(expr, &ok))
		if err == nil && ok {
			return nil
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = errors.New("still false")
			}
			return fmt.Errorf("%s within %s: %w", expr, timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ScreenshotDir returns $FERRY_SCREENSHOTS (created), or else a new temporary directory
// that outlives the test, so that a reviewer can look at the screenshots.
func ScreenshotDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv(ScreenshotsEnv)
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "ferry-ui-screenshots-"); err != nil {
			t.Fatal(err)
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Screenshot writes a PNG of the whole page to dir/name.png.
func Screenshot(t testing.TB, ctx context.Context, dir, name string) {
	t.Helper()
	var png []byte
	if err := chromedp.Run(ctx, chromedp.FullScreenshot(&png, 100)); err != nil {
		t.Fatalf("failed to take screenshot %s: %v", name, err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}
