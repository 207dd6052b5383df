package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/govreport/govreport/gateway/internal/gen/serviceconfig"
)

// serveError runs errorHandler on err (with upstream trailers md) and returns the answer.
func serveError(t *testing.T, err error, trailers metadata.MD) *httptest.ResponseRecorder {
	t.Helper()
	mux := runtime.NewServeMux()
	r := httptest.NewRequest(http.MethodPost, "/v1/extract", nil)
	ctx := runtime.NewServerMetadataContext(context.Background(), runtime.ServerMetadata{TrailerMD: trailers})
	w := httptest.NewRecorder()
	_, m := runtime.MarshalerForRequest(mux, r)
	errorHandler(ctx, mux, m, w, r, err)
	return w
}

func TestRetryAfterFromRetryInfo(t *testing.T) {
	for _, tc := range []struct {
		delay time.Duration
		want  string
	}{{1200 * time.Millisecond, "2"}, {3 * time.Second, "3"}, {100 * time.Millisecond, "1"}} {
		st, err := status.New(codes.Unavailable, "the server's queue is full").WithDetails(
			&errdetails.ErrorInfo{Reason: "OVERLOADED", Domain: "govreport", Metadata: map[string]string{"request_id": "r1"}},
			&errdetails.RetryInfo{RetryDelay: durationpb.New(tc.delay)},
		)
		if err != nil {
			t.Fatal(err)
		}
		w := serveError(t, st.Err(), metadata.Pairs("x-request-id", "r1", "grpc-retry-pushback-ms", "1200"))
		if w.Code != http.StatusServiceUnavailable {
			t.Errorf("status %d, want 503", w.Code)
		}
		if got := w.Header().Get("Retry-After"); got != tc.want {
			t.Errorf("delay %s: Retry-After %q, want %q", tc.delay, got, tc.want)
		}
		if got := w.Header().Get("X-Request-Id"); got != "r1" {
			t.Errorf("X-Request-Id %q, want r1 from the trailers", got)
		}
		var body struct {
			Code    int `json:"code"`
			Details []struct {
				Type       string `json:"@type"`
				Reason     string `json:"reason"`
				RetryDelay string `json:"retryDelay"`
			} `json:"details"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
			t.Fatalf("%s: %v", w.Body, err)
		}
		if body.Code != 14 || len(body.Details) != 2 ||
			body.Details[0].Type != "type.googleapis.com/google.rpc.ErrorInfo" || body.Details[0].Reason != "OVERLOADED" ||
			body.Details[1].Type != "type.googleapis.com/google.rpc.RetryInfo" || body.Details[1].RetryDelay == "" {
			t.Errorf("body %s: want code 14, ErrorInfo OVERLOADED and RetryInfo with a retryDelay", w.Body)
		}
		if h := w.Header().Get("Grpc-Trailer-Grpc-Retry-Pushback-Ms") + w.Header().Get("Grpc-Metadata-Grpc-Retry-Pushback-Ms"); h != "" {
			t.Errorf("gRPC's pushback trailer leaked: %v", w.Header())
		}
	}
}

// The status mapping is grpc-gateway's standard one; docs/http.md lists it.
func TestStatusMapping(t *testing.T) {
	for code, want := range map[codes.Code]int{
		codes.InvalidArgument:   400,
		codes.Unauthenticated:   401,
		codes.PermissionDenied:  403,
		codes.NotFound:          404,
		codes.ResourceExhausted: 429,
		codes.Canceled:          499,
		codes.Internal:          500,
		codes.Unimplemented:     501,
		codes.Unavailable:       503,
		codes.DeadlineExceeded:  504,
	} {
		w := serveError(t, status.Error(code, "x"), nil)
		if w.Code != want {
			t.Errorf("%v: HTTP %d, want %d", code, w.Code, want)
		}
		if w.Header().Get("Retry-After") != "" {
			t.Errorf("%v: Retry-After without a RetryInfo", code)
		}
	}
}

func TestRequestIDs(t *testing.T) {
	for id, ok := range map[string]bool{
		"abc-123": true, "0123456789abcdef": true, strings.Repeat("a", 64): true,
		"": false, strings.Repeat("a", 65): false, "a b": false, "x;y": false, "ünï": false,
	} {
		if saneRequestID(id) != ok {
			t.Errorf("saneRequestID(%q) = %v", id, !ok)
		}
	}
	if id := newRequestID(); !saneRequestID(id) || len(id) != 16 {
		t.Errorf("newRequestID() = %q", id)
	}
}

func TestHeaderMatchers(t *testing.T) {
	for key, want := range map[string]string{
		"X-Request-Id":  "x-request-id",
		"Accept":        "grpcgateway-Accept",
		"Authorization": "", // grpc-gateway sends it itself, as `authorization`
		// A caller cannot set metadata keys of its choosing (grpc-gateway's default since 2.30).
		"Grpc-Metadata-Trace": "",
	} {
		got, ok := incomingHeader(key)
		if (want == "") == ok || got != want {
			t.Errorf("incomingHeader(%q) = %q, %v; want %q", key, got, ok, want)
		}
	}
	for _, key := range []string{"x-request-id", "content-type", "grpc-retry-pushback-ms", "grpc-accept-encoding"} {
		if h, ok := outgoingHeader(key); ok {
			t.Errorf("outgoingHeader(%q) = %q: gRPC's own metadata or the id go out another way", key, h)
		}
	}
	if h, ok := outgoingHeader("x-govreport-note"); !ok || h != "Grpc-Metadata-x-govreport-note" {
		t.Errorf("outgoingHeader(x-govreport-note) = %q, %v", h, ok)
	}
}

// The embedded service config is proto/govreport/v1/service_config.json, byte for byte, and it
// keeps its retry policy when the load balancing policy is added.
func TestServiceConfig(t *testing.T) {
	want, err := os.ReadFile(filepath.Join("..", "proto", "govreport", "v1", "service_config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if serviceconfig.JSON != string(want) {
		t.Error("internal/gen/serviceconfig/service_config.json differs from proto/govreport/v1/service_config.json: run make generate")
	}
	sc, err := serviceConfig("round_robin")
	if err != nil {
		t.Fatal(err)
	}
	var parsed struct {
		MethodConfig []struct {
			RetryPolicy struct {
				MaxAttempts          int      `json:"maxAttempts"`
				RetryableStatusCodes []string `json:"retryableStatusCodes"`
			} `json:"retryPolicy"`
		} `json:"methodConfig"`
		LoadBalancingConfig []map[string]any `json:"loadBalancingConfig"`
	}
	if err := json.Unmarshal([]byte(sc), &parsed); err != nil {
		t.Fatal(err)
	}
	if len(parsed.MethodConfig) != 1 || parsed.MethodConfig[0].RetryPolicy.MaxAttempts != 5 ||
		strings.Join(parsed.MethodConfig[0].RetryPolicy.RetryableStatusCodes, ",") != "UNAVAILABLE" {
		t.Errorf("retry policy lost: %s", sc)
	}
	if len(parsed.LoadBalancingConfig) != 1 || parsed.LoadBalancingConfig[0]["round_robin"] == nil {
		t.Errorf("loadBalancingConfig: %s", sc)
	}
	if _, err := serviceConfig("random"); err == nil {
		t.Error("an unknown -lb-policy was accepted")
	}
}

// openapi/govreport.swagger.json is what protoc-gen-openapiv2 makes of the protos now, byte for
// byte: a proto change without `make -C gateway openapi` fails here.
func TestOpenAPIUpToDate(t *testing.T) {
	committed, err := os.ReadFile(filepath.Join("openapi", "govreport.swagger.json"))
	if err != nil {
		t.Fatalf("%v: run make -C gateway openapi", err)
	}
	dir := t.TempDir()
	cmd := exec.Command("sh", "scripts/generate.sh", "openapi", dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scripts/generate.sh openapi: %v\n%s", err, out)
	}
	fresh, err := os.ReadFile(filepath.Join(dir, "govreport.swagger.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fresh, committed) {
		t.Errorf("openapi/govreport.swagger.json is out of date with proto/: run make -C gateway openapi (%d bytes now, %d committed)",
			len(fresh), len(committed))
	}
}
