package notifier

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferry-gitops/ferry/shared/cloud"
)

// eventHubsScope is the scope of Entra ID tokens for Event Hubs: the resource
// https://eventhubs.azure.net/, as Microsoft documents it.
const eventHubsScope = "https://eventhubs.azure.net/.default"

// eventHubsContentType is the content type of one event sent through Event Hubs' REST API.
const eventHubsContentType = "application/atom+xml;type=entry;charset=utf-8"

// sasLifetime is how long a shared access signature we sign is valid.
const sasLifetime = time.Hour

// azureEventHub sends each event, as Flux's JSON event, to an event hub through Event Hubs'
// REST API ("Send event": POST https://<namespace>/<hub>/messages), where Flux uses the AMQP
// client. The address (spec.address or the Secret's) is either a connection string with a
// shared access key (Endpoint=sb://<namespace>/;SharedAccessKeyName=…;SharedAccessKey=…;
// EntityPath=<hub>), with which each request carries a shared access signature valid for an
// hour, or the hub's name, with spec.channel naming the namespace (its name or host name) and
// an Entra ID bearer token: the Secret's token, else one of the Azure identity of
// spec.serviceAccountName, else one of the controller's. A Provider has one way to
// authenticate: a connection string takes neither a token nor a ServiceAccount.
type azureEventHub struct {
	client
	// url is where events are posted.
	url string
	// resource is the URI the shared access signatures are for; keyName and key sign
	// them. Without key, requests carry a bearer token.
	resource, keyName, key string

	// controller holds the controller's Azure credential and its tokens once asked for.
	once       sync.Once
	controller *cloud.Cache
}

// eventHubsHost matches the host of an Event Hubs namespace in any Azure cloud
// (<namespace>.servicebus.windows.net and the sovereign clouds' suffixes).
var eventHubsHost = regexp.MustCompile(`(?i)^[a-z][a-z0-9-]{0,48}[a-z0-9]\.servicebus(\.[a-z0-9-]+)+$`)

// eventHubsNamespace matches the name of an Event Hubs namespace.
var eventHubsNamespace = regexp.MustCompile(`(?i)^[a-z][a-z0-9-]{0,48}[a-z0-9]$`)

// eventHubName matches the name of an event hub.
var eventHubName = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9._-]{0,254}[A-Za-z0-9])?$`)

func newAzureEventHub(c *Config, h *http.Client) (Notifier, error) {
	n := &azureEventHub{client: client{c, h}}
	var host, hub string
	if isConnectionString(c.Address) {
		if c.Token != "" || c.Identity != nil {
			return nil, errors.New("azureeventhub provider with a connection string in its address authenticates with its shared access key: " +
				"remove 'token' from the secret of spec.secretRef and spec.serviceAccountName")
		}
		cs, err := parseConnectionString(c.Address)
		if err != nil {
			return nil, err
		}
		host, hub, n.keyName, n.key = cs.host, cs.hub, cs.keyName, cs.key
	} else {
		if err := staticCredential(c); err != nil {
			return nil, err
		}
		var err error
		if host, err = eventHubsNamespaceHost(c.Channel); err != nil {
			return nil, err
		}
		hub = c.Address
		if !eventHubName.MatchString(hub) {
			return nil, errors.New("azureeventhub provider needs the event hub's name in spec.address (or the secret's 'address'), " +
				"or a connection string with a shared access key")
		}
	}
	n.resource = "https://" + host + "/" + hub
	base := n.resource
	if addr := testEventHubsEndpoint(); addr != "" {
		base = "https://" + addr + "/" + hub
	}
	n.url = base + "/messages?timeout=60&api-version=2014-01"
	return n, nil
}

// isConnectionString tells an Event Hubs connection string with a shared access key from
// the name of an event hub, as Flux does.
func isConnectionString(address string) bool {
	return strings.Contains(address, "SharedAccessKey")
}

// connectionString is what Ferry reads of an Event Hubs connection string.
type connectionString struct {
	host, hub, keyName, key string
}

// parseConnectionString reads the namespace, the event hub and the shared access key of a
// connection string. Its errors never quote it: it holds the key.
func parseConnectionString(s string) (connectionString, error) {
	var cs connectionString
	var endpoint string
	for _, part := range strings.Split(s, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch strings.ToLower(k) {
		case "endpoint":
			endpoint = v
		case "sharedaccesskeyname":
			cs.keyName = v
		case "sharedaccesskey":
			cs.key = v
		case "entitypath":
			cs.hub = v
		}
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme != "sb" || !eventHubsHost.MatchString(u.Hostname()) || u.Port() != "" {
		return cs, errors.New("the azureeventhub connection string's Endpoint must be sb://<namespace>.servicebus.windows.net/")
	}
	cs.host = strings.ToLower(u.Hostname())
	if cs.keyName == "" || cs.key == "" {
		return cs, errors.New("the azureeventhub connection string needs SharedAccessKeyName and SharedAccessKey")
	}
	if !eventHubName.MatchString(cs.hub) {
		return cs, errors.New("the azureeventhub connection string needs the event hub's name in EntityPath (the connection string of the event hub, not of its namespace)")
	}
	return cs, nil
}

// eventHubsNamespaceHost returns the host of the namespace spec.channel names: its host name,
// or its name in the Azure cloud of the controller's environment (AZURE_AUTHORITY_HOST), as
// Flux does.
func eventHubsNamespaceHost(channel string) (string, error) {
	switch {
	case eventHubsHost.MatchString(channel):
		return strings.ToLower(channel), nil
	case eventHubsNamespace.MatchString(channel):
		return strings.ToLower(channel) + eventHubsSuffix(os.Getenv("AZURE_AUTHORITY_HOST")), nil
	}
	return "", errors.New("azureeventhub provider needs the Event Hubs namespace (<namespace> or <namespace>.servicebus.windows.net) in spec.channel, " +
		"or a connection string with a shared access key in its address")
}

// eventHubsSuffix returns the suffix of the Event Hubs namespaces of the Azure cloud whose
// Entra ID authority is authorityHost: China's, US Government's, else the public cloud's.
func eventHubsSuffix(authorityHost string) string {
	switch {
	case strings.Contains(authorityHost, "chinacloudapi.cn"):
		return ".servicebus.chinacloudapi.cn"
	case strings.Contains(authorityHost, "microsoftonline.us"):
		return ".servicebus.usgovcloudapi.net"
	}
	return ".servicebus.windows.net"
}

// TestEventHubsEndpointEnv names the address (127.0.0.1:<port>) of a local HTTPS server that
// azureeventhub posts to instead of the namespace's host, with the same path, signatures and
// tokens (trusted through the Provider's TLS settings). Only a test binary (testing.Testing()
// is true) reads it; a controller always posts to the namespace.
const TestEventHubsEndpointEnv = "FERRY_NOTIFIER_TEST_EVENTHUBS_ENDPOINT"

// testEventHubsEndpoint returns the address of TestEventHubsEndpointEnv, or "".
func testEventHubsEndpoint() string {
	if !testing.Testing() {
		return ""
	}
	return os.Getenv(TestEventHubsEndpointEnv)
}

// sharedAccessSignature returns the Authorization header of a shared access signature for
// resource, valid until expiry, signed with key named keyName: the HMAC-SHA256, with the key
// as it is written, of the URL-encoded resource and the expiry in Unix seconds on two lines.
func sharedAccessSignature(resource, keyName, key string, expiry time.Time) string {
	sr := url.QueryEscape(resource)
	se := strconv.FormatInt(expiry.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(sr + "\n" + se))
	sig := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	return "SharedAccessSignature sr=" + sr + "&sig=" + url.QueryEscape(sig) + "&se=" + se + "&skn=" + url.QueryEscape(keyName)
}

// authorization returns the Authorization header of the next request.
func (n *azureEventHub) authorization(ctx context.Context) (string, error) {
	switch {
	case n.key != "":
		return sharedAccessSignature(n.resource, n.keyName, n.key, time.Now().Add(sasLifetime)), nil
	case n.c.Token != "":
		return "Bearer " + n.c.Token, nil
	case n.c.Identity != nil:
		tok, err := n.c.Identity.AzureToken(ctx, eventHubsScope)
		if err != nil {
			return "", err
		}
		return "Bearer " + tok, nil
	}
	n.once.Do(func() { n.controller = cloud.NewCache(1, cloud.DefaultCacheDuration) })
	l, err := n.controller.AzureToken(ctx, eventHubsScope)
	if err != nil {
		return "", err
	}
	return "Bearer " + l.Password, nil
}

// Post implements Notifier.
func (n *azureEventHub) Post(ctx context.Context, ev Event) error {
	body, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("failed to encode the event: %w", err)
	}
	auth, err := n.authorization(ctx)
	if err != nil {
		return err
	}
	_, err = n.send(ctx, request{url: n.url, raw: body, contentType: eventHubsContentType,
		header: map[string]string{"Authorization": auth}})
	if err != nil {
		return fmt.Errorf("failed to send the event to event hub %s: %w", n.resource, err)
	}
	return nil
}
