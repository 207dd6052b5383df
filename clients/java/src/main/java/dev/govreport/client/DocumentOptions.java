package dev.govreport.client;

import dev.govreport.v1.ExtractOptions;
import dev.govreport.v1.TemplateVersion;
import java.time.Duration;
import java.util.Objects;

/**
 * How to read a document, per call: immutable, made with {@link #builder()}.
 *
 * <pre>{@code
 * DocumentOptions options = DocumentOptions.builder()
 *     .filedYear(2024)                      // rule R9: the report's own year must agree
 *     .timeLimit(Duration.ofMinutes(2))     // this document's deadline
 *     .build();
 * Extraction e = client.extractFile(Path.of("report.pdf"), options);
 * }</pre>
 *
 * <p>{@link Builder#timeLimit} is each document's deadline, over which it fails with {@code
 * DEADLINE_EXCEEDED}: a document sent alone gets it as its call's deadline, a document of a batch
 * as {@code ExtractOptions.time_limit} (the stream itself has none). Unset, the client's {@link
 * GovreportClient.Builder#timeout} applies.
 */
public final class DocumentOptions {
  private static final DocumentOptions DEFAULTS = builder().build();

  private final int filedYear;
  private final TemplateVersion templateVersion;
  private final boolean skipValidation;
  private final Duration timeLimit;

  private DocumentOptions(Builder b) {
    this.filedYear = b.filedYear;
    this.templateVersion = b.templateVersion;
    this.skipValidation = b.skipValidation;
    this.timeLimit = b.timeLimit;
  }

  /** No options: detect the template, validate, the client's timeout. */
  public static DocumentOptions defaults() {
    return DEFAULTS;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding these options, to change some. */
  public Builder toBuilder() {
    return builder()
        .filedYear(filedYear)
        .templateVersion(templateVersion)
        .skipValidation(skipValidation)
        .timeLimit(timeLimit);
  }

  /** The year the report is filed under (rule R9); 0 when unknown. */
  public int filedYear() {
    return filedYear;
  }

  /** The template to read the tables as; {@code UNSPECIFIED}: detect it. */
  public TemplateVersion templateVersion() {
    return templateVersion;
  }

  public boolean skipValidation() {
    return skipValidation;
  }

  /** The document's deadline; null: the client's timeout. */
  public Duration timeLimit() {
    return timeLimit;
  }

  /** The time limit, else {@code fallback}. */
  Duration timeLimitOr(Duration fallback) {
    return timeLimit != null ? timeLimit : fallback;
  }

  /** The request's options; {@code timeLimit} (may be null) goes into {@code time_limit}. */
  ExtractOptions toProto(Duration timeLimit) {
    ExtractOptions.Builder proto =
        ExtractOptions.newBuilder()
            .setFiledYear(filedYear)
            .setTemplateVersion(templateVersion)
            .setSkipValidation(skipValidation);
    if (timeLimit != null) {
      proto.setTimeLimit(
          com.google.protobuf.Duration.newBuilder()
              .setSeconds(timeLimit.getSeconds())
              .setNanos(timeLimit.getNano()));
    }
    return proto.build();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DocumentOptions other
        && filedYear == other.filedYear
        && templateVersion == other.templateVersion
        && skipValidation == other.skipValidation
        && Objects.equals(timeLimit, other.timeLimit);
  }

  @Override
  public int hashCode() {
    return Objects.hash(filedYear, templateVersion, skipValidation, timeLimit);
  }

  @Override
  public String toString() {
    return "DocumentOptions{filedYear=" + filedYear + ", templateVersion=" + templateVersion
        + ", skipValidation=" + skipValidation + ", timeLimit=" + timeLimit + "}";
  }

  /** Builds {@link DocumentOptions}; every option is optional. */
  public static final class Builder {
    private int filedYear;
    private TemplateVersion templateVersion = TemplateVersion.TEMPLATE_VERSION_UNSPECIFIED;
    private boolean skipValidation;
    private Duration timeLimit;

    private Builder() {}

    /** The year the report is filed under, if known (rule R9 checks the report's year agrees). */
    public Builder filedYear(int year) {
      if (year < 0) {
        throw new IllegalArgumentException("filedYear must not be negative: " + year);
      }
      this.filedYear = year;
      return this;
    }

    /** Reads the tables as this template version instead of detecting it. */
    public Builder templateVersion(TemplateVersion version) {
      this.templateVersion = Objects.requireNonNull(version, "version");
      return this;
    }

    /** Returns the report without validating it. */
    public Builder skipValidation(boolean skip) {
      this.skipValidation = skip;
      return this;
    }

    /**
     * The document's deadline (null: the client's timeout). Alone, its call's deadline; in a
     * batch, {@code ExtractOptions.time_limit}.
     */
    public Builder timeLimit(Duration limit) {
      if (limit != null && (limit.isNegative() || limit.isZero())) {
        throw new IllegalArgumentException("timeLimit must be positive: " + limit);
      }
      this.timeLimit = limit;
      return this;
    }

    public DocumentOptions build() {
      return new DocumentOptions(this);
    }
  }
}
