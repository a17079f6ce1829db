package notifier

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// startNATS runs a NATS server on 127.0.0.1 with opts and returns its client URL.
func startNATS(t *testing.T, opts *server.Options) string {
	t.Helper()
	opts.Host, opts.Port, opts.NoLog, opts.NoSigs = "127.0.0.1", server.RANDOM_PORT, true, true
	s, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	t.Cleanup(s.Shutdown)
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("the NATS server did not start")
	}
	return s.ClientURL()
}

// subscribe returns the channel of the messages on subject, read as user.
func subscribe(t *testing.T, url, subject string, opt nats.Option) chan *nats.Msg {
	t.Helper()
	conn, err := nats.Connect(url, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Close)
	msgs := make(chan *nats.Msg, 4)
	if _, err := conn.ChanSubscribe(subject, msgs); err != nil {
		t.Fatal(err)
	}
	if err := conn.Flush(); err != nil {
		t.Fatal(err)
	}
	return msgs
}

// receive returns the next message, failing the test after a deadline.
func receive(t *testing.T, msgs chan *nats.Msg) *nats.Msg {
	t.Helper()
	select {
	case m := <-msgs:
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no message received")
		return nil
	}
}

// TestNATS publishes the event on the Provider's subject with the Secret's username and
// password, or its token; refused credentials and subjects fail for good, without the
// password in the error; an unreachable server fails in a way worth a retry.
func TestNATS(t *testing.T) {
	publish := &server.Permissions{Publish: &server.SubjectPermission{Allow: []string{"flux.>"}}}
	url := startNATS(t, &server.Options{Users: []*server.User{
		{Username: "flux", Password: "s3cret-pw", Permissions: publish},
		{Username: "reader", Password: "r"},
	}})
	msgs := subscribe(t, url, "flux.events", nats.UserInfo("reader", "r"))
	ev := sampleEvent("error")

	n, err := New(Config{Type: "nats", Address: url, Channel: "flux.events", Username: "flux", Password: "s3cret-pw"})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Post(t.Context(), ev); err != nil {
		t.Fatalf("Post: %v", err)
	}
	var got Event
	if err := json.Unmarshal(receive(t, msgs).Data, &got); err != nil {
		t.Fatalf("the message is not the JSON event: %v", err)
	}
	if !reflect.DeepEqual(got, ev) {
		t.Fatalf("received %+v, want %+v", got, ev)
	}

	t.Run("wrong password", func(t *testing.T) {
		n, _ := New(Config{Type: "nats", Address: url, Channel: "flux.events", Username: "flux", Password: "wrong-pw"})
		err := n.Post(t.Context(), ev)
		if err == nil || Retryable(err) || strings.Contains(err.Error(), "wrong-pw") {
			t.Fatalf("Post = %v, want a permanent failure without the password", err)
		}
	})
	t.Run("subject not allowed", func(t *testing.T) {
		n, _ := New(Config{Type: "nats", Address: url, Channel: "other.events", Username: "flux", Password: "s3cret-pw"})
		err := n.Post(t.Context(), ev)
		if err == nil || Retryable(err) || !strings.Contains(err.Error(), "other.events") {
			t.Fatalf("Post = %v, want a permanent failure naming the subject", err)
		}
	})
	t.Run("token", func(t *testing.T) {
		url := startNATS(t, &server.Options{Authorization: "tok3n"})
		msgs := subscribe(t, url, "flux.events", nats.Token("tok3n"))
		n, _ := New(Config{Type: "nats", Address: url, Channel: "flux.events", Token: "tok3n"})
		if err := n.Post(t.Context(), ev); err != nil {
			t.Fatalf("Post: %v", err)
		}
		receive(t, msgs)
	})
	t.Run("server down", func(t *testing.T) {
		n, _ := New(Config{Type: "nats", Address: "nats://127.0.0.1:1", Channel: "flux.events", Timeout: time.Second})
		if err := n.Post(t.Context(), ev); err == nil || !Retryable(err) {
			t.Fatalf("Post = %v, want a failure worth a retry", err)
		}
	})
}

// TestNATSSettings: the address and subject are required; the error never shows the address
// (it may hold credentials).
func TestNATSSettings(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{name: "no address", cfg: Config{Channel: "s"}, want: "needs the server's address"},
		{name: "http address", cfg: Config{Address: "https://user:pw-secret@nats.example.com", Channel: "s"}, want: "nats://"},
		{name: "no subject", cfg: Config{Address: "nats://nats.example.com:4222"}, want: "spec.channel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Type = "nats"
			_, err := New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "pw-secret") {
				t.Fatalf("New = %v, want an error naming %q", err, tt.want)
			}
		})
	}
	if _, err := New(Config{Type: "nats", Address: "nats://a:4222, tls://b:4222", Channel: "s"}); err != nil {
		t.Fatalf("a list of servers: %v", err)
	}
}
