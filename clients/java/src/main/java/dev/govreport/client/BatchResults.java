package dev.govreport.client;

import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * The results of {@link GovreportClient#extractMany}, one per document, in the order they come
 * back (not the order of the files): iterate over it (once), or {@link #stream()} it. Getting the
 * next result waits until it arrives.
 *
 * <pre>{@code
 * try (BatchResults results = client.extractMany(files)) {
 *   for (BatchResult r : results) { ... }
 * }
 * }</pre>
 *
 * <p>Close it to cancel the streams when you stop reading before the end.
 */
public final class BatchResults implements Iterable<BatchResult>, AutoCloseable {
  private final BlockingQueue<BatchResult> arrived = new LinkedBlockingQueue<>();
  private final List<ClientCallStreamObserver<?>> calls = new ArrayList<>();
  private final int total;
  private int delivered;
  private boolean iterated;

  BatchResults(int total) {
    this.total = total;
  }

  /** Called from the streams' threads, once per document. */
  void add(BatchResult result) {
    arrived.add(result);
  }

  synchronized void track(ClientCallStreamObserver<?> call) {
    calls.add(call);
  }

  /**
   * The results as they arrive; {@code next()} waits for the next one. One pass only: a second
   * call throws {@link IllegalStateException}.
   */
  @Override
  public synchronized Iterator<BatchResult> iterator() {
    if (iterated) {
      throw new IllegalStateException("the results of a batch can be iterated over once");
    }
    iterated = true;
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return BatchResults.this.hasNext();
      }

      @Override
      public BatchResult next() {
        return BatchResults.this.next();
      }
    };
  }

  /** The results as a sequential stream, as they arrive; closing the stream closes this. */
  public Stream<BatchResult> stream() {
    return StreamSupport.stream(spliterator(), false).onClose(this::close);
  }

  /** The number of documents, and so of results. */
  public int size() {
    return total;
  }

  private boolean hasNext() {
    return delivered < total;
  }

  private BatchResult next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    try {
      BatchResult result = arrived.take();
      delivered++;
      return result;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      close();
      throw new GovreportException(Status.Code.CANCELLED, "", "interrupted", e);
    }
  }

  /** Cancels the streams still running; results not read yet are dropped. */
  @Override
  public synchronized void close() {
    for (ClientCallStreamObserver<?> call : calls) {
      // A no-op for a call that has already finished.
      call.cancel("the caller closed the batch", null);
    }
    calls.clear();
  }
}
