package notifier

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/nats-io/nats.go"
)

// natsPublisher publishes the event, as Flux's JSON event, on the NATS subject spec.channel
// of the server(s) at the address (nats://, tls://, ws:// or wss:// URLs, comma-separated).
// It authenticates with the Secret's username and password (both set), or its token, or with
// the credentials of the address; spec.certSecretRef sets its TLS client configuration. Each
// event opens a connection, publishes, waits for the server to have processed the message
// and closes: the Provider holds no connection between events. spec.proxy is not used.
type natsPublisher struct {
	c *Config
}

// natsSchemes are the URL schemes of NATS server addresses.
var natsSchemes = map[string]bool{"nats": true, "tls": true, "ws": true, "wss": true}

func newNATS(c *Config, _ *http.Client) (Notifier, error) {
	if c.Address == "" {
		return nil, errors.New("nats provider needs the server's address (spec.address or the secret's 'address')")
	}
	for _, a := range strings.Split(c.Address, ",") {
		u, err := url.Parse(strings.TrimSpace(a))
		if err != nil || !natsSchemes[u.Scheme] || u.Host == "" {
			return nil, errors.New("nats provider address must be nats://<host>:<port> (or tls://, ws://, wss://), several separated by commas")
		}
	}
	if c.Channel == "" {
		return nil, errors.New("nats provider needs spec.channel (the subject to publish on)")
	}
	return &natsPublisher{c: c}, nil
}

// Post implements Notifier.
func (n *natsPublisher) Post(ctx context.Context, ev Event) error {
	payload, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("failed to encode the event: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, n.c.Timeout)
	defer cancel()
	opts := []nats.Option{nats.Name("ferry-notification-controller"), nats.Timeout(n.c.Timeout), nats.NoReconnect(),
		// Asynchronous errors are read after the flush (LastError), not printed.
		nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {})}
	switch {
	case n.c.Username != "" && n.c.Password != "":
		opts = append(opts, nats.UserInfo(n.c.Username, n.c.Password))
	case n.c.Token != "":
		opts = append(opts, nats.Token(n.c.Token))
	}
	if n.c.TLS != nil {
		opts = append(opts, nats.Secure(n.c.TLS.Clone()))
	}
	conn, err := nats.Connect(n.c.Address, opts...)
	if err != nil {
		return natsFailure("connect to the NATS server", err)
	}
	defer conn.Close()
	if err := conn.Publish(n.c.Channel, payload); err != nil {
		return natsFailure("publish on subject "+n.c.Channel, err)
	}
	if err := conn.FlushWithContext(ctx); err != nil {
		return natsFailure("publish on subject "+n.c.Channel, err)
	}
	// The server answers a refused publication before the flush's pong.
	if err := conn.LastError(); err != nil {
		return natsFailure("publish on subject "+n.c.Channel, err)
	}
	return nil
}

// natsFailure wraps err; refusals of the credentials or of the subject are not worth a retry.
func natsFailure(what string, err error) error {
	if errors.Is(err, nats.ErrAuthorization) || errors.Is(err, nats.ErrPermissionViolation) ||
		errors.Is(err, nats.ErrBadSubject) || errors.Is(err, nats.ErrMaxPayload) {
		return fmt.Errorf("failed to %s: %w: %w", what, err, errPermanent)
	}
	return fmt.Errorf("failed to %s: %w", what, err)
}
