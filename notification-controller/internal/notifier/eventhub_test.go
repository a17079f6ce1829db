package notifier

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/runtime/events"
	"github.com/ferry-gitops/ferry/shared/testing/cloudtest"
)

const (
	testHubNamespace = "flux-events"
	testHub          = "deployments"
	testKeyName      = "send-only"
	testKey          = "c2VjcmV0LWtleS1vZi10aGUtaHViLXBvbGljeQ=="
)

// testConnectionString is the connection string of testHub's policy testKeyName with key.
func testConnectionString(key string) string {
	return "Endpoint=sb://" + testHubNamespace + ".servicebus.windows.net/;SharedAccessKeyName=" + testKeyName +
		";SharedAccessKey=" + key + ";EntityPath=" + testHub
}

// eventHub is a local stand-in of an Event Hubs namespace's REST API over TLS: it checks each
// "Send event" request as the service documents it and answers 201, or 401 to a request
// whose credentials authorize does not accept.
type eventHub struct {
	*service
	tls *tls.Config
}

// newEventHub starts an eventHub, which the notifiers of the test post to
// (TestEventHubsEndpointEnv); authorize checks the Authorization header.
func newEventHub(t *testing.T, authorize func(header string) error) *eventHub {
	t.Helper()
	s := &service{requests: make(chan error, 16)}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := authorize(r.Header.Get("Authorization")); err != nil {
			s.requests <- nil
			http.Error(w, `<Error><Code>401</Code><Detail>InvalidSignature: `+err.Error()+`</Detail></Error>`, http.StatusUnauthorized)
			return
		}
		err := checkSendEvent(r, body)
		s.requests <- err
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(s.Close)
	t.Setenv(TestEventHubsEndpointEnv, s.Listener.Addr().String())
	return &eventHub{service: s, tls: &tls.Config{RootCAs: s.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs}}
}

// checkSendEvent checks the method, path, query, content type and body of a "Send event"
// request carrying sampleEvent.
func checkSendEvent(r *http.Request, body []byte) error {
	q := r.URL.Query()
	var ev obj
	if err := jsonUnmarshal(body, &ev); err != nil {
		return err
	}
	return expect(r.Method == http.MethodPost, "method "+r.Method,
		r.URL.Path == "/"+testHub+"/messages", "path "+r.URL.Path,
		q.Get("api-version") == "2014-01" && q.Get("timeout") == "60", "query "+r.URL.RawQuery,
		r.Header.Get("Content-Type") == "application/atom+xml;type=entry;charset=utf-8", "content type "+r.Header.Get("Content-Type"),
		str(ev, "involvedObject", "kind") == "Kustomization" && str(ev, "involvedObject", "name") == "apps", "involved object of the event",
		str(ev, "reason") == "BuildFailed" && str(ev, "message") == "kustomize build failed: accumulating resources", "reason and message of the event",
		str(ev, "metadata", RevisionKey) == "main@sha1:"+sha, "metadata of the event")
}

// verifySAS checks a SharedAccessSignature header as Event Hubs does: for the hub's URI, a
// policy named keyName, not expired (and, from us, valid for about an hour), signed with key.
func verifySAS(header, keyName, key string) error {
	raw, ok := strings.CutPrefix(header, "SharedAccessSignature ")
	if !ok {
		return errors.New("not a shared access signature")
	}
	fields := map[string]string{}
	for _, kv := range strings.Split(raw, "&") {
		k, v, _ := strings.Cut(kv, "=")
		fields[k] = v
	}
	resource, err := url.QueryUnescape(fields["sr"])
	if err != nil || resource != "https://"+testHubNamespace+".servicebus.windows.net/"+testHub {
		return fmt.Errorf("signature for resource %q", fields["sr"])
	}
	if fields["skn"] != keyName {
		return fmt.Errorf("key name %q", fields["skn"])
	}
	se, err := strconv.ParseInt(fields["se"], 10, 64)
	if left := time.Until(time.Unix(se, 0)); err != nil || left < 55*time.Minute || left > 65*time.Minute {
		return fmt.Errorf("expiry %q, want about an hour from now", fields["se"])
	}
	sig, err := url.QueryUnescape(fields["sig"])
	if err != nil {
		return errors.New("signature not URL-encoded")
	}
	got, err := base64.StdEncoding.DecodeString(sig)
	mac := hmac.New(sha256.New, []byte(key))
	io.WriteString(mac, fields["sr"]+"\n"+fields["se"])
	if err != nil || !hmac.Equal(got, mac.Sum(nil)) {
		return errors.New("signature does not match")
	}
	return nil
}

// jsonUnmarshal decodes a JSON body of any content type.
func jsonUnmarshal(body []byte, into any) error {
	r := &http.Request{Header: http.Header{"Content-Type": {"application/json"}}}
	return jsonBody(r, body, into)
}

// TestAzureEventHub sends the event to the event hub of a connection string with a shared
// access signature the hub recomputes, and with bearer tokens: the Secret's, one of the
// identity of spec.serviceAccountName, the controller's. A wrong key is refused (401) for
// good, and the error does not quote it.
func TestAzureEventHub(t *testing.T) {
	t.Run("connection string", func(t *testing.T) {
		hub := newEventHub(t, func(h string) error { return verifySAS(h, testKeyName, testKey) })
		post(t, hub.service, Config{Type: "azureeventhub", Address: testConnectionString(testKey), TLS: hub.tls}, sampleEvent(events.SeverityError), 1)

		const wrong = "d3Jvbmcta2V5LW9mLXRoZS1wb2xpY3k="
		n, err := New(Config{Type: "azureeventhub", Address: testConnectionString(wrong), TLS: hub.tls})
		if err != nil {
			t.Fatal(err)
		}
		err = n.Post(t.Context(), sampleEvent(events.SeverityError))
		var he *HTTPError
		if !errors.As(err, &he) || he.Status != http.StatusUnauthorized || Retryable(err) {
			t.Fatalf("Post with a wrong key = %v, want a 401 not worth a retry", err)
		}
		if strings.Contains(err.Error(), wrong) {
			t.Fatalf("the error quotes the key: %v", err)
		}
	})
	t.Run("secret token", func(t *testing.T) {
		hub := newEventHub(t, func(h string) error { return expect(h == "Bearer entra-jwt", "not the Secret's token") })
		post(t, hub.service, Config{Type: "azureeventhub", Address: testHub, Channel: testHubNamespace, Token: "entra-jwt", TLS: hub.tls},
			sampleEvent(events.SeverityError), 1)
		post(t, hub.service, Config{Type: "azureeventhub", Address: testHub, Channel: testHubNamespace + ".servicebus.windows.net", Token: "entra-jwt", TLS: hub.tls},
			sampleEvent(events.SeverityError), 1)
	})
	t.Run("service account", func(t *testing.T) {
		hub := newEventHub(t, func(h string) error { return expect(h == "Bearer tenant-token", "not the identity's token") })
		id := fakeIdentity{azure: "tenant-token", azureScope: "https://eventhubs.azure.net/.default"}
		cfg := Config{Type: "azureeventhub", Address: testHub, Channel: testHubNamespace, Identity: id, TLS: hub.tls}
		post(t, hub.service, cfg, sampleEvent(events.SeverityError), 1)
		if err := VerifyIdentity(t.Context(), cfg); err != nil {
			t.Fatalf("VerifyIdentity: %v", err)
		}
	})
	t.Run("controller", func(t *testing.T) {
		authority := cloudtest.AzureIdentity(t, cloud.TestCAFileEnv)
		hub := newEventHub(t, func(h string) error {
			tok, _ := strings.CutPrefix(h, "Bearer ")
			scope, ok := authority.TokenScope(tok)
			return expect(ok && scope == "https://eventhubs.azure.net/.default", "not an Entra ID token for Event Hubs")
		})
		post(t, hub.service, Config{Type: "azureeventhub", Address: testHub, Channel: testHubNamespace, TLS: hub.tls}, sampleEvent(events.SeverityError), 1)
	})
}

// TestAzureEventHubSettings: settings azureeventhub cannot work with are refused by name,
// never quoting the key.
func TestAzureEventHubSettings(t *testing.T) {
	tests := map[string]struct {
		cfg  Config
		want string
	}{
		"connection string and token":           {Config{Address: testConnectionString(testKey), Token: "jwt"}, "remove 'token'"},
		"connection string and service account": {Config{Address: testConnectionString(testKey), Identity: fakeIdentity{}}, "spec.serviceAccountName"},
		"namespace connection string":           {Config{Address: strings.TrimSuffix(testConnectionString(testKey), ";EntityPath="+testHub)}, "EntityPath"},
		"other endpoint":                        {Config{Address: strings.Replace(testConnectionString(testKey), "sb://flux-events.servicebus.windows.net/", "sb://127.0.0.1:5671/", 1)}, "Endpoint"},
		"no key name":                           {Config{Address: strings.Replace(testConnectionString(testKey), "SharedAccessKeyName="+testKeyName, "SharedAccessKeyName=", 1)}, "SharedAccessKeyName"},
		"no namespace":                          {Config{Address: testHub, Token: "jwt"}, "spec.channel"},
		"namespace elsewhere":                   {Config{Address: testHub, Channel: "evil.example.com", Token: "jwt"}, "spec.channel"},
		"no hub":                                {Config{Channel: testHubNamespace, Token: "jwt"}, "spec.address"},
		"token and service account":             {Config{Address: testHub, Channel: testHubNamespace, Token: "jwt", Identity: fakeIdentity{}}, "spec.serviceAccountName"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			tt.cfg.Type = "azureeventhub"
			_, err := New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New = %v, want an error naming %s", err, tt.want)
			}
			if strings.Contains(err.Error(), testKey) {
				t.Fatalf("the error quotes the key: %v", err)
			}
		})
	}
}

// TestEventHubsSuffix: a namespace named without its host is in the Azure cloud of the
// controller's authority.
func TestEventHubsSuffix(t *testing.T) {
	for authority, want := range map[string]string{
		"":                                   ".servicebus.windows.net",
		"https://login.microsoftonline.com/": ".servicebus.windows.net",
		"https://login.chinacloudapi.cn/":    ".servicebus.chinacloudapi.cn",
		"https://login.microsoftonline.us/":  ".servicebus.usgovcloudapi.net",
	} {
		if got := eventHubsSuffix(authority); got != want {
			t.Errorf("eventHubsSuffix(%q) = %q, want %q", authority, got, want)
		}
	}
}

// TestSharedAccessSignature: the signature of a known resource, key and expiry is the one
// Microsoft's Python sample of "Generate SAS token" computes (quote_plus of the URI, HMAC-SHA256
// with the key as written, base64, URL-encoded).
func TestSharedAccessSignature(t *testing.T) {
	got := sharedAccessSignature("https://flux-events.servicebus.windows.net/deployments", "send-only", "k3y/with+chars==", time.Unix(1750000000, 0))
	const want = "SharedAccessSignature sr=https%3A%2F%2Fflux-events.servicebus.windows.net%2Fdeployments" +
		"&sig=cnahVHx5o3Df8pTUZDE1YyTnPmKkTUCVGkLI7rfmyrs%3D&se=1750000000&skn=send-only"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}
