package serve

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the server's Prometheus metrics, in a registry of its own
// (served at GET /metrics).
type metrics struct {
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec
	tokens    *prometheus.CounterVec
	ttft      prometheus.Histogram
	perToken  prometheus.Histogram
	queued    prometheus.Gauge
	slotsUsed prometheus.Gauge
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ponder_requests_total",
			Help: "HTTP requests by endpoint and status code."}, []string{"endpoint", "status"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ponder_tokens_total",
			Help: "Tokens read (prompt) and generated (completion)."}, []string{"kind"}),
		ttft: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "ponder_time_to_first_token_seconds",
			Help: "Time from a request taking its slot to its first generated token.", Buckets: prometheus.ExponentialBuckets(0.005, 2, 14)}),
		perToken: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "ponder_token_latency_seconds",
			Help: "Mean time per generated token after the first, per request.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)}),
		queued: prometheus.NewGauge(prometheus.GaugeOpts{Name: "ponder_queue_depth",
			Help: "Requests waiting for a generation slot."}),
		slotsUsed: prometheus.NewGauge(prometheus.GaugeOpts{Name: "ponder_slots_in_use",
			Help: "Generation slots in use."}),
	}
	m.reg.MustRegister(m.requests, m.tokens, m.ttft, m.perToken, m.queued, m.slotsUsed,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) handler() http.Handler { return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}) }

// statusWriter records the status code written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush keeps streaming working through the wrapper.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// count records one finished request.
func (m *metrics) count(path string, status int) {
	if status == 0 {
		status = http.StatusOK
	}
	m.requests.WithLabelValues(path, strconv.Itoa(status)).Inc()
}

// generation records a generation's timings and token counts.
func (m *metrics) generation(start, first time.Time, prompt, completion int) {
	m.tokens.WithLabelValues("prompt").Add(float64(prompt))
	m.tokens.WithLabelValues("completion").Add(float64(completion))
	if first.IsZero() {
		return
	}
	m.ttft.Observe(first.Sub(start).Seconds())
	if completion > 1 {
		m.perToken.Observe(time.Since(first).Seconds() / float64(completion-1))
	}
}
