// Package pubsubtest serves Google Cloud Pub/Sub for tests as Google does: over TLS, on
// 127.0.0.1, accepting only the calls whose OAuth bearer token a check accepts (the
// publisher and subscriber API of the pstest fake behind it). Its CA is trusted through
// shared/cloud's TestCAFileEnv; a test points googlepubsub at Addr with
// notifier.TestPubSubEndpointEnv. Only tests import it.
package pubsubtest

import (
	"context"
	"crypto/tls"
	"net"
	"strings"
	"sync/atomic"
	"testing"

	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"cloud.google.com/go/pubsub/v2/pstest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/testing/pki"
)

// Server is a running Pub/Sub server.
type Server struct {
	// Fake holds the topics and the published messages.
	Fake *pstest.Server
	// Addr is the TLS address, 127.0.0.1:<port>.
	Addr string

	refused atomic.Int64
}

// Start serves Pub/Sub with the topic of project until t ends, accepting only the bearer
// tokens that authorize accepts. It trusts its CA with t.Setenv: tests using it cannot run
// in parallel.
func Start(t testing.TB, project, topic string, authorize func(token string) bool) *Server {
	t.Helper()
	fake := pstest.NewServerWithAddress("127.0.0.1:0")
	t.Cleanup(func() { _ = fake.Close() })
	if _, err := fake.GServer.CreateTopic(context.Background(), &pubsubpb.Topic{Name: "projects/" + project + "/topics/" + topic}); err != nil {
		t.Fatal(err)
	}
	cert := pki.TrustedServer(t, cloud.TestCAFileEnv)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Fake: fake, Addr: lis.Addr().String()}
	check := func(ctx context.Context) error {
		md, _ := metadata.FromIncomingContext(ctx)
		for _, v := range md.Get("authorization") {
			if tok, ok := strings.CutPrefix(v, "Bearer "); ok && authorize(tok) {
				return nil
			}
		}
		s.refused.Add(1)
		return status.Error(codes.Unauthenticated, "the request has no bearer token of an allowed principal")
	}
	srv := grpc.NewServer(
		grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})),
		grpc.UnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			if err := check(ctx); err != nil {
				return nil, err
			}
			return h(ctx, req)
		}),
		grpc.StreamInterceptor(func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
			if err := check(ss.Context()); err != nil {
				return err
			}
			return h(srv, ss)
		}),
	)
	pubsubpb.RegisterPublisherServer(srv, &fake.GServer)
	pubsubpb.RegisterSubscriberServer(srv, &fake.GServer)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return s
}

// Refused is the number of calls refused for their token.
func (s *Server) Refused() int64 { return s.refused.Load() }
