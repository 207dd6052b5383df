package dev.govreport.client;

import dev.govreport.v1.Extraction;
import java.util.Objects;

/**
 * The outcome of one document of {@link GovreportClient#extractMany}: exactly one of {@code
 * extraction} and {@code error} is non-null.
 *
 * @param id the document's id: its path as given to {@code extractMany}
 * @param extraction what was read, or null when the document failed
 * @param error why the document failed, or null when it did not
 */
public record BatchResult(String id, Extraction extraction, GovreportException error) {

  public BatchResult {
    Objects.requireNonNull(id, "id");
    if ((extraction == null) == (error == null)) {
      throw new IllegalArgumentException("exactly one of extraction and error must be given");
    }
  }

  static BatchResult success(String id, Extraction extraction) {
    return new BatchResult(id, extraction, null);
  }

  static BatchResult failure(String id, GovreportException error) {
    return new BatchResult(id, null, error);
  }

  /** True when the document was extracted. */
  public boolean ok() {
    return error == null;
  }
}
