package govreport

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	govreportv1 "github.com/govreport/govreport/clients/go/gen/govreport/v1"
)

func TestAsError(t *testing.T) {
	st, err := status.New(codes.ResourceExhausted, "busy").WithDetails(
		&errdetails.ErrorInfo{Domain: "proxy.example", Reason: "QUOTA"},
		&errdetails.ErrorInfo{Domain: ErrorDomain, Reason: ReasonOverloaded, Metadata: map[string]string{"queue": "8"}},
		&errdetails.RetryInfo{RetryDelay: durationpb.New(1500 * time.Millisecond)},
	)
	if err != nil {
		t.Fatal(err)
	}
	e := asError(st.Err()).(*Error)
	if e.Code != codes.ResourceExhausted || e.Reason != ReasonOverloaded || e.Message != "busy" ||
		e.Metadata["queue"] != "8" || e.RetryDelay != 1500*time.Millisecond || len(e.Details) != 3 {
		t.Errorf("got %+v", e)
	}
	if e.Error() != "OVERLOADED: busy" {
		t.Errorf("Error() = %q", e.Error())
	}
	if asError(e) != error(e) {
		t.Error("an *Error is converted again")
	}

	plain := asError(status.Error(codes.Unavailable, "connection refused")).(*Error)
	if plain.Reason != ReasonUnavailable || plain.Error() != "UNAVAILABLE: connection refused" {
		t.Errorf("no ErrorInfo: got %+v, %q", plain, plain.Error())
	}
	if got := asError(context.DeadlineExceeded).(*Error); got.Code != codes.DeadlineExceeded {
		t.Errorf("context error: got %+v", got)
	}
	if asError(nil) != nil {
		t.Error("nil is an error")
	}
}

func TestBatchError(t *testing.T) {
	e := batchError(&govreportv1.BatchError{Code: 3, Reason: ReasonNotAReport, Message: "not a report"})
	if e.Code != codes.InvalidArgument || e.Error() != "NOT_A_REPORT: not a report" {
		t.Errorf("got %+v", e)
	}
	if status.Code(e) != codes.InvalidArgument {
		t.Errorf("status.Code = %s", status.Code(e))
	}
}

func TestCodeName(t *testing.T) {
	for c, want := range map[codes.Code]string{
		codes.Canceled: "CANCELLED", codes.InvalidArgument: "INVALID_ARGUMENT",
		codes.Unauthenticated: "UNAUTHENTICATED", codes.Code(99): "CODE_99",
	} {
		if got := codeName(c); got != want {
			t.Errorf("codeName(%d) = %q, want %q", c, got, want)
		}
	}
}

// Every ErrorReason of errors.proto has its constant, and every constant
// is an ErrorReason: the list cannot fall behind the proto.
func TestReasonsAreTheErrorReasons(t *testing.T) {
	var want []string
	for v := range len(govreportv1.ErrorReason_name) {
		r := govreportv1.ErrorReason(v)
		if r == govreportv1.ErrorReason_ERROR_REASON_UNSPECIFIED {
			continue
		}
		if _, ok := govreportv1.ErrorReason_name[int32(v)]; !ok {
			t.Fatalf("ErrorReason values are not 0…%d", len(govreportv1.ErrorReason_name)-1)
		}
		want = append(want, ReasonName(r))
	}
	if !slices.Equal(Reasons, want) {
		t.Errorf("Reasons = %v,\nwant the ErrorReason names %v", Reasons, want)
	}
	for _, reason := range Reasons {
		if e := (&Error{Reason: reason}); ReasonName(e.ErrorReason()) != reason {
			t.Errorf("%s: ErrorReason() = %s", reason, e.ErrorReason())
		}
	}
	if got := (&Error{Reason: "FROM_THE_FUTURE"}).ErrorReason(); got != govreportv1.ErrorReason_ERROR_REASON_UNSPECIFIED {
		t.Errorf("an unknown reason: ErrorReason() = %s", got)
	}
}

func TestUnwrap(t *testing.T) {
	deadline := asError(status.Error(codes.DeadlineExceeded, "context deadline exceeded"))
	if !errors.Is(deadline, context.DeadlineExceeded) || errors.Is(deadline, context.Canceled) {
		t.Errorf("gRPC's DEADLINE_EXCEEDED: errors.Is(context.DeadlineExceeded) is false: %v", deadline)
	}
	cancelled := asError(status.Error(codes.Canceled, "context canceled"))
	if !errors.Is(cancelled, context.Canceled) || errors.Is(cancelled, context.DeadlineExceeded) {
		t.Errorf("gRPC's CANCELLED: errors.Is(context.Canceled) is false: %v", cancelled)
	}
	if e := asError(context.Canceled).(*Error); e.Reason != ReasonCancelled || !errors.Is(e, context.Canceled) {
		t.Errorf("a context error: %+v", e)
	}
	// A batch document over its time limit is the caller's deadline too.
	limit, _ := status.New(codes.DeadlineExceeded, "over the time limit").WithDetails(
		&errdetails.ErrorInfo{Domain: ErrorDomain, Reason: ReasonDeadlineExceeded})
	if e := batchError(&govreportv1.BatchError{Status: limit.Proto()}); !errors.Is(e, context.DeadlineExceeded) {
		t.Errorf("time_limit: %+v", e)
	}
	// The server's stall is no deadline of the caller's.
	stalled, _ := status.New(codes.DeadlineExceeded, "nothing for 30 s").WithDetails(
		&errdetails.ErrorInfo{Domain: ErrorDomain, Reason: ReasonUploadStalled})
	if e := asError(stalled.Err()); errors.Is(e, context.DeadlineExceeded) {
		t.Errorf("UPLOAD_STALLED is context.DeadlineExceeded: %v", e)
	}
	if e := asError(status.Error(codes.Unavailable, "refused")); errors.Unwrap(e) != nil {
		t.Errorf("UNAVAILABLE unwraps to %v", errors.Unwrap(e))
	}

	path := filepath.Join(t.TempDir(), "missing.pdf")
	_, err := os.Open(path)
	missing := fileError(path, path, err)
	var pathErr *fs.PathError
	if missing.Code != codes.NotFound || missing.Reason != ReasonNotFound || missing.Message != "no such file" ||
		!errors.Is(missing, fs.ErrNotExist) || !errors.As(missing, &pathErr) {
		t.Errorf("a missing file: %+v", missing)
	}
}

func TestBatchErrorFromStatus(t *testing.T) {
	st, err := status.New(codes.Unavailable, "queue full").WithDetails(
		&errdetails.ErrorInfo{Domain: ErrorDomain, Reason: ReasonOverloaded, Metadata: map[string]string{"request_id": "r1"}},
		&errdetails.RetryInfo{RetryDelay: durationpb.New(2 * time.Second)},
	)
	if err != nil {
		t.Fatal(err)
	}
	e := batchError(&govreportv1.BatchError{Code: 14, Reason: ReasonOverloaded, Message: "queue full", Status: st.Proto()})
	if e.Code != codes.Unavailable || e.Reason != ReasonOverloaded || e.Message != "queue full" ||
		e.Metadata["request_id"] != "r1" || e.RetryDelay != 2*time.Second || len(e.Details) != 2 || !e.Retryable() {
		t.Errorf("from the status: %+v", e)
	}
	// An older server: code, reason and message only.
	e = batchError(&govreportv1.BatchError{Code: 8, Reason: ReasonTooLarge, Message: "over 64 MiB"})
	if e.Code != codes.ResourceExhausted || e.Reason != ReasonTooLarge || e.Error() != "TOO_LARGE: over 64 MiB" || e.Retryable() {
		t.Errorf("without a status: %+v", e)
	}
	e = batchError(&govreportv1.BatchError{Code: 13, Message: "?"})
	if e.Reason != "INTERNAL" {
		t.Errorf("neither reason nor status: %+v", e)
	}
}

// The embedded service config is proto/govreport/v1/service_config.json,
// byte for byte, and the dns: variant adds round_robin to it.
func TestServiceConfig(t *testing.T) {
	dir, _ := os.Getwd()
	file, err := os.ReadFile(filepath.Join(dir, "..", "..", "..", "proto", "govreport", "v1", "service_config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if govreportv1.ServiceConfig != string(file) {
		t.Error("gen's ServiceConfig is not proto/govreport/v1/service_config.json: run scripts/generate.sh")
	}
	for _, roundRobin := range []bool{false, true} {
		config, err := serviceConfig(roundRobin)
		if err != nil {
			t.Fatal(err)
		}
		var parsed struct {
			MethodConfig []struct {
				RetryPolicy struct {
					MaxAttempts          int
					RetryableStatusCodes []string
				}
			}
			LoadBalancingConfig []map[string]any
		}
		if err := json.Unmarshal([]byte(config), &parsed); err != nil {
			t.Fatal(err)
		}
		if len(parsed.MethodConfig) != 1 || parsed.MethodConfig[0].RetryPolicy.MaxAttempts != 5 ||
			!slices.Equal(parsed.MethodConfig[0].RetryPolicy.RetryableStatusCodes, []string{"UNAVAILABLE"}) ||
			(len(parsed.LoadBalancingConfig) == 1) != roundRobin {
			t.Errorf("round robin %v: %s", roundRobin, config)
		}
	}
}
