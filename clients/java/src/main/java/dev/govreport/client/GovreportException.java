package dev.govreport.client;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import dev.govreport.v1.BatchError;
import dev.govreport.v1.ErrorReason;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * A call, one document of a batch, or a local file that failed. Unchecked, as every failure of
 * this client.
 *
 * <ul>
 *   <li>{@link #code()}: the gRPC status code;
 *   <li>{@link #reason()}: a name of {@link ErrorReason} without its {@code ERROR_REASON_} prefix,
 *       e.g. {@code "OVERLOADED"}: the {@code google.rpc.ErrorInfo} reason the server gave; for a
 *       status gRPC made itself (no ErrorInfo) the name of its code ({@code "UNAVAILABLE"},
 *       {@code "DEADLINE_EXCEEDED"}, …); {@code "NOT_FOUND"} for a local file that does not
 *       exist and {@code "UNREADABLE"} for one that cannot be read. Never empty;
 *   <li>{@link #errorReason()}: the same as the generated enum ({@code UNRECOGNIZED} for a name
 *       this client does not know, e.g. a newer server's);
 *   <li>{@link #getMessage()}, {@link #metadata()} (ErrorInfo's: {@code request_id}, {@code
 *       filename}, {@code limit}…) and {@link #retryAfter()} (the {@code google.rpc.RetryInfo}
 *       delay, when there is one).
 * </ul>
 */
public final class GovreportException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The ErrorInfo domain of the service's own errors. */
  public static final String DOMAIN = "govreport";

  private static final String PREFIX = "ERROR_REASON_";

  private final Status.Code code;
  private final String reason;
  private final transient Map<String, String> metadata;
  private final Duration retryAfter;

  /**
   * An error with no metadata and no retry delay; {@code reason} null or empty means the code's
   * name.
   */
  public GovreportException(Status.Code code, String reason, String message, Throwable cause) {
    this(code, reason, message, Map.of(), null, cause);
  }

  /** An error of one of {@link ErrorReason}'s reasons. */
  public GovreportException(Status.Code code, ErrorReason reason, String message, Throwable cause) {
    this(code, nameOf(reason), message, Map.of(), null, cause);
  }

  private GovreportException(
      Status.Code code,
      String reason,
      String message,
      Map<String, String> metadata,
      Duration retryAfter,
      Throwable cause) {
    super(message, cause);
    this.code = code;
    this.reason = reason == null || reason.isEmpty() ? code.name() : reason;
    this.metadata = Map.copyOf(metadata);
    this.retryAfter = retryAfter;
  }

  /** The gRPC status code, e.g. {@code INVALID_ARGUMENT}. */
  public Status.Code code() {
    return code;
  }

  /**
   * The reason, e.g. {@code "UNSUPPORTED_FORMAT"}: the ErrorInfo reason, else the status code's
   * name; {@code "NOT_FOUND"} or {@code "UNREADABLE"} for a local file. Never empty.
   */
  public String reason() {
    return reason;
  }

  /**
   * {@link #reason()} as the generated enum: {@code ERROR_REASON_<reason>}, or {@code
   * UNRECOGNIZED} for a name this client does not know (treat it by its {@link #code()}).
   */
  public ErrorReason errorReason() {
    return reasonOf(reason);
  }

  /** The ErrorInfo metadata ({@code request_id}, {@code filename}, {@code limit}…); may be empty. */
  public Map<String, String> metadata() {
    return metadata == null ? Map.of() : metadata;
  }

  /** How long the server asked to wait before sending the document again (RetryInfo). */
  public Optional<Duration> retryAfter() {
    return Optional.ofNullable(retryAfter);
  }

  @Override
  public String toString() {
    return code + " " + reason + ": " + getMessage();
  }

  /** The name of a reason without its prefix: {@code ERROR_REASON_OVERLOADED} is "OVERLOADED". */
  public static String nameOf(ErrorReason reason) {
    String name = reason.name();
    return name.startsWith(PREFIX) ? name.substring(PREFIX.length()) : name;
  }

  /** The enum value of a reason name; {@code UNRECOGNIZED} when there is none. */
  public static ErrorReason reasonOf(String name) {
    if (name == null || name.isEmpty()) {
      return ErrorReason.ERROR_REASON_UNSPECIFIED;
    }
    try {
      ErrorReason value = ErrorReason.valueOf(PREFIX + name);
      return value == ErrorReason.ERROR_REASON_UNSPECIFIED ? ErrorReason.UNRECOGNIZED : value;
    } catch (IllegalArgumentException e) {
      return ErrorReason.UNRECOGNIZED;
    }
  }

  /** Reads the code, ErrorInfo, RetryInfo and message of a failed call. */
  public static GovreportException from(Throwable t) {
    return from(t, null);
  }

  /**
   * As {@link #from(Throwable)}; a status gRPC made itself for a server out of reach ({@code
   * UNAVAILABLE} without ErrorInfo) says "{@code target} is unreachable: cause".
   */
  static GovreportException from(Throwable t, String target) {
    if (t instanceof GovreportException e) {
      return e;
    }
    if (t instanceof java.util.concurrent.CompletionException && t.getCause() != null) {
      return from(t.getCause(), target);
    }
    if (t instanceof java.io.UncheckedIOException u) {
      return fromLocal(u.getCause(), null);
    }
    Status status = Status.fromThrowable(t);
    // The rich error model: a google.rpc.Status in the grpc-status-details-bin trailer.
    com.google.rpc.Status details = StatusProto.fromThrowable(t);
    if (details != null && hasErrorInfo(details)) {
      return fromStatus(status.getCode(), details, t);
    }
    String message = status.getDescription() == null ? "" : status.getDescription();
    if (details != null && !details.getMessage().isEmpty()) {
      message = details.getMessage();
    }
    if (status.getCode() == Status.Code.UNAVAILABLE && target != null) {
      message = target + " is unreachable: " + causeOf(status, message);
    } else if (status.getCause() != null && status.getCause().getMessage() != null) {
      // Transport failures say only "io exception": the cause says which.
      message = message.isEmpty() ? causeOf(status, message) : message + ": " + causeOf(status, message);
    }
    return new GovreportException(status.getCode(), "", message, Map.of(), retryDelay(details), t);
  }

  /** A failed document of a batch: the same error a unary call gives. */
  static GovreportException from(BatchError error) {
    if (error.hasStatus()) {
      return fromStatus(Status.fromCodeValue(error.getStatus().getCode()).getCode(), error.getStatus(), null);
    }
    // An older server: code, reason and message only.
    return new GovreportException(
        Status.fromCodeValue(error.getCode()).getCode(), error.getReason(), error.getMessage(), null);
  }

  /**
   * A local file that could not be read: {@code NOT_FOUND} "no such file", or {@code UNREADABLE}
   * (a folder, no permission); the message is prefixed with {@code name} when given.
   */
  static GovreportException fromLocal(IOException e, String name) {
    String prefix = name == null ? "" : name + ": ";
    if (e instanceof NoSuchFileException) {
      return new GovreportException(
          Status.Code.NOT_FOUND, ErrorReason.ERROR_REASON_NOT_FOUND, prefix + "no such file", e);
    }
    String message = e instanceof AccessDeniedException ? "permission denied" : String.valueOf(e.getMessage());
    return new GovreportException(
        Status.Code.INVALID_ARGUMENT, ErrorReason.ERROR_REASON_UNREADABLE, prefix + message, e);
  }

  private static GovreportException fromStatus(Status.Code code, com.google.rpc.Status details, Throwable t) {
    String reason = "";
    Map<String, String> metadata = Map.of();
    for (Any any : details.getDetailsList()) {
      if (!any.is(ErrorInfo.class)) {
        continue;
      }
      try {
        ErrorInfo info = any.unpack(ErrorInfo.class);
        // Another domain's reason (a proxy's, say) would be misleading; prefer ours.
        if (info.getDomain().equals(DOMAIN) || info.getDomain().isEmpty() || reason.isEmpty()) {
          reason = info.getReason();
          metadata = info.getMetadataMap();
        }
      } catch (InvalidProtocolBufferException e) {
        // A malformed detail: the code and message still say what happened.
      }
    }
    return new GovreportException(code, reason, details.getMessage(), metadata, retryDelay(details), t);
  }

  private static boolean hasErrorInfo(com.google.rpc.Status details) {
    return details.getDetailsList().stream().anyMatch(any -> any.is(ErrorInfo.class));
  }

  private static Duration retryDelay(com.google.rpc.Status details) {
    if (details == null) {
      return null;
    }
    for (Any any : details.getDetailsList()) {
      if (any.is(RetryInfo.class)) {
        try {
          com.google.protobuf.Duration d = any.unpack(RetryInfo.class).getRetryDelay();
          return Duration.ofSeconds(d.getSeconds(), d.getNanos());
        } catch (InvalidProtocolBufferException e) {
          return null;
        }
      }
    }
    return null;
  }

  /**
   * What went wrong underneath, e.g. "Connection refused" (without the address netty appends), or
   * the status's description when there is no cause.
   */
  private static String causeOf(Status status, String description) {
    Throwable cause = status.getCause();
    String text = null;
    while (cause != null) {
      if (cause.getMessage() != null && !cause.getMessage().isEmpty()) {
        text = cause.getMessage();
      }
      if (cause.getCause() == null || cause.getCause() == cause) {
        break;
      }
      cause = cause.getCause();
    }
    if (text == null) {
      return description.isEmpty() ? "no connection" : description;
    }
    // netty's native transport: "finishConnect(..) failed with error(-111): Connection refused".
    text = text.replaceFirst("^.*failed with error\\(-?\\d+\\): ", "");
    int address = text.indexOf(": /");
    return address > 0 ? text.substring(0, address) : text;
  }
}
