package gitserver

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"
)

// SSHServer serves the repositories of a Repos over SSH with the real git upload-pack and
// receive-pack, accepting one client key.
type SSHServer struct {
	// Addr is the host:port the server listens on.
	Addr string
	// KnownHosts is the known_hosts line of the server's host key for Addr.
	KnownHosts []byte
	// Identity is the PEM (OpenSSH) private key of the accepted client.
	Identity []byte

	repos    *Repos
	git      string
	config   *ssh.ServerConfig
	listener net.Listener
	wg       sync.WaitGroup
}

// ServeSSH starts an SSH server on 127.0.0.1 for the repositories, stopped when tb ends.
func (r *Repos) ServeSSH(tb testing.TB) *SSHServer {
	tb.Helper()
	git, err := gitBinary()
	if err != nil {
		tb.Fatal(err)
	}
	hostSigner, _ := newSSHKey(tb)
	clientSigner, clientPEM := newSSHKey(tb)
	allowed := clientSigner.PublicKey().Marshal()
	cfg := &ssh.ServerConfig{PublicKeyCallback: func(_ ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
		if bytes.Equal(key.Marshal(), allowed) {
			return &ssh.Permissions{}, nil
		}
		return nil, errors.New("public key not accepted")
	}}
	cfg.AddHostKey(hostSigner)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s := &SSHServer{Addr: ln.Addr().String(), Identity: clientPEM, repos: r, git: git, config: cfg, listener: ln}
	s.KnownHosts = []byte(fmt.Sprintf("[127.0.0.1]:%d %s", ln.Addr().(*net.TCPAddr).Port,
		ssh.MarshalAuthorizedKey(hostSigner.PublicKey())))
	s.wg.Add(1)
	go s.accept()
	tb.Cleanup(s.Close)
	return s
}

// RepoURL returns the ssh:// URL of the repository name.
func (s *SSHServer) RepoURL(name string) string { return "ssh://git@" + s.Addr + "/" + name + ".git" }

// Close stops accepting connections and waits for the sessions in flight.
func (s *SSHServer) Close() {
	_ = s.listener.Close()
	s.wg.Wait()
}

func (s *SSHServer) accept() {
	defer s.wg.Done()
	for {
		conn, err := s.listener.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.serveConn(conn)
		}()
	}
}

func (s *SSHServer) serveConn(conn net.Conn) {
	defer conn.Close()
	sc, chans, reqs, err := ssh.NewServerConn(conn, s.config)
	if err != nil {
		return
	}
	defer sc.Close()
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			_ = nc.Reject(ssh.UnknownChannelType, "only sessions are served")
			continue
		}
		ch, chReqs, err := nc.Accept()
		if err != nil {
			return
		}
		s.serveSession(ch, chReqs)
	}
}

// serveSession answers env requests and runs the first exec request's git command.
func (s *SSHServer) serveSession(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	for req := range reqs {
		if req.Type != "exec" {
			_ = req.Reply(req.Type == "env", nil)
			continue
		}
		var payload struct{ Command string }
		if err := ssh.Unmarshal(req.Payload, &payload); err != nil {
			_ = req.Reply(false, nil)
			return
		}
		cmd, err := s.command(payload.Command)
		if err != nil {
			_ = req.Reply(false, nil)
			fmt.Fprintln(ch.Stderr(), err)
			return
		}
		_ = req.Reply(true, nil)
		cmd.Stdout, cmd.Stderr = ch, ch.Stderr()
		status := uint32(0)
		if err := run(cmd, ch); err != nil {
			status = 1
		}
		_ = ch.CloseWrite()
		code := make([]byte, 4)
		binary.BigEndian.PutUint32(code, status)
		_, _ = ch.SendRequest("exit-status", false, code)
		return
	}
}

// command parses "git-upload-pack '/name.git'" (or receive-pack) into a command on the
// repository of the Repos, counting upload-packs.
func (s *SSHServer) command(line string) (*exec.Cmd, error) {
	verb, arg, _ := strings.Cut(line, " ")
	service, ok := strings.CutPrefix(verb, "git-")
	if !ok || (service != "upload-pack" && service != "receive-pack") {
		return nil, fmt.Errorf("unsupported command %q", verb)
	}
	p := path.Clean("/" + strings.Trim(strings.TrimSpace(arg), "'\""))
	name := repoName(p)
	if name == "" || path.Dir(p) != "/" {
		return nil, fmt.Errorf("unknown repository %q", p)
	}
	if service == "upload-pack" {
		s.repos.count(s.repos.ssh, name)
	}
	return exec.Command(s.git, service, filepath.Join(s.repos.Dir, name+".git")), nil
}

// run runs cmd with its input copied from in; unlike cmd.Stdin = in, it does not wait for in
// to end once the command has exited.
func run(cmd *exec.Cmd, in io.Reader) error {
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	go func() {
		_, _ = io.Copy(stdin, in)
		_ = stdin.Close()
	}()
	return cmd.Run()
}

// newSSHKey returns a new ed25519 signer and its private key as OpenSSH PEM.
func newSSHKey(tb testing.TB) (ssh.Signer, []byte) {
	tb.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		tb.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		tb.Fatal(err)
	}
	return signer, pem.EncodeToMemory(block)
}
