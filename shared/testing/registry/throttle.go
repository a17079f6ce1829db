package registry

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// throttle refuses a number of repository requests with a status, as a rate-limited or
// overloaded registry does.
type throttle struct {
	mu         sync.Mutex
	left       int
	status     int
	retryAfter string
}

// Throttle makes the registry answer the next n requests on a repository (not the /v2/
// ping) with status (429, 503…) and, when retryAfter is not empty, that Retry-After header
// ("2" seconds, or an HTTP date). Refused requests are not counted in Counts.
func (r *Registry) Throttle(n, status int, retryAfter string) {
	r.throttle.mu.Lock()
	defer r.throttle.mu.Unlock()
	r.throttle.left, r.throttle.status, r.throttle.retryAfter = n, status, retryAfter
}

// Throttled returns how many of the requests Throttle asked to refuse are still to come.
func (r *Registry) Throttled() int {
	r.throttle.mu.Lock()
	defer r.throttle.mu.Unlock()
	return r.throttle.left
}

// refuse answers req with the throttle's status while it has requests left to refuse.
func (t *throttle) refuse(w http.ResponseWriter, req *http.Request) bool {
	if strings.Count(strings.Trim(req.URL.Path, "/"), "/") < 2 {
		return false // the ping, /v2/
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.left <= 0 {
		return false
	}
	t.left--
	if t.retryAfter != "" {
		w.Header().Set("Retry-After", t.retryAfter)
	}
	code := "TOOMANYREQUESTS"
	if t.status != http.StatusTooManyRequests {
		code = "UNAVAILABLE"
	}
	http.Error(w, fmt.Sprintf(`{"errors":[{"code":%q,"message":"try again later"}]}`, code), t.status)
	return true
}

// servePage serves one page of a tag list: at most the page size of tags after the query's
// last (the in-memory registry's own paging cannot say that nothing follows the last tag),
// with a Link header to the next page when more follow.
func (r *Registry) servePage(w http.ResponseWriter, req *http.Request, next http.Handler) {
	q := req.URL.Query()
	n := r.pageSize
	if v, err := strconv.Atoi(q.Get("n")); err == nil && v > 0 && v < n {
		n = v
	}
	inner := req.Clone(req.Context())
	inner.URL.RawQuery = ""
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, inner)
	var page struct {
		Name string   `json:"name"`
		Tags []string `json:"tags"`
	}
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &page) != nil {
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		return
	}
	tags := page.Tags // sorted by the registry
	if last := q.Get("last"); last != "" {
		i := sort.SearchStrings(tags, last)
		for i < len(tags) && tags[i] <= last {
			i++
		}
		tags = tags[i:]
	}
	if len(tags) > n {
		tags = tags[:n]
		nextQuery := url.Values{"n": {strconv.Itoa(n)}, "last": {tags[n-1]}}
		w.Header().Set("Link", fmt.Sprintf(`<%s?%s>; rel="next"`, req.URL.Path, nextQuery.Encode()))
	}
	page.Tags = tags
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(page)
}
