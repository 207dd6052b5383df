package dev.govreport.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.util.JsonFormat;
import dev.govreport.v1.AnnualReport;
import dev.govreport.v1.DocumentInfo;
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
      results.forEachRemaining(r -> servedBy.put(r.id(), r.extraction().getReport().getMetadata().getAgency()));
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
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), null);

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
      assertEquals("DEADLINE_EXCEEDED", e.reasonOrCode());
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

  // ---------------------------------------------------------------- helpers

  private String address(FakeExtractor service, ServerCredentials credentials) throws IOException {
    Server server = Grpc.newServerBuilderForPort(0, credentials)
        .addService(ServerInterceptors.intercept(service, service.recordAuthorization()))
        .build()
        .start();
    servers.add(server);
    return "127.0.0.1:" + server.getPort();
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
      responses.onNext(ExtractResponse.newBuilder()
          .setExtraction(Extraction.newBuilder().setDocument(DocumentInfo.newBuilder().setFilename(name)))
          .build());
      responses.onCompleted();
    }

    @Override
    public StreamObserver<ExtractBatchRequest> extractBatch(StreamObserver<ExtractBatchResponse> responses) {
      List<ExtractBatchRequest> received = new ArrayList<>();
      return new StreamObserver<>() {
        @Override
        public void onNext(ExtractBatchRequest request) {
          received.add(request);
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
            responses.onNext(ExtractBatchResponse.newBuilder().setId(request.getId()).setExtraction(extraction).build());
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
      Path store = dir.resolve(name + ".p12");
      char[] password = "changeit".toCharArray();
      Process keytool = new ProcessBuilder(
              Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
              "-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1",
              "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2",
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
