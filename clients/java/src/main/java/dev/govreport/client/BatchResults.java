package dev.govreport.client;

import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The results of {@link GovreportClient#extractMany}, one per document, in the order they come
 * back (not the order of the files). {@link #next()} blocks until the next result arrives.
 *
 * <p>Close it to cancel the streams when you stop reading before the end.
 */
public final class BatchResults implements Iterator<BatchResult>, AutoCloseable {
  private final BlockingQueue<BatchResult> arrived = new LinkedBlockingQueue<>();
  private final List<ClientCallStreamObserver<?>> calls = new ArrayList<>();
  private final int total;
  private int delivered;

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

  @Override
  public boolean hasNext() {
    return delivered < total;
  }

  @Override
  public BatchResult next() {
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
