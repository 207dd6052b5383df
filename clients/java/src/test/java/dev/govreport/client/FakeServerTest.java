package dev.govreport.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.JsonFormat;
import dev.govreport.v1.AnnualReport;
import com.google.protobuf.Any;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import dev.govreport.v1.BatchError;
import dev.govreport.v1.DocumentInfo;
import dev.govreport.v1.ErrorReason;
import dev.govreport.v1.ExtractBatchRequest;
import dev.govreport.v1.ExtractBatchResponse;
import dev.govreport.v1.ExtractRequest;
import dev.govreport.v1.ExtractResponse;
import dev.govreport.v1.Extraction;
import dev.govreport.v1.GetTemplateRequest;
import dev.govreport.v1.GetTemplateResponse;
import dev.govreport.v1.ReportExtractorGrpc;
import dev.govreport.v1.ReportMetadata;
import dev.govreport.v1.TemplateVersion;
import dev.govreport.v1.ValidationReport;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.TlsServerCredentials;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the real server cannot show: how calls are spread over several targets, that the token goes
 * with every call, deadlines, and mutual TLS. Two stand-in servers on loopback ports.
 */
class FakeServerTest {
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final List<Server> servers = new ArrayList<>();

  @AfterEach
  void stopServers() throws InterruptedException {
    for (Server server : servers) {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void aBatchIsDealtOutOverTheTargetsWithTheToken(@TempDir Path dir) throws IOException {
    FakeExtractor a = new FakeExtractor("a");
    FakeExtractor b = new FakeExtractor("b");
    List<Path> files = files(dir, 4);
    Map<String, String> servedBy = new HashMap<>();
    try (GovreportClient client = GovreportClient.newBuilder()
            .targets(List.of(address(a, InsecureServerCredentials.create()), address(b, InsecureServerCredentials.create())))
            .bearerToken("t0ken")
            .build();
        BatchResults results = client.extractMany(files)) {
      results.forEach(r -> servedBy.put(r.id(), r.extraction().getReport().getMetadata().getAgency()));
    }
    assertEquals(List.of(files.get(0).toString(), files.get(2).toString()), a.batchIds);
    assertEquals(List.of(files.get(1).toString(), files.get(3).toString()), b.batchIds);
    assertEquals(Map.of(files.get(0).toString(), "a", files.get(1).toString(), "b",
        files.get(2).toString(), "a", files.get(3).toString(), "b"), servedBy);
    assertEquals(List.of("Bearer t0ken"), a.authorizations);
    assertEquals(List.of("Bearer t0ken"), b.authorizations);
  }

  @Test
  void unaryCallsTakeTheTargetsInTurn() throws IOException {
    FakeExtractor a = new FakeExtractor("a");
    FakeExtractor b = new FakeExtractor("b");
    try (GovreportClient client = GovreportClient.newBuilder()
        .target(address(a, InsecureServerCredentials.create()))
        .target(address(b, InsecureServerCredentials.create()))
        .build()) {
      for (int i = 0; i < 4; i++) {
        client.extract(new byte[] {'x'}, "x.txt");
      }
    }
    assertEquals(2, a.authorizations.size());
    assertEquals(2, b.authorizations.size());
    assertEquals(List.of("", ""), a.authorizations, "no token configured, none sent");
  }

  @Test
  void theCommandPrintsInTheOrderGivenWhateverTheOrderOfResults(@TempDir Path dir) throws IOException {
    // The stand-ins answer a batch in reverse order.
    String a = address(new FakeExtractor("a"), InsecureServerCredentials.create());
    String b = address(new FakeExtractor("b"), InsecureServerCredentials.create());
    List<Path> files = files(dir, 5);
    List<String> args = new ArrayList<>(List.of("extract", "--server", a + "," + b));
    files.forEach(f -> args.add(f.toString()));
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    int status = ExtractCommand.run(args.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), Map.of());

    assertEquals(ExtractCommand.EXIT_OK, status);
    List<String> printed = new ArrayList<>();
    for (String line : out.toString(StandardCharsets.UTF_8).lines().toList()) {
      Extraction.Builder e = Extraction.newBuilder();
      JsonFormat.parser().merge(line, e);
      printed.add(e.getDocument().getFilename());
    }
    assertEquals(files.stream().map(f -> f.getFileName().toString()).toList(), printed);
  }

  @Test
  void aCallPastItsDeadlineFails() throws IOException {
    try (GovreportClient client = GovreportClient.newBuilder()
        .target(address(new FakeExtractor("a"), InsecureServerCredentials.create()))
        .timeout(Duration.ofMillis(200))
        .build()) {
      GovreportException e = assertThrows(
          GovreportException.class, () -> client.getTemplate(TemplateVersion.TEMPLATE_VERSION_2021));
      assertEquals(Status.Code.DEADLINE_EXCEEDED, e.code());
      assertEquals("DEADLINE_EXCEEDED", e.reason());
      assertEquals(ErrorReason.ERROR_REASON_DEADLINE_EXCEEDED, e.errorReason());
    }
  }

  @Test
  void mutualTls(@TempDir Path dir) throws Exception {
    Pem server = Pem.selfSigned(dir, "server");
    Pem client = Pem.selfSigned(dir, "client");
    ServerCredentials credentials = TlsServerCredentials.newBuilder()
        .keyManager(server.cert.toFile(), server.key.toFile())
        .trustManager(client.cert.toFile())
        .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE)
        .build();
    String target = address(new FakeExtractor("tls"), credentials);

    try (GovreportClient withCert = GovreportClient.newBuilder()
        .target(target)
        .tlsCaFile(server.cert)
        .clientCertificate(client.cert, client.key)
        .build()) {
      assertEquals("tls", withCert.extract(new byte[] {'x'}, "x.txt").getDocument().getFilename());
    }
    try (GovreportClient withoutCert = GovreportClient.newBuilder().target(target).tlsCaFile(server.cert).build()) {
      GovreportException e = assertThrows(GovreportException.class, () -> withoutCert.extract(new byte[] {'x'}, "x.txt"));
      assertEquals(Status.Code.UNAVAILABLE, e.code());
    }
  }

  @Test
  void theServiceConfigRetriesUnavailable() throws IOException {
    FakeExtractor a = new FakeExtractor("a");
    a.failures.add(Status.UNAVAILABLE.withDescription("worker died").asRuntimeException());
    a.failures.add(Status.UNAVAILABLE.withDescription("worker died again").asRuntimeException());
    try (GovreportClient client = GovreportClient.newBuilder()
        .target(address(a, InsecureServerCredentials.create()))
        .build()) {
      assertEquals("a", client.extract(new byte[] {'x'}, "x.txt").getDocument().getFilename());
    }
    assertEquals(3, a.extractRequests.size(), "two UNAVAILABLE answers, then the extraction");
  }

  @Test
  void otherCodesAreNotRetriedAndCarryTheirErrorInfo() throws IOException {
    FakeExtractor a = new FakeExtractor("a");
    a.failures.add(richError(Code.RESOURCE_EXHAUSTED, "x.txt is over the limit", "TOO_LARGE",
        Map.of("limit", "67108864", "filename", "x.txt", "request_id", "r-1"), null));
    a.failures.add(richError(Code.FAILED_PRECONDITION, "new", "SOMETHING_NEWER", Map.of(), null));
    try (GovreportClient client = GovreportClient.newBuilder()
        .target(address(a, InsecureServerCredentials.create()))
        .build()) {
      GovreportException e = assertThrows(GovreportException.class, () -> client.extract(new byte[] {'x'}, "x.txt"));
      assertEquals(1, a.extractRequests.size());
      assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.code());
      assertEquals("TOO_LARGE", e.reason());
      assertEquals(ErrorReason.ERROR_REASON_TOO_LARGE, e.errorReason());
      assertEquals("x.txt is over the limit", e.getMessage());
      assertEquals(Map.of("limit", "67108864", "filename", "x.txt", "request_id", "r-1"), e.metadata());
      assertTrue(e.retryAfter().isEmpty());

      GovreportException newer = assertThrows(GovreportException.class, () -> client.extract(new byte[] {'x'}, "x.txt"));
      assertEquals("SOMETHING_NEWER", newer.reason());
      assertEquals(ErrorReason.UNRECOGNIZED, newer.errorReason());
    }
  }

  @Test
  void aBatchErrorIsTheSameErrorAsAUnaryCallGives(@TempDir Path dir) throws IOException {
    FakeExtractor a = new FakeExtractor("a");
    com.google.rpc.Status overloaded = com.google.rpc.Status.newBuilder()
        .setCode(Code.UNAVAILABLE_VALUE)
        .setMessage("the server is busy: send it again in 3 s")
        .addDetails(Any.pack(ErrorInfo.newBuilder().setReason("OVERLOADED").setDomain("govreport")
            .putMetadata("request_id", "r-2").build()))
        .addDetails(Any.pack(RetryInfo.newBuilder()
            .setRetryDelay(com.google.protobuf.Duration.newBuilder().setSeconds(3)).build()))
        .build();
    a.batchError = BatchError.newBuilder().setCode(Code.UNAVAILABLE_VALUE).setReason("OVERLOADED")
        .setMessage("the server is busy").setStatus(overloaded).build();
    try (GovreportClient client = GovreportClient.newBuilder().target(address(a, InsecureServerCredentials.create())).build();
        BatchResults results = client.extractMany(files(dir, 1))) {
      List<BatchResult> all = results.stream().toList();
      assertEquals(1, all.size());
      GovreportException e = all.get(0).error();
      assertEquals(Status.Code.UNAVAILABLE, e.code());
      assertEquals("OVERLOADED", e.reason());
      assertEquals(ErrorReason.ERROR_REASON_OVERLOADED, e.errorReason());
      assertEquals("the server is busy: send it again in 3 s", e.getMessage());
      assertEquals(Map.of("request_id", "r-2"), e.metadata());
      assertEquals(java.util.Optional.of(Duration.ofSeconds(3)), e.retryAfter());
    }
  }

  @Test
  void anUnreachableServerIsNamedWithTheCause() {
    try (GovreportClient client = GovreportClient.newBuilder().target("127.0.0.1:1").build()) {
      GovreportException e = assertThrows(GovreportException.class, () -> client.extract(new byte[] {'x'}, "x.txt"));
      assertEquals(Status.Code.UNAVAILABLE, e.code());
      assertEquals("UNAVAILABLE", e.reason());
      assertEquals(ErrorReason.ERROR_REASON_UNAVAILABLE, e.errorReason());
      assertEquals("127.0.0.1:1 is unreachable: Connection refused", e.getMessage());
    }
  }

  @Test
  void extractAsyncSendsTheOptionsAndCompletes() throws Exception {
    FakeExtractor a = new FakeExtractor("a");
    try (GovreportClient client = GovreportClient.newBuilder()
        .target(address(a, InsecureServerCredentials.create()))
        .timeout(Duration.ofSeconds(30))
        .build()) {
      DocumentOptions options = DocumentOptions.builder()
          .filedYear(2024)
          .templateVersion(TemplateVersion.TEMPLATE_VERSION_2021)
          .skipValidation(true)
          .timeLimit(Duration.ofSeconds(7))
          .build();
      assertEquals("a", client.extractAsync(new byte[] {'x'}, "x.txt", options).get().getDocument().getFilename());
    }
    ExtractRequest request = a.extractRequests.get(0);
    assertEquals(2024, request.getOptions().getFiledYear());
    assertEquals(TemplateVersion.TEMPLATE_VERSION_2021, request.getOptions().getTemplateVersion());
    assertTrue(request.getOptions().getSkipValidation());
    // Sent alone, the time limit is the call's deadline.
    long left = a.deadlines.get(0).timeRemaining(TimeUnit.MILLISECONDS);
    assertTrue(left > 0 && left <= 7000, "deadline in " + left + " ms");
  }

  @Test
  void theCommandsTimeoutIsEachDocumentsDeadline(@TempDir Path dir) throws IOException {
    FakeExtractor a = new FakeExtractor("a");
    String target = address(a, InsecureServerCredentials.create());
    List<Path> files = files(dir, 2);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();

    // Two files: one batch stream without a deadline, each document's time_limit 7 s.
    String[] batch = {"extract", "--timeout", "7", "--filed-year", "2023", files.get(0).toString(), files.get(1).toString()};
    assertEquals(ExtractCommand.EXIT_OK, ExtractCommand.run(batch, utf8(out), utf8(err), Map.of("GOVREPORT_SERVER", target)),
        err::toString);
    assertEquals(2, a.batchRequests.size());
    for (ExtractBatchRequest request : a.batchRequests) {
      assertEquals(com.google.protobuf.Duration.newBuilder().setSeconds(7).build(), request.getOptions().getTimeLimit());
      assertEquals(2023, request.getOptions().getFiledYear());
    }
    assertEquals(Collections.singletonList(null), a.batchDeadlines, "the stream has no deadline");

    // One file: the call's deadline.
    String[] one = {"extract", "--server", target, "--timeout", "7", files.get(0).toString()};
    assertEquals(ExtractCommand.EXIT_OK, ExtractCommand.run(one, utf8(out), utf8(err), Map.of()), err::toString);
    assertFalse(a.extractRequests.get(0).getOptions().hasTimeLimit());
    long left = a.deadlines.get(0).timeRemaining(TimeUnit.MILLISECONDS);
    assertTrue(left > 0 && left <= 7000, "deadline in " + left + " ms");
  }

  @Test
  void theCommandsExitStatusAndStderr(@TempDir Path dir) throws IOException {
    FakeExtractor a = new FakeExtractor("a");
    a.errorFindings = 1;
    String target = address(a, InsecureServerCredentials.create());
    List<Path> files = files(dir, 1);
    Path missing = dir.resolve("missing.docx");

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    // Extracted, with findings of error severity: 1.
    assertEquals(ExtractCommand.EXIT_FINDINGS,
        ExtractCommand.run(new String[] {"extract", "--server", target, files.get(0).toString()}, utf8(out), utf8(err), Map.of()));
    assertEquals("", err.toString(StandardCharsets.UTF_8));
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("\"errorCount\":1"), out::toString);

    // A file that failed: 2, and PROG: FILE: REASON: message.
    err.reset();
    assertEquals(ExtractCommand.EXIT_FAILED, ExtractCommand.run(
        new String[] {"extract", "--server", target, files.get(0).toString(), missing.toString()}, utf8(out), utf8(err), Map.of()));
    assertEquals("govreport: " + missing + ": NOT_FOUND: no such file\n", err.toString(StandardCharsets.UTF_8));

    // Nothing listens on port 1: each file says so, but a missing one is still missing.
    err.reset();
    assertEquals(ExtractCommand.EXIT_FAILED, ExtractCommand.run(
        new String[] {"extract", "--server", "127.0.0.1:1", files.get(0).toString(), missing.toString()},
        utf8(out), utf8(err), Map.of()));
    assertEquals("govreport: " + files.get(0) + ": UNAVAILABLE: 127.0.0.1:1 is unreachable: Connection refused\n"
            + "govreport: " + missing + ": NOT_FOUND: no such file\n",
        err.toString(StandardCharsets.UTF_8));

    // Usage errors: 2.
    for (String[] args : List.of(
        new String[] {"extract"},
        new String[] {"extract", "--nope", "x", "a.pdf"},
        new String[] {"extract", "--timeout", "soon", "a.pdf"},
        new String[] {"extract", "--tls-cert", "c.pem", "a.pdf"},
        new String[] {"convert", "a.pdf"})) {
      err.reset();
      assertEquals(ExtractCommand.EXIT_FAILED, ExtractCommand.run(args, utf8(out), utf8(err), Map.of()), List.of(args)::toString);
      assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("govreport: "), err::toString);
      assertFalse(err.toString(StandardCharsets.UTF_8).contains("needs a value"), err::toString);
      assertTrue(err.toString(StandardCharsets.UTF_8).contains("usage: govreport extract"), err::toString);
    }
  }

  @Test
  void theCommandsMutualTlsFlags(@TempDir Path dir) throws Exception {
    // The server's certificate names govreport.test only: reached at 127.0.0.1, the command must
    // be told the name.
    Pem server = Pem.selfSigned(dir, "server", "dns:govreport.test");
    Pem client = Pem.selfSigned(dir, "client", "dns:client.test");
    ServerCredentials credentials = TlsServerCredentials.newBuilder()
        .keyManager(server.cert.toFile(), server.key.toFile())
        .trustManager(client.cert.toFile())
        .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE)
        .build();
    String target = address(new FakeExtractor("tls"), credentials);
    Path file = files(dir, 1).get(0);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();

    String[] args = {"extract", "--server", target, "--tls-ca", server.cert.toString(), "--tls-cert", client.cert.toString(),
        "--tls-key", client.key.toString(), "--tls-server-name", "govreport.test", file.toString()};
    assertEquals(ExtractCommand.EXIT_OK, ExtractCommand.run(args, utf8(out), utf8(err), Map.of()), err::toString);
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("\"filename\":\"tls\""), out::toString);

    // Without the client certificate, or without the name: refused.
    err.reset();
    String[] noCert = {"extract", "--server", target, "--tls-ca", server.cert.toString(),
        "--tls-server-name", "govreport.test", file.toString()};
    assertEquals(ExtractCommand.EXIT_FAILED, ExtractCommand.run(noCert, utf8(out), utf8(err), Map.of()));
    assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("govreport: " + file + ": UNAVAILABLE: "), err::toString);
    err.reset();
    String[] noName = {"extract", "--server", target, "--tls-ca", server.cert.toString(), "--tls-cert", client.cert.toString(),
        "--tls-key", client.key.toString(), file.toString()};
    assertEquals(ExtractCommand.EXIT_FAILED, ExtractCommand.run(noName, utf8(out), utf8(err), Map.of()));
    assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("govreport: " + file + ": UNAVAILABLE: " + target + " is unreachable: "),
        err::toString);

    // A TLS file that is not there.
    err.reset();
    Path nowhere = dir.resolve("nowhere.pem");
    String[] missingCa = {"extract", "--server", target, "--tls-ca", nowhere.toString(), file.toString()};
    assertEquals(ExtractCommand.EXIT_FAILED, ExtractCommand.run(missingCa, utf8(out), utf8(err), Map.of()));
    assertEquals("govreport: NOT_FOUND: " + nowhere + ": no such file\n", err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void theCommandPrintsTextUnescaped(@TempDir Path dir) throws IOException {
    String target = address(new FakeExtractor("a"), InsecureServerCredentials.create());
    Path odd = Files.writeString(dir.resolve("a<b>&'=c 中.txt"), "x");
    Path plain = Files.writeString(dir.resolve("plain.txt"), "x");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    String[] args = {"extract", "--server", target, odd.toString(), plain.toString()};
    assertEquals(ExtractCommand.EXIT_OK, ExtractCommand.run(args, utf8(out), utf8(new ByteArrayOutputStream()), Map.of()));
    String first = out.toString(StandardCharsets.UTF_8).lines().findFirst().orElseThrow();
    assertTrue(first.contains("\"filename\":\"a<b>&'=c 中.txt\""), first);
    // A backslash before an escape is the text's own: left alone.
    assertEquals("{\"t\":\"\\\\u003c <\\\\&\"}", ExtractCommand.unescapeHtml("{\"t\":\"\\\\u003c \\u003c\\\\\\u0026\"}"));
  }

  // ---------------------------------------------------------------- helpers

  private String address(FakeExtractor service, ServerCredentials credentials) throws IOException {
    Server server = Grpc.newServerBuilderForPort(0, credentials)
        .addService(ServerInterceptors.intercept(service, service.recordAuthorization()))
        .build()
        .start();
    servers.add(server);
    return "127.0.0.1:" + server.getPort();
  }

  private static PrintStream utf8(ByteArrayOutputStream buffer) {
    return new PrintStream(buffer, true, StandardCharsets.UTF_8);
  }

  /** A status with an ErrorInfo (domain govreport) and, if given, a RetryInfo. */
  private static io.grpc.StatusRuntimeException richError(
      Code code, String message, String reason, Map<String, String> metadata, Duration retryAfter) {
    com.google.rpc.Status.Builder status = com.google.rpc.Status.newBuilder()
        .setCode(code.getNumber())
        .setMessage(message)
        .addDetails(Any.pack(ErrorInfo.newBuilder().setReason(reason).setDomain("govreport").putAllMetadata(metadata).build()));
    if (retryAfter != null) {
      status.addDetails(Any.pack(RetryInfo.newBuilder()
          .setRetryDelay(com.google.protobuf.Duration.newBuilder().setSeconds(retryAfter.getSeconds())).build()));
    }
    return StatusProto.toStatusRuntimeException(status.build());
  }

  private static List<Path> files(Path dir, int count) throws IOException {
    List<Path> files = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      files.add(Files.writeString(dir.resolve("doc" + i + ".txt"), "document " + i));
    }
    return files;
  }

  /** Records each call's authorization header; extracts nothing, and never answers GetTemplate. */
  private static final class FakeExtractor extends ReportExtractorGrpc.ReportExtractorImplBase {
    final String name;
    final List<String> authorizations = Collections.synchronizedList(new ArrayList<>());
    final List<String> batchIds = Collections.synchronizedList(new ArrayList<>());
    final List<ExtractRequest> extractRequests = Collections.synchronizedList(new ArrayList<>());
    /** Each Extract call's deadline (null: none). */
    final List<Deadline> deadlines = Collections.synchronizedList(new ArrayList<>());
    final List<ExtractBatchRequest> batchRequests = Collections.synchronizedList(new ArrayList<>());
    /** Each ExtractBatch stream's deadline (null: none). */
    final List<Deadline> batchDeadlines = Collections.synchronizedList(new ArrayList<>());
    /** Errors the next Extract calls end with, one each, before they succeed again. */
    final java.util.Queue<RuntimeException> failures = new java.util.concurrent.ConcurrentLinkedQueue<>();
    /** What every batch document ends with, when set. */
    volatile BatchError batchError;
    /** The error_count of every extraction's validation. */
    volatile int errorFindings;

    FakeExtractor(String name) {
      this.name = name;
    }

    ServerInterceptor recordAuthorization() {
      return new ServerInterceptor() {
        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(
            ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
          String value = headers.get(AUTHORIZATION);
          authorizations.add(value == null ? "" : value);
          return next.startCall(call, headers);
        }
      };
    }

    @Override
    public void extract(ExtractRequest request, StreamObserver<ExtractResponse> responses) {
      extractRequests.add(request);
      deadlines.add(Context.current().getDeadline());
      RuntimeException failure = failures.poll();
      if (failure != null) {
        responses.onError(failure);
        return;
      }
      responses.onNext(ExtractResponse.newBuilder()
          .setExtraction(Extraction.newBuilder()
              .setDocument(DocumentInfo.newBuilder().setFilename(name))
              .setValidation(ValidationReport.newBuilder().setErrorCount(errorFindings)))
          .build());
      responses.onCompleted();
    }

    @Override
    public StreamObserver<ExtractBatchRequest> extractBatch(StreamObserver<ExtractBatchResponse> responses) {
      List<ExtractBatchRequest> received = new ArrayList<>();
      batchDeadlines.add(Context.current().getDeadline());
      return new StreamObserver<>() {
        @Override
        public void onNext(ExtractBatchRequest request) {
          received.add(request);
          batchRequests.add(request);
          batchIds.add(request.getId());
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {
          for (int i = received.size() - 1; i >= 0; i--) {
            ExtractBatchRequest request = received.get(i);
            Extraction extraction = Extraction.newBuilder()
                .setReport(AnnualReport.newBuilder().setMetadata(ReportMetadata.newBuilder().setAgency(name)))
                .setDocument(DocumentInfo.newBuilder().setFilename(request.getFilename()))
                .build();
            responses.onNext(batchError != null
                ? ExtractBatchResponse.newBuilder().setId(request.getId()).setError(batchError).build()
                : ExtractBatchResponse.newBuilder().setId(request.getId()).setExtraction(extraction).build());
          }
          responses.onCompleted();
        }
      };
    }

    @Override
    public void getTemplate(GetTemplateRequest request, StreamObserver<GetTemplateResponse> responses) {
      // Never answers: the client's deadline has to end the call.
    }
  }

  /** A self-signed certificate and its key as PEM files, made with the JDK's keytool. */
  private record Pem(Path cert, Path key) {
    static Pem selfSigned(Path dir, String name) throws Exception {
      return selfSigned(dir, name, "dns:localhost,ip:127.0.0.1");
    }

    static Pem selfSigned(Path dir, String name, String san) throws Exception {
      Path store = dir.resolve(name + ".p12");
      char[] password = "changeit".toCharArray();
      Process keytool = new ProcessBuilder(
              Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
              "-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1",
              "-dname", "CN=localhost", "-ext", "SAN=" + san, "-validity", "2",
              "-keystore", store.toString(), "-storetype", "PKCS12",
              "-storepass", "changeit", "-keypass", "changeit")
          .redirectErrorStream(true)
          .start();
      String output = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertEquals(0, keytool.waitFor(), output);

      KeyStore keyStore = KeyStore.getInstance("PKCS12");
      try (InputStream in = Files.newInputStream(store)) {
        keyStore.load(in, password);
      }
      Path cert = Files.writeString(dir.resolve(name + ".crt"),
          pem("CERTIFICATE", keyStore.getCertificate(name).getEncoded()));
      // PrivateKey.getEncoded() is PKCS#8, the form gRPC reads.
      Path key = Files.writeString(dir.resolve(name + ".key"),
          pem("PRIVATE KEY", keyStore.getKey(name, password).getEncoded()));
      return new Pem(cert, key);
    }

    private static String pem(String type, byte[] der) {
      return "-----BEGIN " + type + "-----\n"
          + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
          + "\n-----END " + type + "-----\n";
    }
  }
}
