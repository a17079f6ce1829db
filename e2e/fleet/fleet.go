// Package fleet builds Ferry's controller binaries and runs them as processes against a
// cluster, the way they run in production: one process per controller, each with its own
// metrics and health endpoints.
package fleet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ferry-gitops/ferry/shared/testing/freeport"
)

// Controllers are the fleet's binaries, in start order.
var Controllers = []string{
	"source-controller", "kustomize-controller", "helm-controller",
	"image-reflector-controller", "image-automation-controller", "notification-controller",
}

// Process is one running controller.
type Process struct {
	// Name is the controller's name.
	Name string
	// MetricsAddr and HealthAddr are the 127.0.0.1 addresses it serves.
	MetricsAddr, HealthAddr string
	// StorageAddr is the source-controller's artifact server address.
	StorageAddr string
	// EventsAddr and ReceiverAddr are the notification-controller's event endpoint and
	// webhook receiver addresses.
	EventsAddr, ReceiverAddr string
	// Args are the arguments it runs with.
	Args []string
	// LogPath is the file holding its output.
	LogPath string
	// binary and deployArgs are what it was started from, for a restart.
	binary     string
	deployArgs []string
	cmd        *exec.Cmd
	logStart   int64 // where this run's output starts in LogPath
	exited     chan struct{}
	err        error
}

// Fleet is the set of running controllers.
type Fleet struct {
	// Processes are the running controllers, by start order.
	Processes []*Process
	// Bin holds the binaries the fleet runs, and the ferry CLI (CLI).
	Bin string
	// Dir holds each controller's log (<name>.log) and what else the run records.
	Dir string
	// Secrets are the values of the Secrets the tests created, which CheckLeaks looks for.
	Secrets *Secrets
	// opts are the options the fleet started with, for Restart.
	opts Options
}

// CLI is the name of the ferry command's binary, which Build puts beside the controllers.
const CLI = "ferry"

// Build compiles every controller, and the ferry CLI (from cli/), into binDir.
func Build(ctx context.Context, repoRoot, binDir string, progress io.Writer) error {
	for _, c := range append(append([]string(nil), Controllers...), CLI) {
		fmt.Fprintf(progress, "building %s\n", c)
		dir, out := c, c
		if c == CLI {
			dir = "cli"
		}
		cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", filepath.Join(binDir, out), ".")
		cmd.Dir = filepath.Join(repoRoot, dir)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("failed to build %s: %w\n%s", c, err, out)
		}
	}
	return nil
}

// BinEnv names the environment variable that points at prebuilt controller binaries:
// `make test` and `make e2e` build bin/ once and set it, so that the tests that run the
// fleet don't each build it again.
const BinEnv = "FERRY_BIN"

// Binaries returns the directory of the controller binaries: $FERRY_BIN when set, or else
// tmp after building them there from the repository at repoRoot.
func Binaries(ctx context.Context, repoRoot, tmp string, progress io.Writer) (string, error) {
	if dir := os.Getenv(BinEnv); dir != "" {
		return dir, nil
	}
	fmt.Fprintf(progress, "building the controllers (set %s to use prebuilt ones)\n", BinEnv)
	return tmp, Build(ctx, repoRoot, tmp, progress)
}

// Options say how to run the fleet.
type Options struct {
	// Bin holds the controller binaries (Build).
	Bin string
	// Kubeconfig is the path of the kubeconfig of the cluster to reconcile.
	Kubeconfig string
	// Dir receives each controller's output as <name>.log and the source-controller's storage.
	Dir string
	// Args are each controller's arguments, as its Deployment gives them (DeployArgs); the
	// listen addresses and the storage path are moved to 127.0.0.1 and Dir.
	Args map[string][]string
	// ExtraArgs are appended to every controller's arguments.
	ExtraArgs []string
	// EventsAddr is the 127.0.0.1 address of the notification-controller's event endpoint:
	// it listens there and the other controllers POST their events there. Start picks one;
	// when empty, StartOne runs the other controllers without --events-addr.
	EventsAddr string
}

// Namespace is the namespace the fleet runs in (RUNTIME_NAMESPACE): its leader-election
// leases are there.
const Namespace = "flux-system"

// Start runs every controller against the cluster of opts.Kubeconfig and waits until each
// one is ready.
func Start(ctx context.Context, opts Options) (*Fleet, error) {
	if opts.EventsAddr == "" {
		var err error
		if opts.EventsAddr, err = freeAddr(); err != nil {
			return nil, err
		}
	}
	f := &Fleet{Bin: opts.Bin, Dir: opts.Dir, Secrets: &Secrets{}, opts: opts}
	for _, name := range Controllers {
		p, err := start(name, name, opts.Args[name], opts)
		if err != nil {
			return nil, errors.Join(err, f.Stop())
		}
		f.Processes = append(f.Processes, p)
	}
	for i, p := range f.Processes {
		ready, err := p.waitReady(ctx, opts)
		if ready != nil {
			f.Processes[i] = ready
		}
		if err != nil {
			return nil, errors.Join(err, f.Stop())
		}
	}
	return f, nil
}

// Process returns the running controller name, or nil.
func (f *Fleet) Process(name string) *Process {
	for _, p := range f.Processes {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// LocalArgs turns a Deployment's arguments into a local process's: the namespace variable
// is expanded, and addresses (metrics, health, storage, events, webhook receiver), the
// storage paths and image-automation-controller's workspace are left for start to set.
func LocalArgs(args []string) []string {
	var out []string
	for _, a := range args {
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch name {
		case "metrics-addr", "health-addr", "storage-path", "storage-addr", "storage-adv-addr", "events-addr",
			"receiverAddr", "receiver-addr", "workspace-path":
			continue
		}
		out = append(out, strings.ReplaceAll(a, "$(RUNTIME_NAMESPACE)", Namespace))
	}
	return out
}

// StartOne runs one controller as the process name, from binary in opts.Bin, with args as a
// Deployment gives them (localized as by Start), and waits until it is ready.
func StartOne(ctx context.Context, opts Options, name, binary string, args []string) (*Process, error) {
	p, err := start(name, binary, args, opts)
	if err != nil {
		return nil, err
	}
	ready, err := p.waitReady(ctx, opts)
	if err != nil {
		if ready != nil {
			err = errors.Join(err, ready.Stop())
		} else {
			err = errors.Join(err, p.Stop())
		}
		return nil, err
	}
	return ready, nil
}

func start(name, binary string, deployArgs []string, opts Options) (*Process, error) {
	metrics, err := freeAddr()
	if err != nil {
		return nil, err
	}
	health, err := freeAddr()
	if err != nil {
		return nil, err
	}
	p := &Process{Name: name, MetricsAddr: metrics, HealthAddr: health, LogPath: filepath.Join(opts.Dir, name+".log"),
		binary: binary, deployArgs: deployArgs, exited: make(chan struct{})}
	p.Args = append(LocalArgs(deployArgs), "--metrics-addr="+metrics, "--health-addr="+health)
	if binary == "source-controller" {
		if p.StorageAddr, err = freeAddr(); err != nil {
			return nil, err
		}
		p.Args = append(p.Args, "--storage-path="+filepath.Join(opts.Dir, "storage"),
			"--storage-addr="+p.StorageAddr, "--storage-adv-addr="+p.StorageAddr)
	}
	if binary == "image-reflector-controller" {
		p.Args = append(p.Args, "--storage-path="+filepath.Join(opts.Dir, "image-storage"))
	}
	if binary == "image-automation-controller" {
		p.Args = append(p.Args, "--workspace-path="+filepath.Join(opts.Dir, "image-workspace"))
	}
	if err := p.eventArgs(opts); err != nil {
		return nil, err
	}
	p.Args = append(append(p.Args, "--log-encoding=console"), opts.ExtraArgs...)
	// Appended to, not truncated: the log of a restarted controller keeps what its earlier
	// runs wrote, which the secret-leak check (CheckLeaks) reads at the end.
	log, err := os.OpenFile(p.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("failed to create log of %s: %w", name, err)
	}
	if st, err := log.Stat(); err == nil {
		p.logStart = st.Size()
	}
	cmd := exec.Command(filepath.Join(opts.Bin, binary), p.Args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+opts.Kubeconfig, "RUNTIME_NAMESPACE="+Namespace)
	cmd.Dir = opts.Dir
	cmd.Stdout, cmd.Stderr = log, log
	// Its own process group: a Ctrl-C of make run reaches run alone, which stops the fleet
	// in order (one signal each, so controller-runtime's second-signal exit never fires).
	// And the kernel kills it when its parent dies without stopping it (SIGKILL of make run,
	// a test binary's panic or timeout): nothing is left holding the fleet's ports.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = log.Close()
		return nil, fmt.Errorf("failed to start %s: %w", name, err)
	}
	p.cmd = cmd
	go func() {
		p.err = cmd.Wait()
		_ = log.Close()
		close(p.exited)
	}()
	return p, nil
}

// eventArgs gives the notification-controller its event endpoint and webhook receiver
// addresses, and the others the endpoint to POST their events to.
func (p *Process) eventArgs(opts Options) error {
	if p.binary != "notification-controller" {
		if opts.EventsAddr != "" {
			p.Args = append(p.Args, "--events-addr=http://"+opts.EventsAddr+"/")
		}
		return nil
	}
	var err error
	if p.EventsAddr = opts.EventsAddr; p.EventsAddr == "" {
		if p.EventsAddr, err = freeAddr(); err != nil {
			return err
		}
	}
	if p.ReceiverAddr, err = freeAddr(); err != nil {
		return err
	}
	p.Args = append(p.Args, "--events-addr="+p.EventsAddr, "--receiverAddr="+p.ReceiverAddr)
	return nil
}

// startAttempts bounds the restarts of a controller whose port was taken before it bound it.
const startAttempts = 3

// waitReady polls /readyz and /metrics until both answer 200, the process exits or ctx
// ends, and returns the ready process. A process that exits because another one took one of
// its ports first is started again on new ports, up to startAttempts times.
func (p *Process) waitReady(ctx context.Context, opts Options) (*Process, error) {
	for attempt := 1; ; attempt++ {
		err := p.pollReady(ctx)
		if err == nil || !p.lostPort() || attempt == startAttempts {
			return p, err
		}
		if p, err = start(p.Name, p.binary, p.deployArgs, opts); err != nil {
			return nil, err
		}
	}
}

func (p *Process) pollReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if answers("http://"+p.HealthAddr+"/readyz") && answers("http://"+p.MetricsAddr+"/metrics") {
			select {
			case <-p.exited:
			default:
				return nil
			}
		}
		select {
		case <-p.exited:
			return fmt.Errorf("%s exited before it was ready: %v", p.Name, p.err)
		case <-ctx.Done():
			return fmt.Errorf("%s not ready: %w", p.Name, ctx.Err())
		case <-tick.C:
		}
	}
}

// lostPort tells whether the process exited because one of its addresses was in use.
func (p *Process) lostPort() bool {
	select {
	case <-p.exited:
	default:
		return false
	}
	data, err := os.ReadFile(p.LogPath)
	return err == nil && int64(len(data)) >= p.logStart && strings.Contains(string(data[p.logStart:]), "address already in use")
}

// answers tells whether a GET of url answers 200.
func answers(url string) bool {
	resp, err := http.Get(url)
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// PID returns the controller's process id.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Running tells whether the controller's process has not exited.
func (p *Process) Running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// Kill kills controller name with SIGKILL, as the kernel's OOM killer or a node failure
// would, and returns once it has exited. Restart starts it again.
func (f *Fleet) Kill(name string) error {
	p := f.Process(name)
	if p == nil {
		return fmt.Errorf("no controller %s", name)
	}
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("failed to kill %s (pid %d): %w", name, p.cmd.Process.Pid, err)
	}
	<-p.exited
	return nil
}

// Restart starts controller name again, after Kill or Stop, with the arguments it had (on new
// addresses, as a rescheduled pod gets a new IP), and waits until it is ready. Arguments in
// args come last, so they override the ones it had (a flag's last value wins).
func (f *Fleet) Restart(ctx context.Context, name string, args ...string) error {
	opts := f.opts
	opts.ExtraArgs = append(append([]string(nil), opts.ExtraArgs...), args...)
	for i, p := range f.Processes {
		if p.Name != name {
			continue
		}
		select {
		case <-p.exited:
		default:
			return fmt.Errorf("%s is still running", name)
		}
		next, err := StartOne(ctx, opts, p.Name, p.binary, p.deployArgs)
		if err != nil {
			return err
		}
		f.Processes[i] = next
		return nil
	}
	return fmt.Errorf("no controller %s", name)
}

// stopTimeout is how long a controller gets to exit after SIGTERM before it is killed.
const stopTimeout = 30 * time.Second

// Stop sends SIGTERM to every controller (by PID) at once, waits for each to exit, and kills
// the ones still running after stopTimeout. It returns the errors of processes that did not
// exit cleanly.
func (f *Fleet) Stop() error {
	for _, p := range f.Processes {
		p.terminate()
	}
	var errs []error
	for _, p := range f.Processes {
		errs = append(errs, p.wait())
	}
	f.Processes = nil
	return errors.Join(errs...)
}

// Stop sends SIGTERM to the controller, waits until it exits (killing it after stopTimeout)
// and returns an error unless it exited cleanly.
func (p *Process) Stop() error {
	p.terminate()
	return p.wait()
}

func (p *Process) terminate() { _ = p.cmd.Process.Signal(syscall.SIGTERM) }

func (p *Process) wait() error {
	select {
	case <-p.exited:
	case <-time.After(stopTimeout):
		_ = p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("%s did not stop within %v of SIGTERM", p.Name, stopTimeout)
	}
	if p.err != nil {
		return fmt.Errorf("%s exited with %w", p.Name, p.err)
	}
	return nil
}

func freeAddr() (string, error) { return freeport.Addr() }
