package dev.govreport.client;

import com.google.protobuf.ByteString;
import dev.govreport.v1.ExtractBatchRequest;
import dev.govreport.v1.ExtractBatchResponse;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * One ExtractBatch stream: sends its files one at a time as the transport is ready for more (so a
 * large batch is never all in memory) and hands every document's outcome to {@link BatchResults},
 * exactly once, even when the whole stream fails.
 *
 * <p>gRPC runs a call's callbacks one at a time; the methods are synchronized anyway so that this
 * holds whatever the executor.
 */
final class BatchStream implements ClientResponseObserver<ExtractBatchRequest, ExtractBatchResponse> {
  private final Deque<Path> unsent;
  /** Ids sent and not answered yet; a list, as the same file may be given twice. */
  private final List<String> awaiting = new ArrayList<>();

  private final BatchResults results;
  private ClientCallStreamObserver<ExtractBatchRequest> requests;
  private boolean halfClosed;

  BatchStream(List<Path> files, BatchResults results) {
    this.unsent = new ArrayDeque<>(files);
    this.results = results;
  }

  @Override
  public synchronized void beforeStart(ClientCallStreamObserver<ExtractBatchRequest> requests) {
    this.requests = requests;
    results.track(requests);
    requests.setOnReadyHandler(this::sendWhileReady);
  }

  private synchronized void sendWhileReady() {
    while (requests.isReady() && !unsent.isEmpty()) {
      Path file = unsent.poll();
      String id = file.toString();
      byte[] content;
      try {
        content = Files.readAllBytes(file);
      } catch (IOException e) {
        results.add(BatchResult.failure(id, readFailure(e)));
        continue;
      }
      awaiting.add(id);
      requests.onNext(
          ExtractBatchRequest.newBuilder()
              .setId(id)
              .setFilename(GovreportClient.filenameOf(file))
              .setContent(ByteString.copyFrom(content))
              .build());
    }
    if (unsent.isEmpty() && !halfClosed) {
      halfClosed = true;
      requests.onCompleted();
    }
  }

  @Override
  public synchronized void onNext(ExtractBatchResponse response) {
    // An id we are not waiting for would make a document count twice: ignore it.
    if (!awaiting.remove(response.getId())) {
      return;
    }
    results.add(
        response.hasExtraction()
            ? BatchResult.success(response.getId(), response.getExtraction())
            : BatchResult.failure(response.getId(), GovreportException.from(response.getError())));
  }

  @Override
  public synchronized void onError(Throwable t) {
    failRemaining(GovreportException.from(t));
  }

  @Override
  public synchronized void onCompleted() {
    failRemaining(
        new GovreportException(
            Status.Code.INTERNAL,
            "",
            "the server ended the batch without a result for this document",
            null));
  }

  /** Every document of this stream not answered yet gets the stream's error. */
  private void failRemaining(GovreportException error) {
    for (String id : awaiting) {
      results.add(BatchResult.failure(id, error));
    }
    awaiting.clear();
    for (Path file : unsent) {
      results.add(BatchResult.failure(file.toString(), error));
    }
    unsent.clear();
  }

  /** A file the client could not read: it never reached the server. */
  static GovreportException readFailure(IOException e) {
    String message = e instanceof NoSuchFileException ? "no such file" : String.valueOf(e.getMessage());
    return new GovreportException(Status.Code.UNKNOWN, GovreportException.IO_ERROR, message, e);
  }
}
