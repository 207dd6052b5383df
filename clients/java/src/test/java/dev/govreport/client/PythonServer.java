package dev.govreport.client;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The real govreport server, started on a free loopback port for the tests. */
final class PythonServer implements AutoCloseable {
  private static final Pattern LISTENING = Pattern.compile("govreport listening on (\\S+)");
  private static final Pattern METRICS = Pattern.compile("govreport metrics on (\\S+)");

  /** The repository root: set by the POM, else found from the working directory (clients/java). */
  static final Path REPO =
      Path.of(System.getProperty("govreport.repo", "../..")).toAbsolutePath().normalize();

  private final Process process;
  private final String address;
  /** Every line the server printed after the first (e.g. the metrics address). */
  private final List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();

  private PythonServer(Process process, String address) {
    this.process = process;
    this.address = address;
  }

  /**
   * The pids of the server's worker processes: its children started by multiprocessing's spawn
   * (the resource tracker left out).
   */
  List<Long> workers() {
    return process.children()
        .filter(child -> cmdline(child.pid()).contains("spawn_main"))
        .map(ProcessHandle::pid)
        .sorted()
        .toList();
  }

  private static String cmdline(long pid) {
    try {
      return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")), StandardCharsets.UTF_8)
          .replace('\0', ' ');
    } catch (IOException e) {
      return "";
    }
  }

  /** The host:port of its metrics (started with --metrics-port), waiting for the line. */
  String metricsAddress() throws InterruptedException {
    for (int i = 0; i < 300; i++) {
      for (String line : lines) {
        Matcher m = METRICS.matcher(line);
        if (m.find()) {
          return m.group(1);
        }
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("the server printed no metrics address: " + lines);
  }

  /** A sample's value from /metrics, e.g. {@code govreport_worker_failures_total}; 0 if absent. */
  double metric(String sample) throws IOException, InterruptedException {
    java.net.http.HttpResponse<String> response = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://" + metricsAddress() + "/metrics")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    for (String line : response.body().split("\n")) {
      int space = line.lastIndexOf(' ');
      if (space > 0 && line.substring(0, space).equals(sample)) {
        return Double.parseDouble(line.substring(space + 1));
      }
    }
    return 0;
  }

  /** The host:port it listens on. */
  String address() {
    return address;
  }

  static PythonServer start(String... extraArgs) throws IOException, InterruptedException {
    String fromEnv = System.getenv("GOVREPORT_BIN");
    Path bin = fromEnv != null && !fromEnv.isEmpty() ? Path.of(fromEnv) : REPO.resolve(".venv/bin/govreport");
    if (!Files.isExecutable(bin)) {
      fail("the govreport server is not at " + bin
          + ": run `make -C " + REPO + " setup`, or set GOVREPORT_BIN to the `govreport` executable");
    }
    List<String> command = new ArrayList<>(List.of(bin.toString(), "serve", "--host", "127.0.0.1", "--port", "0"));
    command.addAll(List.of(extraArgs));
    Path log = Path.of("target", "govreport-server.log");
    Files.createDirectories(log.getParent());
    Process process =
        new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start();

    BufferedReader stdout =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<String> firstLine = CompletableFuture.supplyAsync(() -> {
      try {
        return stdout.readLine();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    String line;
    try {
      line = firstLine.get(60, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      process.destroyForcibly();
      throw new IllegalStateException("the server did not start; see " + log.toAbsolutePath(), e);
    }
    Matcher m = line == null ? null : LISTENING.matcher(line);
    if (m == null || !m.find()) {
      process.destroyForcibly();
      throw new IllegalStateException("unexpected first line from the server: " + line + "; see " + log.toAbsolutePath());
    }
    PythonServer server = new PythonServer(process, m.group(1));
    // Keep reading stdout so that the server never blocks on a full pipe.
    Thread drain = new Thread(() -> {
      try {
        for (String next; (next = stdout.readLine()) != null; ) {
          server.lines.add(next);
        }
      } catch (IOException e) {
        // The server has exited.
      }
    }, "govreport-server-stdout");
    drain.setDaemon(true);
    drain.start();
    return server;
  }

  /** SIGTERM, as the server expects; SIGKILL if it has not exited after its grace period. */
  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
    }
  }
}
