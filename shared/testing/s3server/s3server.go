// Package s3server runs a real S3 server (versitygw with its POSIX backend, built from the
// Go module proxy by hack/tools.sh) on 127.0.0.1 for tests, and fills its buckets through
// minio-go.
package s3server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/ferry-gitops/ferry/shared/testing/freeport"
	"github.com/ferry-gitops/ferry/shared/testing/pki"
)

// Defaults of Options.
const (
	// DefaultAccessKey is the root access key when Options.AccessKey is empty.
	DefaultAccessKey = "ferry-access"
	// DefaultSecretKey is the root secret key when Options.SecretKey is empty.
	DefaultSecretKey = "ferry-secret-key"
	// DefaultRegion is the region when Options.Region is empty.
	DefaultRegion = "us-east-1"
)

// startTimeout bounds the wait for the server to answer its health check.
const startTimeout = 30 * time.Second

// stopTimeout is how long the server gets to exit after SIGTERM before SIGKILL.
const stopTimeout = 10 * time.Second

// healthPath is the path of the server's health endpoint.
const healthPath = "/ferry-health"

// Options configure Start.
type Options struct {
	// AccessKey and SecretKey are the root credentials; empty means the defaults.
	AccessKey, SecretKey string
	// Region is the server's region; empty means DefaultRegion.
	Region string
	// TLS serves HTTPS with a certificate for 127.0.0.1 signed by a fresh CA (Server.CA).
	TLS bool
	// MutualTLS serves HTTPS like TLS and requires a client certificate signed by the same
	// CA (Server.ClientCert and ClientKey), through an in-process TLS front.
	MutualTLS bool
}

// Server is a running S3 server.
type Server struct {
	// Endpoint is host:port, as S3 clients take it.
	Endpoint string
	// URL is http(s)://Endpoint.
	URL string
	// AccessKey, SecretKey and Region are the server's credentials and region.
	AccessKey, SecretKey, Region string
	// CA is the PEM certificate of the CA that signed the server's certificate (TLS only).
	CA []byte
	// ClientCert and ClientKey are a PEM client certificate and key the server accepts
	// (MutualTLS only).
	ClientCert, ClientKey []byte
	// Client is a minio-go client of the server with the root credentials.
	Client *minio.Client

	dir   string
	cmd   *exec.Cmd
	done  chan struct{}
	log   *os.File
	front *http.Server
}

// Start starts an S3 server on a free 127.0.0.1 port with its data in a new temporary
// directory, and waits until it answers. Stop stops it and removes the directory.
func Start(opts Options) (*Server, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	s := &Server{AccessKey: opts.AccessKey, SecretKey: opts.SecretKey, Region: opts.Region}
	if s.AccessKey == "" {
		s.AccessKey = DefaultAccessKey
	}
	if s.SecretKey == "" {
		s.SecretKey = DefaultSecretKey
	}
	if s.Region == "" {
		s.Region = DefaultRegion
	}
	if s.dir, err = os.MkdirTemp("", "ferry-s3server-"); err != nil {
		return nil, fmt.Errorf("failed to create the S3 server directory: %w", err)
	}
	var ca *pki.CA
	var tlsArgs []string
	if opts.TLS || opts.MutualTLS {
		ca, err = pki.NewCA()
		if err == nil && !opts.MutualTLS {
			tlsArgs, err = s.writeServerPair(ca)
			s.CA = ca.CertPEM
		}
		if err != nil {
			_ = os.RemoveAll(s.dir)
			return nil, err
		}
	}
	// A free port may be taken between the probe and the server's bind: try a few.
	for attempt := 0; ; attempt++ {
		if err = s.start(bin, tlsArgs); err == nil || attempt == 2 {
			break
		}
	}
	if err != nil {
		_ = os.RemoveAll(s.dir)
		return nil, err
	}
	if opts.MutualTLS {
		if err := s.startMutualTLS(ca); err != nil {
			_ = s.Stop()
			return nil, err
		}
	}
	if err := s.newClient(); err != nil {
		_ = s.Stop()
		return nil, err
	}
	return s, nil
}

// start runs the server binary once on a free port and waits for its health check.
func (s *Server) start(bin string, tlsArgs []string) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	data, meta := filepath.Join(s.dir, "data"), filepath.Join(s.dir, "meta")
	for _, d := range []string{data, meta} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("failed to create the S3 server directory: %w", err)
		}
	}
	if s.log, err = os.Create(filepath.Join(s.dir, "server.log")); err != nil {
		return fmt.Errorf("failed to create the S3 server log: %w", err)
	}
	s.Endpoint = net.JoinHostPort("127.0.0.1", port)
	args := []string{"--port", s.Endpoint, "--region", s.Region, "--health", healthPath, "--quiet"}
	args = append(args, tlsArgs...)
	args = append(args, "posix", "--sidecar", meta, data)
	s.cmd = exec.Command(bin, args...)
	s.cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+s.AccessKey, "ROOT_SECRET_KEY="+s.SecretKey)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	s.cmd.SysProcAttr = childProcAttr()
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("failed to start the S3 server %s: %w", bin, err)
	}
	s.done = make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	scheme := "http"
	if len(tlsArgs) > 0 {
		scheme = "https"
	}
	s.URL = scheme + "://" + s.Endpoint
	if err := s.waitReady(); err != nil {
		_ = s.Stop()
		return err
	}
	return nil
}

// waitReady polls the health endpoint until it answers 200, the process exits or the
// start timeout passes.
func (s *Server) waitReady() error {
	hc, err := s.HTTPClient()
	if err != nil {
		return err
	}
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return fmt.Errorf("failed to start the S3 server: it exited:%s", s.logTail())
		default:
		}
		resp, err := hc.Get(s.URL + healthPath)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("failed to start the S3 server: no answer on %s within %s:%s", s.URL, startTimeout, s.logTail())
}

// newClient builds s.Client.
func (s *Server) newClient() error {
	hc, err := s.HTTPClient()
	if err != nil {
		return err
	}
	c, err := minio.New(s.Endpoint, &minio.Options{
		Creds:     credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""),
		Secure:    s.CA != nil,
		Region:    s.Region,
		Transport: hc.Transport,
	})
	if err != nil {
		return fmt.Errorf("failed to create the S3 client: %w", err)
	}
	s.Client = c
	return nil
}

// Stop stops the server by its PID (SIGTERM, then SIGKILL after a grace period), waits for
// it and removes its data directory. It may be called more than once.
func (s *Server) Stop() error {
	var err error
	if s.front != nil {
		_ = s.front.Close()
	}
	if s.cmd != nil && s.cmd.Process != nil {
		select {
		case <-s.done:
		default:
			if serr := s.cmd.Process.Signal(syscall.SIGTERM); serr != nil && !errors.Is(serr, os.ErrProcessDone) {
				err = fmt.Errorf("failed to stop the S3 server (pid %d): %w", s.cmd.Process.Pid, serr)
			}
			select {
			case <-s.done:
			case <-time.After(stopTimeout):
				_ = s.cmd.Process.Kill()
				<-s.done
			}
		}
	}
	if s.log != nil {
		_ = s.log.Close()
	}
	if s.dir != "" {
		if rerr := os.RemoveAll(s.dir); rerr != nil && err == nil {
			err = fmt.Errorf("failed to remove the S3 server directory: %w", rerr)
		}
	}
	return err
}

// logTail returns the end of the server's log, for start errors.
func (s *Server) logTail() string {
	data, err := os.ReadFile(s.log.Name())
	if err != nil || len(bytes.TrimSpace(data)) == 0 {
		return " (empty log)"
	}
	if len(data) > 2000 {
		data = data[len(data)-2000:]
	}
	return "\n" + strings.TrimSpace(string(data))
}

// freePort returns a TCP port free on 127.0.0.1, outside the ephemeral range.
func freePort() (string, error) {
	p, err := freeport.Port()
	return strconv.Itoa(p), err
}

// waitCtx bounds the helpers' calls when the caller's context has no deadline.
func waitCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, time.Minute)
}
