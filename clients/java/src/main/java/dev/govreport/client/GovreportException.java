package dev.govreport.client;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import dev.govreport.v1.BatchError;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;

/**
 * A call, or one document of a batch, that failed.
 *
 * <p>Carries the gRPC status code, the {@code google.rpc.ErrorInfo} reason the server gave (e.g.
 * {@code UNSUPPORTED_FORMAT}, {@code NOT_A_REPORT}; see the comments of {@code service.proto}) and
 * its message. Transport failures (server down, deadline exceeded) have no reason: {@link
 * #reasonOrCode()} then gives the code's name.
 */
public final class GovreportException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The ErrorInfo domain of the service's own errors. */
  public static final String DOMAIN = "govreport";

  /** The reason of a document the client itself could not read (never sent by the server). */
  public static final String IO_ERROR = "IO_ERROR";

  private final Status.Code code;
  private final String reason;

  public GovreportException(Status.Code code, String reason, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
    this.reason = reason;
  }

  /** The gRPC status code, e.g. {@code INVALID_ARGUMENT}. */
  public Status.Code code() {
    return code;
  }

  /** The ErrorInfo reason, e.g. {@code "UNSUPPORTED_FORMAT"}; empty when the error has none. */
  public String reason() {
    return reason;
  }

  /** The reason, or the status code's name when there is no reason. */
  public String reasonOrCode() {
    return reason.isEmpty() ? code.name() : reason;
  }

  @Override
  public String toString() {
    return code + " " + reasonOrCode() + ": " + getMessage();
  }

  /** Reads the code, ErrorInfo reason and message of a failed call. */
  public static GovreportException from(Throwable t) {
    if (t instanceof GovreportException e) {
      return e;
    }
    Status status = Status.fromThrowable(t);
    String message = status.getDescription() == null ? "" : status.getDescription();
    String reason = "";
    // The rich error model: a google.rpc.Status in the grpc-status-details-bin trailer.
    com.google.rpc.Status details = StatusProto.fromThrowable(t);
    if (details != null) {
      if (!details.getMessage().isEmpty()) {
        message = details.getMessage();
      }
      reason = errorInfoReason(details);
    }
    // Transport failures say only "io exception": the cause says which (e.g. connection refused).
    if (details == null && status.getCause() != null && status.getCause().getMessage() != null) {
      message = message.isEmpty() ? status.getCause().getMessage() : message + ": " + status.getCause().getMessage();
    }
    return new GovreportException(status.getCode(), reason, message, t);
  }

  /** A failed document of a batch: the same code and reason a unary call gives. */
  static GovreportException from(BatchError error) {
    return new GovreportException(
        Status.fromCodeValue(error.getCode()).getCode(),
        error.getReason(),
        error.getMessage(),
        null);
  }

  private static String errorInfoReason(com.google.rpc.Status details) {
    for (Any any : details.getDetailsList()) {
      if (!any.is(ErrorInfo.class)) {
        continue;
      }
      try {
        ErrorInfo info = any.unpack(ErrorInfo.class);
        // Another domain's reason (a proxy's, say) would be misleading; prefer ours.
        if (info.getDomain().equals(DOMAIN) || info.getDomain().isEmpty()) {
          return info.getReason();
        }
      } catch (InvalidProtocolBufferException e) {
        // A malformed detail: the code and message still say what happened.
      }
    }
    return "";
  }
}
