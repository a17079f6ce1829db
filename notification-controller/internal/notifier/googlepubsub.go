package notifier

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"cloud.google.com/go/auth"
	"cloud.google.com/go/auth/credentials"
	"cloud.google.com/go/pubsub/v2"
	"golang.org/x/oauth2"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	grpccredentials "google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	"github.com/ferry-gitops/ferry/shared/cloud"
)

// googlePubSub publishes the event, as Flux's JSON event, on the Pub/Sub topic spec.channel
// of the Google Cloud project spec.address, with the Secret's headers as the message's
// attributes. It authenticates with the Google identity of spec.serviceAccountName (feature
// gate ObjectLevelWorkloadIdentity), else with the service account key (JSON) in the
// Secret's token, else with the controller's Application Default Credentials; a Provider
// naming a ServiceAccount must not also hold a key. A token holding another kind
// of credential configuration (external account, impersonation, user credentials) is
// refused: those can make the client read files of the controller or run programs. Each
// event opens a client, publishes, waits for the server to have stored the message and
// closes: the Provider holds no connection between events. spec.proxy and
// spec.certSecretRef are not used, as in Flux.
type googlePubSub struct {
	c *Config
	// key holds the credentials of the Secret's service account key, nil without one.
	key *auth.Credentials

	// adc holds the controller's Application Default Credentials once found.
	mu  sync.Mutex
	adc *auth.Credentials

	// dial, when set (tests), replaces the endpoint and credential options of the client.
	dial []option.ClientOption
	// endpoint, when set (tests, see TestPubSubEndpointEnv), replaces the endpoint and
	// transport options of the client, keeping its credentials.
	endpoint []option.ClientOption
}

// googleProjectID matches a project ID, including the legacy domain-scoped ones
// ("example.com:project").
var googleProjectID = regexp.MustCompile(`^([a-z0-9][a-z0-9.-]*[a-z0-9]:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$`)

// googleTopicID matches a topic ID as Pub/Sub names them: a letter, then 2 to 254 letters,
// digits or - _ . ~ + %.
var googleTopicID = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.~+%-]{2,254}$`)

func newGooglePubSub(c *Config, _ *http.Client) (Notifier, error) {
	if !googleProjectID.MatchString(c.Address) {
		return nil, errors.New("googlepubsub provider needs the Google Cloud project ID in spec.address (or the secret's 'address')")
	}
	if !googleTopicID.MatchString(c.Channel) || strings.HasPrefix(strings.ToLower(c.Channel), "goog") {
		return nil, errors.New("googlepubsub provider needs the ID of the Pub/Sub topic in spec.channel (not its full name)")
	}
	if err := staticCredential(c); err != nil {
		return nil, err
	}
	n := &googlePubSub{c: c, endpoint: testPubSubEndpoint()}
	if c.Token != "" {
		key, err := googleServiceAccount([]byte(c.Token))
		if err != nil {
			return nil, err
		}
		n.key = key
	}
	return n, nil
}

// googleServiceAccount returns the credentials of a service account key, and refuses every
// other credential type. The error never quotes the key.
func googleServiceAccount(key []byte) (*auth.Credentials, error) {
	var fields struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(key, &fields); err != nil || fields.Type != string(credentials.ServiceAccount) {
		return nil, errors.New("the secret's 'token' must be the JSON key of a Google service account (type service_account); " +
			"other credential types are not supported by Ferry")
	}
	creds, err := credentials.NewCredentialsFromJSON(credentials.ServiceAccount, key,
		&credentials.DetectOptions{Scopes: []string{pubsub.ScopePubSub}})
	if err != nil {
		return nil, errors.New("the secret's 'token' is not a valid Google service account key")
	}
	return creds, nil
}

// clientOptions returns the options that authenticate the client; ctx bounds the requests
// for the tokens of spec.serviceAccountName's identity.
func (n *googlePubSub) clientOptions(ctx context.Context) ([]option.ClientOption, error) {
	if n.dial != nil {
		return append([]option.ClientOption(nil), n.dial...), nil
	}
	opts := append([]option.ClientOption(nil), n.endpoint...)
	switch {
	case n.c.Identity != nil:
		src := oauth2.ReuseTokenSource(nil, googleIdentitySource{ctx: ctx, id: n.c.Identity})
		return append(opts, option.WithTokenSource(src)), nil
	case n.key != nil:
		return append(opts, option.WithAuthCredentials(n.key)), nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.adc == nil {
		adc, err := credentials.DetectDefault(&credentials.DetectOptions{Scopes: []string{pubsub.ScopePubSub}})
		if err != nil {
			return nil, fmt.Errorf("failed to find the Google credentials of the controller: %w", err)
		}
		n.adc = adc
	}
	return append(opts, option.WithAuthCredentials(n.adc)), nil
}

// TestPubSubEndpointEnv names the address (127.0.0.1:<port>) of a local Pub/Sub server over
// TLS, trusted through shared/cloud's TestCAFileEnv, that googlepubsub publishes to instead
// of Google's, with the same credentials. Only a test binary (testing.Testing() is true)
// reads it; a controller always publishes to Google.
const TestPubSubEndpointEnv = "FERRY_NOTIFIER_TEST_PUBSUB_ENDPOINT"

// testPubSubEndpoint returns the client options of TestPubSubEndpointEnv, or nil.
func testPubSubEndpoint() []option.ClientOption {
	if !testing.Testing() {
		return nil
	}
	addr := os.Getenv(TestPubSubEndpointEnv)
	tr := cloud.TestTransport(cloud.TestCAFileEnv)
	if addr == "" || tr == nil {
		return nil
	}
	return []option.ClientOption{option.WithEndpoint(addr),
		option.WithGRPCDialOption(grpc.WithTransportCredentials(grpccredentials.NewTLS(tr.TLSClientConfig)))}
}

// Post implements Notifier.
func (n *googlePubSub) Post(ctx context.Context, ev Event) error {
	payload, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("failed to encode the event: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, n.c.Timeout)
	defer cancel()
	opts, err := n.clientOptions(ctx)
	if err != nil {
		return err
	}
	opts = append(opts, option.WithGRPCConnectionPool(1), option.WithUserAgent("ferry-notification-controller"))
	client, err := pubsub.NewClient(ctx, n.c.Address, opts...)
	if err != nil {
		return fmt.Errorf("failed to create the Pub/Sub client: %w", err)
	}
	defer client.Close()
	publisher := client.Publisher(n.c.Channel)
	// One message, sent at once; retries of the library stop with the Provider's timeout, so
	// that Stop does not outlive Post.
	publisher.PublishSettings.CountThreshold = 1
	publisher.PublishSettings.Timeout = n.c.Timeout
	defer publisher.Stop()
	msg := &pubsub.Message{Data: payload, Attributes: n.c.Headers}
	if _, err := publisher.Publish(ctx, msg).Get(ctx); err != nil {
		return pubSubFailure(n.c.Address, n.c.Channel, err)
	}
	return nil
}

// pubSubFailure wraps err; what the service refused (a missing topic, a denied permission,
// invalid attributes) is not worth a retry.
func pubSubFailure(project, topic string, err error) error {
	switch status.Code(err) {
	case codes.InvalidArgument, codes.NotFound, codes.PermissionDenied, codes.Unauthenticated, codes.FailedPrecondition:
		return fmt.Errorf("failed to publish on topic %s of project %s: %w: %w", topic, project, err, errPermanent)
	}
	return fmt.Errorf("failed to publish on topic %s of project %s: %w", topic, project, err)
}
