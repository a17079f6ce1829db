package azureapi

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferry-gitops/ferry/shared/testing/keyserver"
)

// StorageScope is the Entra ID scope of the bearer tokens Azure Storage accepts.
const StorageScope = "https://storage.azure.com/.default"

// storageVersion is the x-ms-version the blob service answers with and signs SAS tokens
// for.
const storageVersion = "2022-11-02"

// BlobOptions configure a Blob storage account.
type BlobOptions struct {
	// Account is the storage account's name; "ferrytest" when empty.
	Account string
	// Cert, when set, serves HTTPS with this certificate; otherwise plain HTTP.
	Cert *tls.Certificate
	// Entra, when set, is the authority whose access tokens for StorageScope the account
	// accepts as bearer tokens.
	Entra *Server
	// PageSize is the most blobs a List Blobs answer holds (5000 when zero or less), as
	// the service pages with NextMarker.
	PageSize int
}

// Blob is one Azure Blob Storage account on 127.0.0.1, path-style as emulators serve it
// (http(s)://127.0.0.1:<port>/<account>/<container>/<blob>): List Blobs, Get Container
// Properties and Get Blob, each authorized as Azure Storage documents it, with the account's
// shared key (Authorization: SharedKey), a service SAS of a container (sr=c) signed with that
// key, or, with BlobOptions.Entra, a bearer token of that authority for StorageScope. It is
// safe for concurrent use.
type Blob struct {
	srv      *httptest.Server
	account  string
	key      []byte
	entra    *Server
	pageSize int

	mu         sync.Mutex
	containers map[string]map[string]*blobItem // container → blob name → blob
	gets       map[string]map[string]int       // container → blob name → Get Blob answers
	seq        int
}

// blobItem is a stored blob.
type blobItem struct {
	data     []byte
	etag     string
	modified time.Time
}

// NewBlob starts a storage account with a new random key, closed when the test ends.
func NewBlob(t testing.TB, opts BlobOptions) *Blob {
	t.Helper()
	b := &Blob{account: opts.Account, key: make([]byte, 64), entra: opts.Entra, pageSize: opts.PageSize,
		containers: map[string]map[string]*blobItem{}, gets: map[string]map[string]int{}}
	if b.account == "" {
		b.account = "ferrytest"
	}
	if b.pageSize <= 0 {
		b.pageSize = 5000
	}
	_, _ = rand.Read(b.key)
	srv, err := keyserver.Start(http.HandlerFunc(b.serve), opts.Cert)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	b.srv = srv
	return b
}

// URL is the account's URL, the endpoint of a Bucket: http(s)://127.0.0.1:<port>/<account>.
func (b *Blob) URL() string { return b.srv.URL + "/" + b.account }

// Account is the storage account's name.
func (b *Blob) Account() string { return b.account }

// Key is the account's shared key, base64-encoded as the portal shows it.
func (b *Blob) Key() string { return base64.StdEncoding.EncodeToString(b.key) }

// CreateContainer creates an empty container (or keeps an existing one).
func (b *Blob) CreateContainer(name string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.containers[name] == nil {
		b.containers[name] = map[string]*blobItem{}
	}
}

// PutBlobs creates the container if needed and writes blobs (name → content) into it, each
// with a new ETag.
func (b *Blob) PutBlobs(container string, blobs map[string]string) {
	b.CreateContainer(container)
	b.mu.Lock()
	defer b.mu.Unlock()
	for name, data := range blobs {
		b.seq++
		b.containers[container][name] = &blobItem{data: []byte(data), modified: time.Now().UTC(),
			etag: fmt.Sprintf(`"0x8DC%013X"`, b.seq)}
	}
}

// DeleteBlob removes a blob.
func (b *Blob) DeleteBlob(container, name string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.containers[container], name)
}

// Gets returns how many times each blob of the container was downloaded.
func (b *Blob) Gets(container string) map[string]int {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := map[string]int{}
	for k, v := range b.gets[container] {
		out[k] = v
	}
	return out
}

// ContainerSAS returns a service SAS token (the query, without "?") for the container with
// permissions (such as "rl": read and list) until expiry, signed with the account key.
func (b *Blob) ContainerSAS(container, permissions string, expiry time.Time) string {
	q := url.Values{"sv": {storageVersion}, "sr": {"c"}, "sp": {permissions}, "spr": {"https,http"},
		"se": {expiry.UTC().Format(time.RFC3339)}}
	q.Set("sig", b.sasSignature(q, container))
	return q.Encode()
}

// sasSignature signs the fields of a service SAS of a container, in the order of the
// string-to-sign of version 2020-12-06 and later.
func (b *Blob) sasSignature(q url.Values, container string) string {
	fields := []string{q.Get("sp"), q.Get("st"), q.Get("se"), "/blob/" + b.account + "/" + container,
		q.Get("si"), q.Get("sip"), q.Get("spr"), q.Get("sv"), q.Get("sr"), q.Get("sst"), q.Get("ses"),
		q.Get("rscc"), q.Get("rscd"), q.Get("rsce"), q.Get("rscl"), q.Get("rsct")}
	return b.sign(strings.Join(fields, "\n"))
}

// sign is the base64 HMAC-SHA256 of s with the account key.
func (b *Blob) sign(s string) string {
	m := hmac.New(sha256.New, b.key)
	_, _ = m.Write([]byte(s))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// serve answers the account's requests.
func (b *Blob) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("x-ms-version", storageVersion)
	w.Header().Set("x-ms-request-id", randomHex(16))
	parts := strings.SplitN(strings.TrimPrefix(r.URL.EscapedPath(), "/"), "/", 3)
	if len(parts) < 2 || parts[0] != b.account || parts[1] == "" {
		writeStorageError(w, http.StatusBadRequest, "InvalidUri", "The requested URI does not represent any resource on the server.")
		return
	}
	container, _ := url.PathUnescape(parts[1])
	blobName := ""
	if len(parts) == 3 {
		blobName, _ = url.PathUnescape(parts[2])
	}
	q := r.URL.Query()
	op := "read"
	if blobName == "" {
		op = "list"
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeStorageError(w, http.StatusMethodNotAllowed, "UnsupportedHttpVerb", "The resource doesn't support specified Http Verb.")
		return
	}
	if !b.authorize(w, r, container, op) {
		return
	}
	switch {
	case blobName == "" && q.Get("restype") == "container" && q.Get("comp") == "list":
		b.listBlobs(w, container, q)
	case blobName == "" && q.Get("restype") == "container" && q.Get("comp") == "":
		b.containerProperties(w, container)
	case blobName != "":
		b.getBlob(w, r, container, blobName)
	default:
		writeStorageError(w, http.StatusBadRequest, "InvalidQueryParameterValue", "Value for one of the query parameters specified in the request URI is invalid.")
	}
}

// authorize checks a request's shared key signature, SAS or bearer token, and answers the
// request itself when it is refused.
func (b *Blob) authorize(w http.ResponseWriter, r *http.Request, container, op string) bool {
	auth := r.Header.Get("Authorization")
	switch {
	case strings.HasPrefix(auth, "SharedKey "):
		if b.sharedKeyValid(r, strings.TrimPrefix(auth, "SharedKey ")) {
			return true
		}
	case strings.HasPrefix(auth, "Bearer "):
		if b.entra != nil {
			if scope, ok := b.entra.TokenScope(strings.TrimPrefix(auth, "Bearer ")); ok && scope == StorageScope {
				return true
			}
		}
		writeStorageError(w, http.StatusUnauthorized, "InvalidAuthenticationInfo", "Server failed to authenticate the request. Please refer to the information in the www-authenticate header.")
		return false
	case r.URL.Query().Get("sig") != "":
		return b.sasValid(w, r, container, op)
	default:
		writeStorageError(w, http.StatusUnauthorized, "NoAuthenticationInformation", "Server failed to authenticate the request. Please refer to the information in the www-authenticate header.")
		return false
	}
	writeStorageError(w, http.StatusForbidden, "AuthenticationFailed", "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.")
	return false
}

// sharedKeyValid checks "<account>:<signature>" against the string-to-sign of the Blob
// service (version 2009-09-19 and later), and that x-ms-date is within 15 minutes.
func (b *Blob) sharedKeyValid(r *http.Request, cred string) bool {
	account, sig, ok := strings.Cut(cred, ":")
	if !ok || account != b.account {
		return false
	}
	date, err := http.ParseTime(r.Header.Get("x-ms-date"))
	if err != nil || time.Since(date).Abs() > 15*time.Minute {
		return false
	}
	h := r.Header
	length := h.Get("Content-Length")
	if length == "0" {
		length = ""
	}
	toSign := strings.Join([]string{r.Method, h.Get("Content-Encoding"), h.Get("Content-Language"), length,
		h.Get("Content-MD5"), h.Get("Content-Type"), h.Get("Date"), h.Get("If-Modified-Since"), h.Get("If-Match"),
		h.Get("If-None-Match"), h.Get("If-Unmodified-Since"), h.Get("Range"),
		canonicalHeaders(h) + b.canonicalResource(r.URL)}, "\n")
	return hmac.Equal([]byte(sig), []byte(b.sign(toSign)))
}

// canonicalHeaders are the x-ms- headers, lowercase, sorted, each "name:value\n".
func canonicalHeaders(h http.Header) string {
	var names []string
	for k := range h {
		if k = strings.ToLower(k); strings.HasPrefix(k, "x-ms-") {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	var sb strings.Builder
	for _, k := range names {
		values := h.Values(k)
		for i, v := range values {
			values[i] = strings.Join(strings.Fields(v), " ")
		}
		sb.WriteString(k + ":" + strings.Join(values, ",") + "\n")
	}
	return sb.String()
}

// canonicalResource is "/<account><encoded path>" and each query parameter, by lowercase
// name, as "\n<name>:<sorted values>".
func (b *Blob) canonicalResource(u *url.URL) string {
	var sb strings.Builder
	sb.WriteString("/" + b.account + u.EscapedPath())
	q := map[string][]string{}
	for k, v := range u.Query() {
		q[strings.ToLower(k)] = append(q[strings.ToLower(k)], v...)
	}
	for _, k := range slices.Sorted(maps.Keys(q)) {
		v := q[k]
		slices.Sort(v)
		sb.WriteString("\n" + k + ":" + strings.Join(v, ","))
	}
	return sb.String()
}

// sasValid checks a service SAS of the request's container: its signature, its validity in
// time, its protocol and that its permissions allow op (r to read a blob, l to list).
func (b *Blob) sasValid(w http.ResponseWriter, r *http.Request, container, op string) bool {
	q := r.URL.Query()
	refuse := func(detail string) bool {
		writeStorageErrorDetail(w, http.StatusForbidden, "AuthenticationFailed",
			"Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.", detail)
		return false
	}
	if q.Get("sr") != "c" || q.Get("sv") == "" {
		return refuse("Only service SAS tokens of a container (sr=c) are served here.")
	}
	if !hmac.Equal([]byte(q.Get("sig")), []byte(b.sasSignature(q, container))) {
		return refuse("Signature did not match.")
	}
	now := time.Now()
	expiry, err := time.Parse(time.RFC3339, q.Get("se"))
	if err != nil || !now.Before(expiry) {
		return refuse("Signed expiry time [" + q.Get("se") + "] must be after signed start time [" + now.UTC().Format(time.RFC1123) + "]")
	}
	if st := q.Get("st"); st != "" {
		if start, err := time.Parse(time.RFC3339, st); err != nil || now.Before(start) {
			return refuse("Signature not valid in the specified time frame")
		}
	}
	if r.TLS == nil && q.Get("spr") == "https" {
		return refuse("This request is not authorized to perform this operation using this protocol.")
	}
	need := map[string]string{"read": "r", "list": "l"}[op]
	if !strings.Contains(q.Get("sp"), need) {
		writeStorageError(w, http.StatusForbidden, "AuthorizationPermissionMismatch", "This request is not authorized to perform this operation using this permission.")
		return false
	}
	return true
}

// enumerationResults is the answer of List Blobs.
type enumerationResults struct {
	XMLName         xml.Name    `xml:"EnumerationResults"`
	ServiceEndpoint string      `xml:"ServiceEndpoint,attr"`
	ContainerName   string      `xml:"ContainerName,attr"`
	Prefix          string      `xml:"Prefix,omitempty"`
	Marker          string      `xml:"Marker,omitempty"`
	MaxResults      int         `xml:"MaxResults,omitempty"`
	Blobs           []blobEntry `xml:"Blobs>Blob"`
	NextMarker      string      `xml:"NextMarker"`
}

// blobEntry is a blob of a List Blobs answer.
type blobEntry struct {
	Name       string `xml:"Name"`
	Properties struct {
		LastModified  string `xml:"Last-Modified"`
		Etag          string `xml:"Etag"`
		ContentLength int    `xml:"Content-Length"`
		ContentType   string `xml:"Content-Type"`
		BlobType      string `xml:"BlobType"`
	} `xml:"Properties"`
}

// listBlobs answers List Blobs (flat), sorted by name, a page at a time: marker is the name
// the page starts at.
func (b *Blob) listBlobs(w http.ResponseWriter, container string, q url.Values) {
	b.mu.Lock()
	blobs, ok := b.containers[container]
	var names []string
	for name := range blobs {
		if strings.HasPrefix(name, q.Get("prefix")) && name >= q.Get("marker") {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	size := b.pageSize
	if n, err := strconv.Atoi(q.Get("maxresults")); err == nil && n > 0 && n < size {
		size = n
	}
	out := enumerationResults{ServiceEndpoint: b.srv.URL + "/" + b.account + "/", ContainerName: container,
		Prefix: q.Get("prefix"), Marker: q.Get("marker"), Blobs: []blobEntry{}}
	if q.Get("maxresults") != "" {
		out.MaxResults = size
	}
	if len(names) > size {
		out.NextMarker, names = names[size], names[:size]
	}
	for _, name := range names {
		e := blobEntry{Name: name}
		item := blobs[name]
		e.Properties.LastModified = item.modified.Format(http.TimeFormat)
		e.Properties.Etag, e.Properties.ContentLength = item.etag, len(item.data)
		e.Properties.ContentType, e.Properties.BlobType = "application/octet-stream", "BlockBlob"
		out.Blobs = append(out.Blobs, e)
	}
	b.mu.Unlock()
	if !ok {
		writeStorageError(w, http.StatusNotFound, "ContainerNotFound", "The specified container does not exist.")
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	_, _ = w.Write([]byte(xml.Header))
	_ = xml.NewEncoder(w).Encode(out)
}

// containerProperties answers Get Container Properties.
func (b *Blob) containerProperties(w http.ResponseWriter, container string) {
	b.mu.Lock()
	_, ok := b.containers[container]
	b.mu.Unlock()
	if !ok {
		writeStorageError(w, http.StatusNotFound, "ContainerNotFound", "The specified container does not exist.")
		return
	}
	for k, v := range map[string]string{"ETag": `"0x8DC0000000000000"`, "Last-Modified": time.Now().UTC().Format(http.TimeFormat),
		"x-ms-lease-status": "unlocked", "x-ms-lease-state": "available", "x-ms-has-immutability-policy": "false", "x-ms-has-legal-hold": "false"} {
		w.Header().Set(k, v)
	}
	w.WriteHeader(http.StatusOK)
}

// getBlob answers Get Blob with the whole content.
func (b *Blob) getBlob(w http.ResponseWriter, r *http.Request, container, name string) {
	b.mu.Lock()
	blobs, ok := b.containers[container]
	item := blobs[name]
	if item != nil {
		if b.gets[container] == nil {
			b.gets[container] = map[string]int{}
		}
		b.gets[container][name]++
	}
	b.mu.Unlock()
	switch {
	case !ok:
		writeStorageError(w, http.StatusNotFound, "ContainerNotFound", "The specified container does not exist.")
		return
	case item == nil:
		writeStorageError(w, http.StatusNotFound, "BlobNotFound", "The specified blob does not exist.")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Length", strconv.Itoa(len(item.data)))
	h.Set("ETag", item.etag)
	h.Set("Last-Modified", item.modified.Format(http.TimeFormat))
	h.Set("x-ms-blob-type", "BlockBlob")
	h.Set("Accept-Ranges", "bytes")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write(item.data)
	}
}

// storageError is the XML body of an error of Azure Storage.
type storageError struct {
	XMLName                   xml.Name `xml:"Error"`
	Code                      string   `xml:"Code"`
	Message                   string   `xml:"Message"`
	AuthenticationErrorDetail string   `xml:"AuthenticationErrorDetail,omitempty"`
}

// writeStorageError writes an error of Azure Storage: the code in x-ms-error-code and the
// XML body, whose message ends with the request ID and time as the service's do.
func writeStorageError(w http.ResponseWriter, code int, errCode, msg string) {
	writeStorageErrorDetail(w, code, errCode, msg, "")
}

// writeStorageErrorDetail writes an error of Azure Storage with an authentication detail.
func writeStorageErrorDetail(w http.ResponseWriter, code int, errCode, msg, detail string) {
	w.Header().Set("x-ms-error-code", errCode)
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(code)
	body := storageError{Code: errCode, AuthenticationErrorDetail: detail,
		Message: msg + "\nRequestId:" + w.Header().Get("x-ms-request-id") + "\nTime:" + time.Now().UTC().Format(time.RFC3339Nano)}
	_, _ = w.Write([]byte(xml.Header))
	_ = xml.NewEncoder(w).Encode(body)
}
