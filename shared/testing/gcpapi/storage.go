package gcpapi

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// objectStore holds Cloud Storage's buckets; the Server's mutex guards it.
type objectStore struct {
	buckets  map[string]map[string]*gcsObject // bucket → object name → object
	gets     map[string]map[string]int        // bucket → object name → downloads
	pageSize int
	seq      int64
}

// gcsObject is a stored object.
type gcsObject struct {
	data       []byte
	generation int64
	updated    time.Time
}

// etag is the object's ETag: it changes with every generation, as Cloud Storage's does.
func (o *gcsObject) etag() string {
	return base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint64(nil, uint64(o.generation)))
}

// AcceptTokens makes Cloud Storage (and Cloud KMS) also accept the access tokens that valid
// accepts, such as those of a Metadata server (Metadata.Valid).
func (s *Server) AcceptTokens(valid func(token string) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accept = append(s.accept, valid)
}

// SetPageSize bounds the objects of one answer of objects.list (1000 by default), so that
// clients must follow nextPageToken.
func (s *Server) SetPageSize(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.store.pageSize = n
}

// CreateBucket creates an empty bucket (or keeps an existing one).
func (s *Server) CreateBucket(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.store.buckets == nil {
		s.store.buckets, s.store.gets = map[string]map[string]*gcsObject{}, map[string]map[string]int{}
	}
	if s.store.buckets[name] == nil {
		s.store.buckets[name] = map[string]*gcsObject{}
	}
}

// PutObjects creates the bucket if needed and writes objects (name → content) into it, each
// as a new generation.
func (s *Server) PutObjects(bucket string, objects map[string]string) {
	s.CreateBucket(bucket)
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, data := range objects {
		s.store.seq++
		s.store.buckets[bucket][name] = &gcsObject{data: []byte(data), generation: time.Now().UnixMicro()*1000 + s.store.seq%1000, updated: time.Now().UTC()}
	}
}

// DeleteObject removes an object.
func (s *Server) DeleteObject(bucket, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.store.buckets[bucket], name)
}

// ObjectGets returns how many times each object of the bucket was downloaded.
func (s *Server) ObjectGets(bucket string) map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for k, v := range s.store.gets[bucket] {
		out[k] = v
	}
	return out
}

// storage answers the Cloud Storage JSON API's GET /storage/v1/b/{bucket} (buckets.get),
// /b/{bucket}/o (objects.list) and /b/{bucket}/o/{object} (objects.get, its metadata or,
// with alt=media, its content), for a bearer token the server accepts.
func (s *Server) storage(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.EscapedPath(), "/storage/v1/b/")
	parts := strings.SplitN(rest, "/", 3)
	bucket, _ := url.PathUnescape(parts[0])
	switch {
	case r.Header.Get("Authorization") == "":
		s.Refused()
		writeStatus(w, http.StatusUnauthorized, "UNAUTHENTICATED",
			"Anonymous caller does not have storage.objects.list access to the Google Cloud Storage bucket. Permission 'storage.objects.list' denied on resource (or it may not exist).")
		return
	case !s.authorized(r):
		s.Refused()
		writeStatus(w, http.StatusUnauthorized, "UNAUTHENTICATED", "Invalid Credentials")
		return
	}
	s.mu.Lock()
	objects, ok := s.store.buckets[bucket]
	s.mu.Unlock()
	switch {
	case bucket == "" || (len(parts) > 1 && parts[1] != "o"):
		writeStatus(w, http.StatusNotFound, "NOT_FOUND", "Not Found")
	case !ok:
		writeStatus(w, http.StatusNotFound, "NOT_FOUND", "The specified bucket does not exist.")
	case len(parts) == 1:
		writeJSON(w, http.StatusOK, map[string]any{"kind": "storage#bucket", "id": bucket, "name": bucket,
			"location": "EU", "storageClass": "STANDARD", "projectNumber": "100000000001"})
	case len(parts) == 2:
		s.listObjects(w, r.URL.Query(), bucket, objects)
	default:
		name, _ := url.PathUnescape(parts[2])
		s.getObject(w, r, bucket, name)
	}
}

// listObjects answers objects.list, sorted by name, a page at a time: the page token is the
// name the page starts at.
func (s *Server) listObjects(w http.ResponseWriter, q url.Values, bucket string, objects map[string]*gcsObject) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var names []string
	for name := range objects {
		if strings.HasPrefix(name, q.Get("prefix")) && name >= q.Get("pageToken") {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	size := s.store.pageSize
	if size <= 0 {
		size = 1000
	}
	if n, err := strconv.Atoi(q.Get("maxResults")); err == nil && n > 0 && n < size {
		size = n
	}
	out := map[string]any{"kind": "storage#objects"}
	if len(names) > size {
		out["nextPageToken"], names = names[size], names[:size]
	}
	items := make([]map[string]any, 0, len(names))
	for _, name := range names {
		items = append(items, objectResource(bucket, name, objects[name]))
	}
	if len(items) > 0 {
		out["items"] = items
	}
	writeJSON(w, http.StatusOK, out)
}

// getObject answers objects.get: the object's metadata, or its content with alt=media.
func (s *Server) getObject(w http.ResponseWriter, r *http.Request, bucket, name string) {
	s.mu.Lock()
	obj := s.store.buckets[bucket][name]
	media := r.URL.Query().Get("alt") == "media"
	if obj != nil && media {
		if s.store.gets[bucket] == nil {
			s.store.gets[bucket] = map[string]int{}
		}
		s.store.gets[bucket][name]++
	}
	s.mu.Unlock()
	switch {
	case obj == nil:
		writeStatus(w, http.StatusNotFound, "NOT_FOUND", "No such object: "+bucket+"/"+name)
	case media:
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.Itoa(len(obj.data)))
		w.Header().Set("ETag", obj.etag())
		w.Header().Set("X-Goog-Generation", strconv.FormatInt(obj.generation, 10))
		_, _ = w.Write(obj.data)
	default:
		writeJSON(w, http.StatusOK, objectResource(bucket, name, obj))
	}
}

// objectResource is the JSON resource of an object (64-bit numbers as strings).
func objectResource(bucket, name string, o *gcsObject) map[string]any {
	sum := md5.Sum(o.data)
	gen := strconv.FormatInt(o.generation, 10)
	return map[string]any{"kind": "storage#object", "id": bucket + "/" + name + "/" + gen, "name": name,
		"bucket": bucket, "generation": gen, "metageneration": "1", "etag": o.etag(),
		"size": strconv.Itoa(len(o.data)), "md5Hash": base64.StdEncoding.EncodeToString(sum[:]),
		"contentType": "application/octet-stream", "updated": o.updated.Format(time.RFC3339Nano)}
}
