package govreport

import (
	"context"
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
	if plain.Reason != "" || plain.Error() != "UNAVAILABLE: connection refused" {
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
