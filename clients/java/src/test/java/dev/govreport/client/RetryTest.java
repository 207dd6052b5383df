package dev.govreport.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.govreport.v1.DocumentFormat;
import dev.govreport.v1.Extraction;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The service config's retry policy, against the real server: a worker killed in the middle of a
 * call makes the server answer WORKER_FAILED (UNAVAILABLE), and the client's channel sends the
 * document again, to the replacement worker, without the caller seeing anything.
 */
class RetryTest {
  /** Three page images of one report (see GovreportClientTest). */
  private static final List<Path> PAGES = Stream.of("第1页.png", "第2页.jpg", "第3页.png")
      .map(name -> Path.of("src", "test", "resources", "pages", name).toAbsolutePath())
      .toList();

  @Test
  void aCallWhoseWorkerIsKilledIsRetriedAndSucceeds() throws Exception {
    try (PythonServer server = PythonServer.start("--workers", "1", "--metrics-port", "0", "--log-level", "WARNING");
        GovreportClient client = GovreportClient.newBuilder()
            .target(server.address())
            .timeout(Duration.ofMinutes(5))
            .build()) {
      // Twelve pages of OCR: several seconds of one worker's time.
      List<Path> twelve = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        twelve.addAll(PAGES);
      }
      List<Long> workers = waitForWorkers(server);
      double failuresBefore = server.metric("govreport_worker_failures_total");

      long idle = cpuTicks(workers.get(0));
      CompletableFuture<Extraction> call = client.extractPagesAsync(twelve, DocumentOptions.defaults());
      // Killed while it reads the pages, not before: it has used CPU time since it was idle.
      for (int i = 0; i < 1200 && cpuTicks(workers.get(0)) < idle + 20; i++) {
        assertFalse(call.isDone(), "the call was over before the worker could be killed");
        Thread.sleep(50);
      }
      assertFalse(call.isDone(), "the call was over before the worker could be killed");
      for (long pid : workers) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly); // SIGKILL
      }

      Extraction extraction = call.get();

      // A worker really died under the call: the server counted it.
      double failures = 0;
      for (int i = 0; i < 150 && failures <= failuresBefore; i++) {
        failures = server.metric("govreport_worker_failures_total");
        Thread.sleep(100);
      }
      assertTrue(failures > failuresBefore, "no worker failure was counted: " + failures);
      List<Long> replacements = waitForWorkers(server);
      assertTrue(Collections.disjoint(workers, replacements), workers + " still run: " + replacements);
      // And the retried call read the whole document.
      assertEquals(DocumentFormat.DOCUMENT_FORMAT_PAGE_SET, extraction.getDocument().getFormat());
      assertEquals(12, extraction.getDocument().getPageCount());
      assertEquals("示例县卫生健康局", extraction.getReport().getMetadata().getAgency());
      assertEquals(2024, extraction.getReport().getMetadata().getReportYear());
    }
  }

  /** CPU time process {@code pid} (all its threads) has used, in clock ticks. */
  private static long cpuTicks(long pid) throws java.io.IOException {
    String stat = java.nio.file.Files.readString(Path.of("/proc/" + pid + "/stat"));
    // The fields after the command name, which is in parentheses and may hold spaces.
    String[] fields = stat.substring(stat.lastIndexOf(')') + 1).trim().split("\\s+");
    return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
  }

  private static List<Long> waitForWorkers(PythonServer server) throws InterruptedException {
    for (int i = 0; i < 300; i++) {
      List<Long> workers = server.workers();
      if (!workers.isEmpty()) {
        return workers;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("the server started no worker");
  }
}
