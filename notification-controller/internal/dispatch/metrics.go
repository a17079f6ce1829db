package dispatch

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// Results of a delivery, the values of the result label.
const (
	// ResultSent: the provider accepted the notification.
	ResultSent = "sent"
	// ResultFailed: the provider refused it, or every attempt failed.
	ResultFailed = "failed"
	// ResultDropped: not sent on purpose — rate-limited, or the provider's queue was full.
	ResultDropped = "dropped"
)

// Metrics are the notification-controller's own metrics.
type Metrics struct {
	// Deliveries counts notifications by provider type and result.
	Deliveries *prometheus.CounterVec
	// Events counts received events by source and outcome (received, twin, replayed-skip).
	Events *prometheus.CounterVec
	// QueueDepth is the number of notifications waiting, by provider type.
	QueueDepth *prometheus.GaugeVec
	// HTTPDuration is Flux's gotk_event_http_request_duration_seconds of the event endpoint.
	HTTPDuration *prometheus.HistogramVec
}

// NewMetrics creates the metrics and registers them with reg (nil registers nothing).
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		Deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ferry_notification_deliveries_total",
			Help: "Notifications by provider type and result: sent, failed or dropped (rate-limited or queue full).",
		}, []string{"provider_type", "result"}),
		Events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ferry_notification_events_total",
			Help: "Events received, by source (api, http) and outcome (received, twin, delivered-before).",
		}, []string{"source", "outcome"}),
		QueueDepth: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ferry_notification_queue_depth",
			Help: "Notifications waiting to be sent, by provider type.",
		}, []string{"provider_type"}),
		HTTPDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gotk_event_http_request_duration_seconds",
			Help:    "The latency of the HTTP requests of the event endpoint.",
			Buckets: prometheus.DefBuckets,
		}, []string{"handler", "method", "code"}),
	}
	if reg == nil {
		return m, nil
	}
	err := errors.Join(register(reg, &m.Deliveries), register(reg, &m.Events), register(reg, &m.QueueDepth), register(reg, &m.HTTPDuration))
	return m, err
}

// register registers *c with reg, or takes the collector registered before (a controller
// started again in the same process, as tests do).
func register[T prometheus.Collector](reg prometheus.Registerer, c *T) error {
	err := reg.Register(*c)
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(T); ok {
			*c = existing
			return nil
		}
	}
	return err
}
