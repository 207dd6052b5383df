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

  /** The repository root: set by the POM, else found from the working directory (clients/java). */
  static final Path REPO =
      Path.of(System.getProperty("govreport.repo", "../..")).toAbsolutePath().normalize();

  private final Process process;
  private final String address;

  private PythonServer(Process process, String address) {
    this.process = process;
    this.address = address;
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
    // Keep reading stdout so that the server never blocks on a full pipe.
    Thread drain = new Thread(() -> {
      try {
        stdout.transferTo(java.io.Writer.nullWriter());
      } catch (IOException e) {
        // The server has exited.
      }
    }, "govreport-server-stdout");
    drain.setDaemon(true);
    drain.start();
    return new PythonServer(process, m.group(1));
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
