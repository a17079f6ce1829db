package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/cli/internal/kinds"
	"github.com/ferry-gitops/ferry/shared/health"
)

// maxEvents is how many of an object's events the page shows, newest first.
const maxEvents = 20

// maxInventoryHealth is how many objects of one inventory the page reads the health of.
const maxInventoryHealth = 500

// inventoryReaders is how many objects of an inventory are read at once.
const inventoryReaders = 8

// heartbeat keeps idle streams open through proxies and tells a page the server is alive.
const heartbeat = 15 * time.Second

// routes returns the page's routes.
func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.index)
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(staticFS)))
	mux.HandleFunc("GET /api/graph", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, s.Snapshot()) })
	mux.HandleFunc("GET /api/stream", s.stream)
	mux.HandleFunc("GET /api/events", s.events)
	mux.HandleFunc("GET /api/inventory", s.inventory)
	mux.HandleFunc("POST /api/actions", s.action)
	return mux
}

// writeJSON answers v as JSON.
func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// stream sends the graph and then every change as Server-Sent Events: one "snapshot"
// event, then "change" events, until the page goes away. A page that falls too far behind
// is cut off; its EventSource reconnects and starts again from a snapshot.
func (s *Server) stream(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming is not supported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	snap, changes, cancel := s.store.subscribe()
	defer cancel()
	snap.Namespace, snap.ReadOnly = s.opts.Namespace, s.opts.Actions == nil
	if err := writeEvent(w, "snapshot", snap); err != nil {
		return
	}
	flusher.Flush()
	ticker := time.NewTicker(heartbeat)
	defer ticker.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-ticker.C:
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil {
				return
			}
		case c, ok := <-changes:
			if !ok || writeEvent(w, "change", c) != nil {
				return
			}
			// Send what else is queued before flushing, so that bursts go out together.
			for drained := false; !drained; {
				select {
				case c, ok := <-changes:
					if !ok || writeEvent(w, "change", c) != nil {
						return
					}
				default:
					drained = true
				}
			}
		}
		flusher.Flush()
	}
}

// writeEvent writes one Server-Sent Event carrying v as JSON.
func writeEvent(w http.ResponseWriter, name string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, data)
	return err
}

// nodeOf returns the node the request's id parameter names, or answers 404.
func (s *Server) nodeOf(w http.ResponseWriter, r *http.Request) (*Node, bool) {
	n, ok := s.store.get(r.URL.Query().Get("id"))
	if !ok {
		http.Error(w, "no such object in the graph", http.StatusNotFound)
	}
	return n, ok
}

// Event is a Kubernetes Event about a node, as the page lists it.
type Event struct {
	Type     string `json:"type"`
	Reason   string `json:"reason"`
	Message  string `json:"message"`
	Count    int32  `json:"count"`
	LastSeen string `json:"lastSeen"`
}

// events answers the newest events about the node id.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	n, ok := s.nodeOf(w, r)
	if !ok {
		return
	}
	var list corev1.EventList
	err := s.opts.Client.List(r.Context(), &list, client.InNamespace(n.Namespace),
		client.MatchingFields{"involvedObject.kind": n.Kind, "involvedObject.name": n.Name})
	if err != nil {
		http.Error(w, "failed to list the events: "+err.Error(), apiStatus(err))
		return
	}
	sort.SliceStable(list.Items, func(i, j int) bool { return LastSeen(&list.Items[j]).Before(LastSeen(&list.Items[i])) })
	out := []Event{}
	for i := range list.Items {
		if len(out) == maxEvents {
			break
		}
		ev := &list.Items[i]
		out = append(out, Event{Type: ev.Type, Reason: ev.Reason, Message: ev.Message, Count: ev.Count,
			LastSeen: LastSeen(ev).UTC().Format(time.RFC3339)})
	}
	writeJSON(w, out)
}

// LastSeen returns when ev last happened: its last timestamp, its event time (events of
// the events.k8s.io API) or its first timestamp; `ferry events` sorts by it too.
func LastSeen(ev *corev1.Event) time.Time {
	switch {
	case !ev.LastTimestamp.IsZero():
		return ev.LastTimestamp.Time
	case !ev.EventTime.IsZero():
		return ev.EventTime.Time
	}
	return ev.FirstTimestamp.Time
}

// apiStatus maps an API server error to the page's answer.
func apiStatus(err error) int {
	if apierrors.IsForbidden(err) {
		return http.StatusForbidden
	}
	return http.StatusBadGateway
}

// InventoryObject is one object of an inventory with its kstatus health.
type InventoryObject struct {
	Entry
	// Health is a kstatus status: Current, InProgress, Failed, Terminating, NotFound or
	// Unknown.
	Health  string `json:"health"`
	Message string `json:"message,omitempty"`
}

// inventory answers the objects of the inventory of node id with their health, read now.
func (s *Server) inventory(w http.ResponseWriter, r *http.Request) {
	n, ok := s.nodeOf(w, r)
	if !ok {
		return
	}
	entries := n.Inventory
	if len(entries) > maxInventoryHealth {
		entries = entries[:maxInventoryHealth]
	}
	out := make([]InventoryObject, len(entries))
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(inventoryReaders, len(entries)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				out[i] = s.objectHealth(r.Context(), entries[i])
			}
		}()
	}
	for i := range entries {
		work <- i
	}
	close(work)
	wg.Wait()
	writeJSON(w, out)
}

// objectHealth reads one inventory object and computes its health.
func (s *Server) objectHealth(ctx context.Context, e Entry) InventoryObject {
	gv, err := schema.ParseGroupVersion(e.APIVersion)
	if err != nil {
		return InventoryObject{Entry: e, Health: string(health.Unknown), Message: err.Error()}
	}
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gv.WithKind(e.Kind))
	if err := s.opts.Client.Get(ctx, client.ObjectKey{Namespace: e.Namespace, Name: e.Name}, u); err != nil {
		if apierrors.IsNotFound(err) {
			return InventoryObject{Entry: e, Health: string(health.NotFound), Message: "the object does not exist"}
		}
		return InventoryObject{Entry: e, Health: string(health.Unknown), Message: err.Error()}
	}
	res, _ := health.Compute(u)
	return InventoryObject{Entry: e, Health: string(res.Status), Message: res.Message}
}

// actionRequest is the body of POST /api/actions.
type actionRequest struct {
	// Action is reconcile, reconcile-with-source, suspend or resume.
	Action string `json:"action"`
	// ID is the node acted on.
	ID string `json:"id"`
}

// ActionResult is the answer to an action: its outcome and the CLI's progress lines.
type ActionResult struct {
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
	Log   string `json:"log"`
}

// action runs one of the CLI's verbs on a node and answers its outcome.
func (s *Server) action(w http.ResponseWriter, r *http.Request) {
	if s.opts.Actions == nil {
		http.Error(w, "ferry ui runs read-only", http.StatusForbidden)
		return
	}
	var req actionRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&req); err != nil {
		http.Error(w, "invalid action: "+err.Error(), http.StatusBadRequest)
		return
	}
	ref, err := parseID(req.ID)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	run, ok := map[string]func(context.Context, *syncBuffer) error{
		"reconcile": func(ctx context.Context, log *syncBuffer) error {
			return s.opts.Actions.Reconcile(ctx, ref, false, log)
		},
		"reconcile-with-source": func(ctx context.Context, log *syncBuffer) error { return s.opts.Actions.Reconcile(ctx, ref, true, log) },
		"suspend":               func(ctx context.Context, log *syncBuffer) error { return s.opts.Actions.Suspend(ctx, ref, log) },
		"resume":                func(ctx context.Context, log *syncBuffer) error { return s.opts.Actions.Resume(ctx, ref, log) },
	}[req.Action]
	if !ok {
		http.Error(w, fmt.Sprintf("unknown action %q", req.Action), http.StatusBadRequest)
		return
	}
	fmt.Fprintf(s.opts.Log, "ui: %s %s\n", req.Action, ref)
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.ActionTimeout)
	defer cancel()
	var log syncBuffer
	res := ActionResult{OK: true}
	if err := run(ctx, &log); err != nil {
		res.OK, res.Error = false, err.Error()
		fmt.Fprintf(s.opts.Log, "ui: %s %s failed: %v\n", req.Action, ref, err)
	}
	res.Log = log.String()
	writeJSON(w, res)
}

// parseID reads Kind/namespace/name into a reference to a kind of the table.
func parseID(id string) (kinds.Ref, error) {
	parts := strings.Split(id, "/")
	if len(parts) != 3 || parts[1] == "" || parts[2] == "" {
		return kinds.Ref{}, fmt.Errorf("invalid object %q, expected Kind/namespace/name", id)
	}
	if _, ok := kinds.ByKind(parts[0]); !ok {
		return kinds.Ref{}, fmt.Errorf("unsupported kind %q", parts[0])
	}
	return kinds.Ref{Kind: parts[0], Namespace: parts[1], Name: parts[2]}, nil
}

// syncBuffer is a buffer that several goroutines may write.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written.
func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
