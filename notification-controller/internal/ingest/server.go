package ingest

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ferry-gitops/ferry/notification-controller/internal/event"
)

// maxEventBody bounds a POSTed event.
const maxEventBody = 1 << 20

// EventHandler is Flux's event endpoint: it accepts an event in Flux's JSON format POSTed to
// any path (Flux's controllers POST to "/") and answers 202 Accepted once the event is
// routed, 400 for a body that is not a valid event, 405 for anything but POST.
type EventHandler struct {
	sink     Sink
	log      logr.Logger
	duration *prometheus.HistogramVec
}

// NewEventHandler returns the endpoint handing events to sink and timing requests in
// duration (gotk_event_http_request_duration_seconds).
func NewEventHandler(sink Sink, duration *prometheus.HistogramVec, log logr.Logger) *EventHandler {
	return &EventHandler{sink: sink, log: log, duration: duration}
}

// ServeHTTP implements http.Handler.
func (h *EventHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	code := h.serve(w, r)
	h.duration.WithLabelValues("/", r.Method, strconv.Itoa(code)).Observe(time.Since(start).Seconds())
}

func (h *EventHandler) serve(w http.ResponseWriter, r *http.Request) int {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "only POST is accepted", http.StatusMethodNotAllowed)
		return http.StatusMethodNotAllowed
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxEventBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			http.Error(w, "the event is too large", http.StatusRequestEntityTooLarge)
			return http.StatusRequestEntityTooLarge
		}
		http.Error(w, "failed to read the event", http.StatusBadRequest)
		return http.StatusBadRequest
	}
	rec, err := event.FromJSON(body)
	if err != nil {
		h.log.V(1).Info("refused an event", "error", err.Error(), "remote", r.RemoteAddr)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return http.StatusBadRequest
	}
	h.sink.Handle(r.Context(), rec)
	w.WriteHeader(http.StatusAccepted)
	return http.StatusAccepted
}
