package dev.govreport.client;

import com.google.protobuf.ByteString;
import dev.govreport.v1.ExtractBatchRequest;
import dev.govreport.v1.ExtractBatchResponse;
import dev.govreport.v1.ExtractOptions;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Function;

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

  private final Function<Path, ExtractOptions> optionsOf;
  private final BatchResults results;
  /** The stream's target, to name it when it is out of reach. */
  private final String target;
  private ClientCallStreamObserver<ExtractBatchRequest> requests;
  private boolean halfClosed;

  BatchStream(List<Path> files, Function<Path, ExtractOptions> optionsOf, BatchResults results, String target) {
    this.unsent = new ArrayDeque<>(files);
    this.optionsOf = optionsOf;
    this.results = results;
    this.target = target;
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
      PageSet.Document document;
      try {
        document = PageSet.read(file);
      } catch (GovreportException e) {
        results.add(BatchResult.failure(id, e));
        continue;
      }
      awaiting.add(id);
      requests.onNext(
          ExtractBatchRequest.newBuilder()
              .setId(id)
              .setFilename(document.filename())
              .setContent(ByteString.copyFrom(document.content()))
              .setOptions(optionsOf.apply(file))
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
    failRemaining(GovreportException.from(t, target));
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
      // A file that is not there fails as such, whatever became of the stream.
      results.add(BatchResult.failure(file.toString(), Files.exists(file)
          ? error
          : GovreportException.fromLocal(new NoSuchFileException(file.toString()), null)));
    }
    unsent.clear();
  }
}
