package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/genproto/googleapis/rpc/errdetails" // registers ErrorInfo, RetryInfo, BadRequest… for the error body
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	govreportv1 "github.com/govreport/govreport/gateway/internal/gen/govreport/v1"
	"github.com/govreport/govreport/gateway/internal/gen/serviceconfig"
)

const requestIDHeader = "X-Request-Id"

type config struct {
	listen, upstream                          string
	tls                                       bool
	tlsCA, tlsCert, tlsKey, tlsServerName     string
	lbPolicy                                  string
	maxMessage                                int
	maxBody                                   int64
	healthTimeout, readTimeout, shutdownGrace time.Duration
}

// gateway is the HTTP handler: request ids and the body limit around grpc-gateway's mux.
type gateway struct {
	mux     *runtime.ServeMux
	conn    *grpc.ClientConn
	maxBody int64
	log     *slog.Logger
}

// serviceConfig is proto/govreport/v1/service_config.json (embedded at generate time) with the
// load balancing policy added.
func serviceConfig(lbPolicy string) (string, error) {
	var sc map[string]any
	if err := json.Unmarshal([]byte(serviceconfig.JSON), &sc); err != nil {
		return "", fmt.Errorf("service_config.json: %w", err)
	}
	switch lbPolicy {
	case "round_robin", "pick_first":
	default:
		return "", fmt.Errorf("-lb-policy: %q is neither round_robin nor pick_first", lbPolicy)
	}
	sc["loadBalancingConfig"] = []any{map[string]any{lbPolicy: map[string]any{}}}
	out, err := json.Marshal(sc)
	return string(out), err
}

func transportCredentials(cfg config) (credentials.TransportCredentials, error) {
	if !cfg.tls && cfg.tlsCA == "" && cfg.tlsCert == "" && cfg.tlsKey == "" {
		if cfg.tlsServerName != "" {
			return nil, errors.New("-upstream-tls-server-name needs TLS (-upstream-tls or -upstream-tls-ca)")
		}
		return insecure.NewCredentials(), nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: cfg.tlsServerName}
	if cfg.tlsCA != "" {
		pem, err := os.ReadFile(cfg.tlsCA)
		if err != nil {
			return nil, fmt.Errorf("-upstream-tls-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("-upstream-tls-ca: no PEM certificate in %s", cfg.tlsCA)
		}
		tc.RootCAs = pool
	}
	if (cfg.tlsCert == "") != (cfg.tlsKey == "") {
		return nil, errors.New("-upstream-tls-cert and -upstream-tls-key go together")
	}
	if cfg.tlsCert != "" {
		pair, err := tls.LoadX509KeyPair(cfg.tlsCert, cfg.tlsKey)
		if err != nil {
			return nil, fmt.Errorf("-upstream-tls-cert/-key: %w", err)
		}
		tc.Certificates = []tls.Certificate{pair}
	}
	return credentials.NewTLS(tc), nil
}

func newGateway(cfg config, logger *slog.Logger) (*gateway, error) {
	sc, err := serviceConfig(cfg.lbPolicy)
	if err != nil {
		return nil, err
	}
	creds, err := transportCredentials(cfg)
	if err != nil {
		return nil, err
	}
	conn, err := grpc.NewClient(cfg.upstream,
		grpc.WithTransportCredentials(creds),
		grpc.WithDefaultServiceConfig(sc),
		grpc.WithUserAgent("govreport-gateway/"+version),
		grpc.WithDefaultCallOptions(
			grpc.MaxCallRecvMsgSize(cfg.maxMessage),
			grpc.MaxCallSendMsgSize(cfg.maxMessage),
			// gRPC keeps what it sent to send it again; without this (16 MiB by default) a
			// larger document could not be retried.
			grpc.MaxRetryRPCBufferSize(cfg.maxMessage),
		),
	)
	if err != nil {
		return nil, fmt.Errorf("-upstream %s: %w", cfg.upstream, err)
	}
	mux := runtime.NewServeMux(
		runtime.WithIncomingHeaderMatcher(incomingHeader),
		runtime.WithOutgoingHeaderMatcher(outgoingHeader),
		runtime.WithOutgoingTrailerMatcher(outgoingTrailer),
		runtime.WithWriteContentLength(),
		runtime.WithForwardResponseOption(forwardRequestID),
		runtime.WithErrorHandler(errorHandler),
		runtime.WithRoutingErrorHandler(routingErrorHandler),
		runtime.WithHealthzEndpoint(healthWithTimeout{grpc_health_v1.NewHealthClient(conn), cfg.healthTimeout}),
		// protojson as every govreport client prints it: lowerCamelCase, defaults left out.
		runtime.WithMarshalerOption(runtime.MIMEWildcard, &runtime.HTTPBodyMarshaler{
			Marshaler: &runtime.JSONPb{
				MarshalOptions: protojson.MarshalOptions{},
				// An unknown field (a typo) is a 400, not silently dropped.
				UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
			},
		}),
	)
	if err := govreportv1.RegisterReportExtractorHandlerClient(context.Background(), mux,
		govreportv1.NewReportExtractorClient(conn)); err != nil {
		_ = conn.Close()
		return nil, err
	}
	return &gateway{mux: mux, conn: conn, maxBody: cfg.maxBody, log: logger}, nil
}

func (g *gateway) Close() error { return g.conn.Close() }

type bodyLimitKey struct{}

// bodyLimit is in a request's context: the limit, and whether the body went over it.
type bodyLimit struct {
	limit int64
	over  atomic.Bool
}

// limitedBody is http.MaxBytesReader that also remembers having refused a body, so the error
// handler can answer 413 instead of the 400 that grpc-gateway gives a body it cannot read.
type limitedBody struct {
	io.ReadCloser
	state *bodyLimit
}

func (b limitedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		b.state.over.Store(true)
	}
	return n, err
}

// ServeHTTP gives every request an id (the caller's X-Request-Id when it sent a usable one, else
// a new one: forwarded upstream, answered in X-Request-Id), refuses bodies over the limit with
// 413, and logs one line a request.
func (g *gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	started := time.Now()
	id := r.Header.Get(requestIDHeader)
	if !saneRequestID(id) {
		id = newRequestID()
		r.Header.Set(requestIDHeader, id)
	}
	w.Header().Set(requestIDHeader, id)
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		g.log.Info("request", "method", r.Method, "path", r.URL.Path, "status", rec.status,
			"bytes_in", r.ContentLength, "ms", time.Since(started).Milliseconds(), "request_id", rec.Header().Get(requestIDHeader))
	}()
	if r.ContentLength > g.maxBody {
		g.writeTooLarge(rec, r)
		return
	}
	if r.Body != nil && r.Body != http.NoBody {
		state := &bodyLimit{limit: g.maxBody}
		// w, not rec: MaxBytesReader tells net/http to close the connection after the answer.
		r.Body = limitedBody{http.MaxBytesReader(w, r.Body, g.maxBody), state}
		r = r.WithContext(context.WithValue(r.Context(), bodyLimitKey{}, state))
	}
	g.mux.ServeHTTP(rec, r)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (g *gateway) writeTooLarge(w http.ResponseWriter, r *http.Request) {
	_, out := runtime.MarshalerForRequest(g.mux, r)
	errorHandler(r.Context(), g.mux, out, w, r, tooLargeError(g.maxBody))
}

// tooLargeError is the 413 answer: RESOURCE_EXHAUSTED with the TOO_LARGE ErrorInfo a server
// gives a document over its limit.
func tooLargeError(limit int64) error {
	st, _ := status.New(codes.ResourceExhausted,
		fmt.Sprintf("the request body is over the gateway's limit of %d bytes (-max-body-bytes); a document over 64 MiB goes through gRPC's ExtractUpload", limit)).
		WithDetails(&errdetails.ErrorInfo{
			Reason:   govreportv1.ErrorReason_ERROR_REASON_TOO_LARGE.String()[len("ERROR_REASON_"):],
			Domain:   "govreport",
			Metadata: map[string]string{"limit": strconv.FormatInt(limit, 10)},
		})
	return &runtime.HTTPStatusError{HTTPStatus: http.StatusRequestEntityTooLarge, Err: st.Err()}
}

// saneRequestID is the server's own rule: up to 64 letters, digits and dashes.
func saneRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// incomingHeader: X-Request-Id goes upstream as x-request-id; Authorization is sent by
// grpc-gateway itself as `authorization` (so not a second time as grpcgateway-authorization);
// the rest as grpc-gateway does by default: the standard HTTP headers as grpcgateway-*, and
// nothing else (Grpc-Metadata-* is not forwarded, so a caller cannot set metadata the server
// might trust).
func incomingHeader(key string) (string, bool) {
	switch strings.ToLower(key) {
	case "x-request-id":
		return "x-request-id", true
	case "authorization":
		return "", false
	}
	return runtime.DefaultHeaderMatcher(key)
}

// outgoingHeader: x-request-id is set (not added) by forwardRequestID and errorHandler; gRPC's
// own metadata (content-type, grpc-*) stays behind; any other upstream metadata goes out as
// Grpc-Metadata-KEY.
func outgoingHeader(key string) (string, bool) {
	k := strings.ToLower(key)
	if k == "x-request-id" || k == "content-type" || strings.HasPrefix(k, "grpc-") {
		return "", false
	}
	return runtime.MetadataHeaderPrefix + key, true
}

// outgoingTrailer: as outgoingHeader, as Grpc-Trailer-KEY (sent only to a caller that says
// `TE: trailers`).
func outgoingTrailer(key string) (string, bool) {
	if _, ok := outgoingHeader(key); !ok {
		return "", false
	}
	return runtime.MetadataTrailerPrefix + key, true
}

// upstreamRequestID is the x-request-id the upstream answered with (a header on success, a
// trailer on error), if any.
func upstreamRequestID(ctx context.Context) string {
	md, ok := runtime.ServerMetadataFromContext(ctx)
	if !ok {
		return ""
	}
	for _, m := range []metadata.MD{md.HeaderMD, md.TrailerMD} {
		if v := m.Get("x-request-id"); len(v) > 0 && v[0] != "" {
			return v[0]
		}
	}
	return ""
}

func forwardRequestID(ctx context.Context, w http.ResponseWriter, _ proto.Message) error {
	if id := upstreamRequestID(ctx); id != "" {
		w.Header().Set(requestIDHeader, id)
	}
	return nil
}

// errorHandler is runtime.DefaultHTTPErrorHandler (the google.rpc.Status body, the standard
// status mapping) plus: X-Request-Id from the upstream's trailers, a Retry-After header
// (seconds, rounded up) for a RetryInfo detail, and 413 for a body over the limit.
func errorHandler(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
	if state, _ := r.Context().Value(bodyLimitKey{}).(*bodyLimit); state != nil && state.over.Load() {
		err = tooLargeError(state.limit)
	}
	if id := upstreamRequestID(ctx); id != "" {
		w.Header().Set(requestIDHeader, id)
	}
	st := err
	var custom *runtime.HTTPStatusError
	if errors.As(err, &custom) {
		st = custom.Err
	}
	if s, ok := status.FromError(st); ok {
		for _, d := range s.Details() {
			if ri, ok := d.(*errdetails.RetryInfo); ok && ri.GetRetryDelay() != nil {
				secs := math.Ceil(ri.GetRetryDelay().AsDuration().Seconds())
				if secs < 1 {
					secs = 1
				}
				w.Header().Set("Retry-After", strconv.FormatInt(int64(secs), 10))
			}
		}
	}
	runtime.DefaultHTTPErrorHandler(ctx, mux, m, w, r, err)
}

// routingErrorHandler: an unknown path or method gets the same JSON error body as the rest.
func routingErrorHandler(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, httpStatus int) {
	code := codes.Internal
	msg := http.StatusText(httpStatus)
	switch httpStatus {
	case http.StatusNotFound:
		code, msg = codes.NotFound, "no such endpoint: "+r.Method+" "+r.URL.Path+" (see docs/http.md)"
	case http.StatusMethodNotAllowed:
		code, msg = codes.Unimplemented, "method "+r.Method+" not allowed on "+r.URL.Path
	case http.StatusBadRequest:
		code = codes.InvalidArgument
	}
	errorHandler(ctx, mux, m, w, r, &runtime.HTTPStatusError{HTTPStatus: httpStatus, Err: status.Error(code, msg)})
}

// healthWithTimeout bounds the upstream health check behind /healthz.
type healthWithTimeout struct {
	grpc_health_v1.HealthClient
	timeout time.Duration
}

func (h healthWithTimeout) Check(ctx context.Context, in *grpc_health_v1.HealthCheckRequest, opts ...grpc.CallOption) (*grpc_health_v1.HealthCheckResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	return h.HealthClient.Check(ctx, in, opts...)
}
