package govreport

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	govreportv1 "github.com/govreport/govreport/clients/go/gen/govreport/v1"
)

// ErrorDomain is the ErrorInfo domain of the service's errors.
const ErrorDomain = "govreport"

// The reasons of an Error: the names of govreportv1.ErrorReason without
// their ERROR_REASON_ prefix (proto/govreport/v1/errors.proto), each with
// the status code it comes with. A newer server may send a reason not
// listed here: treat it by its Code.
const (
	// The document.

	ReasonUnsupportedFormat = "UNSUPPORTED_FORMAT" // INVALID_ARGUMENT
	ReasonEmptyDocument     = "EMPTY_DOCUMENT"     // INVALID_ARGUMENT
	ReasonCorruptDocument   = "CORRUPT_DOCUMENT"   // INVALID_ARGUMENT
	ReasonEncryptedDocument = "ENCRYPTED_DOCUMENT" // INVALID_ARGUMENT
	ReasonUndecodableText   = "UNDECODABLE_TEXT"   // INVALID_ARGUMENT
	ReasonNotAReport        = "NOT_A_REPORT"       // INVALID_ARGUMENT
	ReasonInvalidField      = "INVALID_FIELD"      // INVALID_ARGUMENT, with a *errdetails.BadRequest

	// The server's limits: never worth retrying.

	ReasonTooLarge         = "TOO_LARGE"         // RESOURCE_EXHAUSTED
	ReasonTooManyPages     = "TOO_MANY_PAGES"    // RESOURCE_EXHAUSTED
	ReasonPageTooLarge     = "PAGE_TOO_LARGE"    // RESOURCE_EXHAUSTED
	ReasonArchiveTooLarge  = "ARCHIVE_TOO_LARGE" // RESOURCE_EXHAUSTED
	ReasonTooComplex       = "TOO_COMPLEX"       // RESOURCE_EXHAUSTED
	ReasonTimeLimit        = "TIME_LIMIT"        // RESOURCE_EXHAUSTED
	ReasonOverloaded       = "OVERLOADED"        // UNAVAILABLE, with a RetryDelay; retried
	ReasonWorkerFailed     = "WORKER_FAILED"     // UNAVAILABLE; retried
	ReasonUploadStalled    = "UPLOAD_STALLED"    // DEADLINE_EXCEEDED
	ReasonShuttingDown     = "SHUTTING_DOWN"     // UNAVAILABLE; retried
	ReasonUnauthenticated  = "UNAUTHENTICATED"   // UNAUTHENTICATED
	ReasonInternal         = "INTERNAL"          // INTERNAL
	ReasonDeadlineExceeded = "DEADLINE_EXCEEDED" // DEADLINE_EXCEEDED: errors.Is(err, context.DeadlineExceeded)
	ReasonCancelled        = "CANCELLED"         // CANCELLED: errors.Is(err, context.Canceled)

	// The caller's side: set by the client, never sent by a server.

	ReasonUnavailable = "UNAVAILABLE" // UNAVAILABLE: the server is out of reach; retried
	ReasonNotFound    = "NOT_FOUND"   // NOT_FOUND: a local file that does not exist; errors.Is(err, fs.ErrNotExist)
	ReasonUnreadable  = "UNREADABLE"  // INVALID_ARGUMENT: a local file that cannot be read

	// ReasonEncrypted is the old name of ReasonEncryptedDocument.
	//
	// Deprecated: use ReasonEncryptedDocument.
	ReasonEncrypted = ReasonEncryptedDocument
)

// Reasons are the reason constants above, in the order of
// govreportv1.ErrorReason.
var Reasons = []string{
	ReasonUnsupportedFormat, ReasonEmptyDocument, ReasonCorruptDocument, ReasonEncryptedDocument,
	ReasonUndecodableText, ReasonNotAReport, ReasonInvalidField,
	ReasonTooLarge, ReasonTooManyPages, ReasonPageTooLarge, ReasonArchiveTooLarge, ReasonTooComplex,
	ReasonTimeLimit,
	ReasonOverloaded, ReasonWorkerFailed, ReasonUploadStalled, ReasonShuttingDown, ReasonUnauthenticated,
	ReasonInternal, ReasonDeadlineExceeded, ReasonCancelled,
	ReasonUnavailable, ReasonNotFound, ReasonUnreadable,
}

const reasonPrefix = "ERROR_REASON_"

// ReasonName is the reason string of an ErrorReason value, e.g.
// "OVERLOADED" for govreportv1.ErrorReason_ERROR_REASON_OVERLOADED.
func ReasonName(r govreportv1.ErrorReason) string {
	return strings.TrimPrefix(r.String(), reasonPrefix)
}

// Error is a failed call or a failed document of a batch.
//
// Every error the Client returns is an *Error; use errors.As to get it.
// errors.Is sees through it: context.DeadlineExceeded for Reason
// DEADLINE_EXCEEDED (the call's deadline, or a batch document's time
// limit), context.Canceled for CANCELLED, and for a local file the
// *fs.PathError (fs.ErrNotExist for NOT_FOUND).
type Error struct {
	// Code is the gRPC status code, e.g. codes.InvalidArgument.
	Code codes.Code
	// Reason is never empty: the ErrorInfo reason (one of the Reason
	// constants, e.g. ReasonUnsupportedFormat); for a status without
	// ErrorInfo (made by gRPC itself) the name of its code, e.g.
	// "UNAVAILABLE", "DEADLINE_EXCEEDED"; NOT_FOUND or UNREADABLE for a
	// local file.
	Reason string
	// Message is the status message, meant for a person.
	Message string
	// Metadata is the ErrorInfo metadata (request_id, filename, limit…),
	// if any; for a local file, its "filename".
	Metadata map[string]string
	// RetryDelay is the google.rpc.RetryInfo delay (sent with OVERLOADED);
	// zero when the server gave none.
	RetryDelay time.Duration
	// Details holds every detail of the status as sent, e.g. a
	// *errdetails.BadRequest for bad request fields.
	Details []any

	// cause is what Unwrap returns besides the context errors: the
	// *fs.PathError of a local file, the context error of a call that never
	// started.
	cause error
}

// Error returns "REASON: message", the form the command prints.
func (e *Error) Error() string {
	return e.ReasonOrCode() + ": " + e.Message
}

// ReasonOrCode is the Reason, or the status code's name in upper snake case
// (as in google.rpc.Code, e.g. "UNAVAILABLE") when there is none (an Error
// made by hand).
func (e *Error) ReasonOrCode() string {
	if e.Reason != "" {
		return e.Reason
	}
	return codeName(e.Code)
}

// ErrorReason is the Reason as a govreportv1.ErrorReason, or
// ERROR_REASON_UNSPECIFIED for a reason this client does not know.
func (e *Error) ErrorReason() govreportv1.ErrorReason {
	return govreportv1.ErrorReason(govreportv1.ErrorReason_value[reasonPrefix+e.Reason])
}

// Unwrap gives context.DeadlineExceeded for a deadline (Reason
// DEADLINE_EXCEEDED), context.Canceled for a cancelled call (CANCELLED),
// and the *fs.PathError of a local file that could not be read.
func (e *Error) Unwrap() error {
	switch {
	case e.cause != nil:
		return e.cause
	case e.Code == codes.DeadlineExceeded && e.Reason == ReasonDeadlineExceeded:
		return context.DeadlineExceeded
	case e.Code == codes.Canceled && e.Reason == ReasonCancelled:
		return context.Canceled
	}
	return nil
}

// Retryable says whether sending the same document again may succeed: the
// UNAVAILABLE reasons (which the client's channel already retried, up to 5
// attempts in all). Wait RetryDelay first when there is one.
func (e *Error) Retryable() bool {
	return e.Code == codes.Unavailable
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

// asError turns an error from the generated stub into an *Error. Errors
// that are not gRPC statuses (a canceled or expired context seen before the
// call started) are mapped to the matching code, and kept as the cause.
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
		var e *Error
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			e = fromStatus(status.New(codes.DeadlineExceeded, err.Error()))
		case errors.Is(err, context.Canceled):
			e = fromStatus(status.New(codes.Canceled, err.Error()))
		default:
			e = fromStatus(status.New(codes.Unknown, err.Error()))
		}
		e.cause = err
		return e
	}
	return fromStatus(st)
}

// fromStatus reads the ErrorInfo and RetryInfo details of a status (grpc-go
// decodes the grpc-status-details-bin trailer into them).
func fromStatus(st *status.Status) *Error {
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
	if e.Reason == "" {
		e.Reason = codeName(e.Code)
	}
	return e
}

// batchError is the *Error of a BatchError: the same a unary call would have
// given, from its full status when the server sent one (older servers: the
// code, reason and message only).
func batchError(b *govreportv1.BatchError) *Error {
	if s := b.GetStatus(); s != nil {
		e := fromStatus(status.FromProto(s))
		if e.Reason == codeName(e.Code) && b.GetReason() != "" {
			e.Reason = b.GetReason() // a status whose ErrorInfo did not come through
		}
		return e
	}
	e := &Error{Code: codes.Code(b.GetCode()), Reason: b.GetReason(), Message: b.GetMessage()}
	if e.Reason == "" {
		e.Reason = codeName(e.Code)
	}
	return e
}

// fileError is the *Error of a local file that cannot be read: NOT_FOUND
// ("no such file") when it does not exist, else UNREADABLE. document is the
// name of the document it was to be sent as: when the file is not the
// document itself (a page of a page set), the message starts with its path.
func fileError(path, document string, err error) *Error {
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		path = pathErr.Path
	}
	e := &Error{Code: codes.InvalidArgument, Reason: ReasonUnreadable, Message: err.Error(),
		Metadata: map[string]string{"filename": path}, cause: err}
	if pathErr != nil {
		e.Message = pathErr.Err.Error()
	}
	if errors.Is(err, fs.ErrNotExist) {
		e.Code, e.Reason, e.Message = codes.NotFound, ReasonNotFound, "no such file"
	}
	if path != document {
		e.Message = path + ": " + e.Message
	}
	return e
}
