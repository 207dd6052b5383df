package govreport

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	govreportv1 "github.com/govreport/govreport/clients/go/gen/govreport/v1"
)

// ErrorDomain is the ErrorInfo domain of the service's errors.
const ErrorDomain = "govreport"

// ErrorInfo reasons the service gives (see service.proto and
// docs/configuration.md for the limits).
const (
	ReasonUnsupportedFormat = "UNSUPPORTED_FORMAT" // INVALID_ARGUMENT
	ReasonEmptyDocument     = "EMPTY_DOCUMENT"     // INVALID_ARGUMENT
	ReasonCorruptDocument   = "CORRUPT_DOCUMENT"   // INVALID_ARGUMENT
	ReasonEncrypted         = "ENCRYPTED_DOCUMENT" // INVALID_ARGUMENT
	ReasonUndecodableText   = "UNDECODABLE_TEXT"   // INVALID_ARGUMENT
	ReasonNotAReport        = "NOT_A_REPORT"       // INVALID_ARGUMENT
	ReasonTooLarge          = "TOO_LARGE"          // RESOURCE_EXHAUSTED
	ReasonOverloaded        = "OVERLOADED"         // RESOURCE_EXHAUSTED, with a RetryDelay
	ReasonInternal          = "INTERNAL"           // INTERNAL
)

// Error is a failed call or a failed document of a batch.
//
// Every error the Client returns for a call that reached (or tried to reach)
// the server is an *Error; use errors.As to get it. Arguments the Client
// refuses before any call (ExtractPages: no pages, a file that is no page
// image) are an *Error too: codes.InvalidArgument, no Reason.
type Error struct {
	// Code is the gRPC status code, e.g. codes.InvalidArgument.
	Code codes.Code
	// Reason is the ErrorInfo reason, e.g. ReasonUnsupportedFormat; empty
	// when the status carried no ErrorInfo (e.g. UNAVAILABLE from the
	// transport, or DEADLINE_EXCEEDED).
	Reason string
	// Message is the status message, meant for a person.
	Message string
	// Metadata is the ErrorInfo metadata, if any.
	Metadata map[string]string
	// RetryDelay is the google.rpc.RetryInfo delay (sent with OVERLOADED);
	// zero when the server gave none.
	RetryDelay time.Duration
	// Details holds every detail of the status as sent, e.g. a
	// *errdetails.BadRequest for bad request fields. Nil for batch errors,
	// which carry no details.
	Details []any
}

// Error returns "REASON: message", with the code's name standing in for a
// missing reason, the form the govreport command prints.
func (e *Error) Error() string {
	return e.ReasonOrCode() + ": " + e.Message
}

// ReasonOrCode is the ErrorInfo reason, or the status code's name in upper
// snake case (as in google.rpc.Code, e.g. "UNAVAILABLE") when there is none.
func (e *Error) ReasonOrCode() string {
	if e.Reason != "" {
		return e.Reason
	}
	return codeName(e.Code)
}

// GRPCStatus lets status.FromError and status.Code see the code and message.
func (e *Error) GRPCStatus() *status.Status {
	return status.New(e.Code, e.Message)
}

var codeNames = map[codes.Code]string{
	codes.OK: "OK", codes.Canceled: "CANCELLED", codes.Unknown: "UNKNOWN",
	codes.InvalidArgument: "INVALID_ARGUMENT", codes.DeadlineExceeded: "DEADLINE_EXCEEDED",
	codes.NotFound: "NOT_FOUND", codes.AlreadyExists: "ALREADY_EXISTS",
	codes.PermissionDenied: "PERMISSION_DENIED", codes.ResourceExhausted: "RESOURCE_EXHAUSTED",
	codes.FailedPrecondition: "FAILED_PRECONDITION", codes.Aborted: "ABORTED",
	codes.OutOfRange: "OUT_OF_RANGE", codes.Unimplemented: "UNIMPLEMENTED",
	codes.Internal: "INTERNAL", codes.Unavailable: "UNAVAILABLE", codes.DataLoss: "DATA_LOSS",
	codes.Unauthenticated: "UNAUTHENTICATED",
}

// codeName is the google.rpc.Code enum name of c ("INVALID_ARGUMENT"); Go's
// codes.Code.String() gives "InvalidArgument" instead.
func codeName(c codes.Code) string {
	if name, ok := codeNames[c]; ok {
		return name
	}
	return fmt.Sprintf("CODE_%d", uint32(c))
}

// asError turns an error from the generated stub into an *Error, reading the
// ErrorInfo and RetryInfo details from the status (grpc-go decodes the
// grpc-status-details-bin trailer into the status's details). Errors that
// are not gRPC statuses (a canceled or expired context seen before the call
// started) are mapped to the matching code.
func asError(err error) error {
	if err == nil {
		return nil
	}
	var already *Error
	if errors.As(err, &already) {
		return err
	}
	st, ok := status.FromError(err)
	if !ok {
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			st = status.New(codes.DeadlineExceeded, err.Error())
		case errors.Is(err, context.Canceled):
			st = status.New(codes.Canceled, err.Error())
		default:
			st = status.New(codes.Unknown, err.Error())
		}
	}
	e := &Error{Code: st.Code(), Message: st.Message()}
	for _, d := range st.Details() {
		e.Details = append(e.Details, d)
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			// Only our own domain's reason: a proxy in between may add its own.
			if e.Reason == "" && (d.GetDomain() == ErrorDomain || d.GetDomain() == "") {
				e.Reason, e.Metadata = d.GetReason(), d.GetMetadata()
			}
		case *errdetails.RetryInfo:
			e.RetryDelay = d.GetRetryDelay().AsDuration()
		}
	}
	return e
}

// batchError is the *Error of a BatchError: the same code and reason a
// unary call would have given.
func batchError(b *govreportv1.BatchError) *Error {
	return &Error{Code: codes.Code(b.GetCode()), Reason: b.GetReason(), Message: b.GetMessage()}
}
