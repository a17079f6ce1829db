// Package listen serves an HTTP handler for the lifetime of a context, the way the event
// endpoint and the webhook receiver both run.
package listen

import (
	"context"
	"net/http"
	"time"

	"github.com/go-logr/logr"
)

// Serve runs handler on addr until ctx ends, then shuts it down within grace. It returns the
// error of a listener that could not start or failed.
func Serve(ctx context.Context, addr string, handler http.Handler, grace time.Duration, log logr.Logger) error {
	srv := &http.Server{Addr: addr, Handler: handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Error(err, "server did not shut down cleanly", "address", addr)
	}
	return nil
}
