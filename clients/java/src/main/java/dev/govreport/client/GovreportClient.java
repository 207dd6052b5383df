package dev.govreport.client;

import com.google.protobuf.ByteString;
import dev.govreport.v1.AnnualReport;
import dev.govreport.v1.ExtractOptions;
import dev.govreport.v1.ExtractRequest;
import dev.govreport.v1.ExtractUploadRequest;
import dev.govreport.v1.ExtractUploadResponse;
import dev.govreport.v1.Extraction;
import dev.govreport.v1.GetTemplateRequest;
import dev.govreport.v1.ReportExtractorGrpc;
import dev.govreport.v1.TemplateDefinition;
import dev.govreport.v1.TemplateVersion;
import dev.govreport.v1.UploadHeader;
import dev.govreport.v1.ValidateRequest;
import dev.govreport.v1.ValidationReport;
import io.grpc.ChannelCredentials;
import io.grpc.ClientInterceptor;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.MetadataUtils;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A client of the govreport {@code ReportExtractor} service.
 *
 * <pre>{@code
 * try (GovreportClient client = GovreportClient.newBuilder()
 *     .target("localhost:50051")
 *     .timeout(Duration.ofMinutes(5))
 *     .build()) {
 *   Extraction e = client.extractFile(Path.of("report.pdf"));
 * }
 * }</pre>
 *
 * <p>With several targets, each call goes to the next one in turn and a batch is split across them,
 * one stream per target. A single {@code dns:///name:port} target is balanced over the name's
 * addresses by the {@code round_robin} policy. Failed calls throw {@link GovreportException}.
 *
 * <p>Thread-safe: share one client and close it when done.
 */
public final class GovreportClient implements AutoCloseable {
  /** Documents up to this size go in one Extract call; larger ones through ExtractUpload. */
  public static final int UNARY_LIMIT_BYTES = 4 << 20;

  /** The size of the ExtractUpload chunks, as the service expects. */
  public static final int CHUNK_BYTES = 1 << 20;

  /** The file name {@link #extractPages} sends a page set under. */
  public static final String PAGES_FILENAME = PageSet.FILENAME;

  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final List<ManagedChannel> channels;
  private final List<ReportExtractorGrpc.ReportExtractorBlockingStub> blockingStubs;
  private final List<ReportExtractorGrpc.ReportExtractorStub> asyncStubs;
  private final Duration timeout;
  private final AtomicInteger nextTarget = new AtomicInteger();

  private GovreportClient(List<ManagedChannel> channels, Duration timeout) {
    this.channels = channels;
    this.timeout = timeout;
    this.blockingStubs = channels.stream().map(ReportExtractorGrpc::newBlockingStub).toList();
    this.asyncStubs = channels.stream().map(ReportExtractorGrpc::newStub).toList();
  }

  public static Builder newBuilder() {
    return new Builder();
  }

  /** Extracts a document read from a file; the file name goes along for messages. */
  public Extraction extractFile(Path file) throws IOException {
    return extractFile(file, ExtractOptions.getDefaultInstance());
  }

  /** As {@link #extractFile(Path)}, with options (filed year, template version, no validation). */
  public Extraction extractFile(Path file, ExtractOptions options) throws IOException {
    long size = Files.size(file);
    if (size <= UNARY_LIMIT_BYTES) {
      return extract(Files.readAllBytes(file), filenameOf(file), options);
    }
    // Streamed from the file, so a large document is never all in memory.
    try (InputStream in = Files.newInputStream(file)) {
      return upload(in, size, filenameOf(file), options);
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  /**
   * Extracts page images (one file a page: scans, phone photos) as ONE report, the pages in the
   * order given whatever the files are called. They are sent as a ZIP archive named {@value
   * #PAGES_FILENAME} (through ExtractUpload above 4 MiB) whose members, stored, are {@code
   * 0001-<name>}, {@code 0002-<name>}, …; the server reads it as {@code DOCUMENT_FORMAT_PAGE_SET}.
   *
   * @throws GovreportException {@code INVALID_ARGUMENT} (no reason) before any call, naming the
   *     file, for no pages or a file that is not a .png, .jpg, .jpeg, .tif, .tiff, .bmp or .webp image
   *     by its name (in any case); otherwise as {@link #extract(byte[], String)}
   * @throws IOException a page that cannot be read, as {@link #extractFile(Path)}
   */
  public Extraction extractPages(List<Path> pages) throws IOException {
    return extractPages(pages, ExtractOptions.getDefaultInstance());
  }

  /** As {@link #extractPages(List)}, with options. */
  public Extraction extractPages(List<Path> pages, ExtractOptions options) throws IOException {
    return extract(PageSet.zip(pages), PAGES_FILENAME, options);
  }

  /** Extracts a document from its bytes; {@code filename} is for messages only. */
  public Extraction extract(byte[] content, String filename) {
    return extract(content, filename, ExtractOptions.getDefaultInstance());
  }

  /** As {@link #extract(byte[], String)}, with options. */
  public Extraction extract(byte[] content, String filename, ExtractOptions options) {
    if (content.length > UNARY_LIMIT_BYTES) {
      return upload(new ByteArrayInputStream(content), content.length, filename, options);
    }
    ExtractRequest request =
        ExtractRequest.newBuilder()
            .setContent(ByteString.copyFrom(content))
            .setFilename(filename)
            .setOptions(options)
            .build();
    try {
      return withDeadline(blockingStub()).extract(request).getExtraction();
    } catch (StatusRuntimeException e) {
      throw GovreportException.from(e);
    }
  }

  /**
   * Extracts many documents over ExtractBatch streams, one per target, the files dealt out in turn.
   * Each result's id is the file's path as given; results come as soon as they are ready, in no
   * particular order, and a failed document does not stop the others.
   *
   * <p>The deadline, if any, applies to each stream as a whole: the per-call timeout times the
   * number of documents on that stream.
   */
  public BatchResults extractMany(List<Path> files) {
    BatchResults results = new BatchResults(files.size());
    int streams = Math.min(asyncStubs.size(), files.size());
    for (int s = 0; s < streams; s++) {
      List<Path> share = new ArrayList<>();
      for (int i = s; i < files.size(); i += streams) {
        share.add(files.get(i));
      }
      ReportExtractorGrpc.ReportExtractorStub stub = asyncStubs.get(s);
      if (timeout != null) {
        stub = stub.withDeadlineAfter(timeout.multipliedBy(share.size()).toNanos(), TimeUnit.NANOSECONDS);
      }
      stub.extractBatch(new BatchStream(share, results));
    }
    return results;
  }

  /** Validates a report; {@code previousYear} (may be null) enables rule R7. */
  public ValidationReport validate(AnnualReport report, AnnualReport previousYear) {
    ValidateRequest.Builder request = ValidateRequest.newBuilder().setReport(report);
    if (previousYear != null) {
      request.setPreviousYearReport(previousYear);
    }
    try {
      return withDeadline(blockingStub()).validate(request.build()).getValidation();
    } catch (StatusRuntimeException e) {
      throw GovreportException.from(e);
    }
  }

  /** The labels and structure of a template version (UNSPECIFIED means 2021). */
  public TemplateDefinition getTemplate(TemplateVersion version) {
    GetTemplateRequest request = GetTemplateRequest.newBuilder().setVersion(version).build();
    try {
      return withDeadline(blockingStub()).getTemplate(request).getTemplate();
    } catch (StatusRuntimeException e) {
      throw GovreportException.from(e);
    }
  }

  /** Closes the connections, letting calls in flight finish for a few seconds. */
  @Override
  public void close() {
    channels.forEach(ManagedChannel::shutdown);
    try {
      for (ManagedChannel channel : channels) {
        if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
          channel.shutdownNow();
        }
      }
    } catch (InterruptedException e) {
      channels.forEach(ManagedChannel::shutdownNow);
      Thread.currentThread().interrupt();
    }
  }

  /** ExtractUpload: a header with the size, then the bytes in chunks as the stream takes them. */
  private Extraction upload(InputStream in, long size, String filename, ExtractOptions options) {
    UploadHeader header =
        UploadHeader.newBuilder()
            .setFilename(filename)
            .setOptions(options)
            .setSizeBytes(size)
            .build();
    CompletableFuture<Extraction> result = new CompletableFuture<>();
    AtomicReference<ClientCallStreamObserver<ExtractUploadRequest>> call = new AtomicReference<>();
    ClientResponseObserver<ExtractUploadRequest, ExtractUploadResponse> observer =
        new ClientResponseObserver<>() {
          @Override
          public void beforeStart(ClientCallStreamObserver<ExtractUploadRequest> requests) {
            call.set(requests);
            requests.setOnReadyHandler(new UploadPump(requests, header, in, result));
          }

          @Override
          public void onNext(ExtractUploadResponse response) {
            result.complete(response.getExtraction());
          }

          @Override
          public void onError(Throwable t) {
            result.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {
            result.completeExceptionally(
                Status.INTERNAL.withDescription("the server sent no extraction").asRuntimeException());
          }
        };
    withDeadline(asyncStub()).extractUpload(observer);
    try {
      return result.get();
    } catch (InterruptedException e) {
      result.cancel(false);
      call.get().cancel("interrupted", e); // ClientCall.cancel may be called from any thread
      Thread.currentThread().interrupt();
      throw new GovreportException(Status.Code.CANCELLED, "", "interrupted", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw new UncheckedIOException(io);
      }
      throw GovreportException.from(e.getCause());
    }
  }

  /** Sends the upload's header, then its chunks while the transport is ready for more. */
  private static final class UploadPump implements Runnable {
    private final ClientCallStreamObserver<ExtractUploadRequest> requests;
    private final UploadHeader header;
    private final InputStream in;
    private final CompletableFuture<Extraction> result;
    private boolean headerSent;
    private boolean done;

    UploadPump(
        ClientCallStreamObserver<ExtractUploadRequest> requests,
        UploadHeader header,
        InputStream in,
        CompletableFuture<Extraction> result) {
      this.requests = requests;
      this.header = header;
      this.in = in;
      this.result = result;
    }

    @Override
    public void run() {
      while (!done && requests.isReady()) {
        if (result.isDone()) {
          // Interrupted, or the server already answered (e.g. TOO_LARGE from the header).
          requests.cancel("upload abandoned", null);
          done = true;
          return;
        }
        if (!headerSent) {
          requests.onNext(ExtractUploadRequest.newBuilder().setHeader(header).build());
          headerSent = true;
          continue;
        }
        byte[] chunk;
        try {
          chunk = in.readNBytes(CHUNK_BYTES);
        } catch (IOException e) {
          result.completeExceptionally(e); // first, so the caller sees the IOException
          requests.cancel("reading the document failed", e);
          done = true;
          return;
        }
        if (chunk.length == 0) {
          requests.onCompleted();
          done = true;
          return;
        }
        requests.onNext(
            ExtractUploadRequest.newBuilder().setChunk(ByteString.copyFrom(chunk)).build());
      }
    }
  }

  private int nextIndex() {
    return Math.floorMod(nextTarget.getAndIncrement(), channels.size());
  }

  private ReportExtractorGrpc.ReportExtractorBlockingStub blockingStub() {
    return blockingStubs.get(nextIndex());
  }

  private ReportExtractorGrpc.ReportExtractorStub asyncStub() {
    return asyncStubs.get(nextIndex());
  }

  /** The deadline is set per call: stubs keep an absolute deadline once given one. */
  private <S extends AbstractStub<S>> S withDeadline(S stub) {
    return timeout == null ? stub : stub.withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  static String filenameOf(Path file) {
    Path name = file.getFileName();
    return name == null ? file.toString() : name.toString();
  }

  /** Options of a {@link GovreportClient}; only {@link #target} is required. */
  public static final class Builder {
    private final List<String> targets = new ArrayList<>();
    private Duration timeout;
    private boolean tls;
    private Path caFile;
    private Path certChainFile;
    private Path privateKeyFile;
    private String bearerToken;
    private int maxMessageBytes = 64 << 20;

    private Builder() {}

    /**
     * Adds a server: {@code host:port}, or any gRPC target such as {@code dns:///name:port}. Give
     * several to spread the calls over them.
     */
    public Builder target(String target) {
      targets.add(Objects.requireNonNull(target, "target"));
      return this;
    }

    /** Adds several servers, as {@link #target} does one. */
    public Builder targets(List<String> targets) {
      targets.forEach(this::target);
      return this;
    }

    /** The deadline of each call (a batch stream gets it once per document); none by default. */
    public Builder timeout(Duration timeout) {
      this.timeout = timeout;
      return this;
    }

    /** Connects with TLS, trusting the system's CAs (unless {@link #tlsCaFile} is given). */
    public Builder useTls() {
      this.tls = true;
      return this;
    }

    /** Connects with TLS, trusting the CAs of this PEM file. */
    public Builder tlsCaFile(Path caFile) {
      this.tls = true;
      this.caFile = caFile;
      return this;
    }

    /**
     * Presents a client certificate (mutual TLS): a PEM certificate chain and its PKCS#8 PEM private
     * key. Implies TLS.
     */
    public Builder clientCertificate(Path certChainFile, Path privateKeyFile) {
      this.tls = true;
      this.certChainFile = certChainFile;
      this.privateKeyFile = privateKeyFile;
      return this;
    }

    /** Sends {@code authorization: Bearer TOKEN} with every call. */
    public Builder bearerToken(String token) {
      this.bearerToken = token;
      return this;
    }

    /** The largest response accepted (64 MiB by default, as the server's limit). */
    public Builder maxMessageBytes(int bytes) {
      this.maxMessageBytes = bytes;
      return this;
    }

    /** Opens the channels (connections are made lazily, on the first call). */
    public GovreportClient build() throws IOException {
      if (targets.isEmpty()) {
        throw new IllegalStateException("no target: call target(\"host:port\")");
      }
      ChannelCredentials credentials = credentials();
      List<ClientInterceptor> interceptors = new ArrayList<>();
      if (bearerToken != null && !bearerToken.isEmpty()) {
        Metadata headers = new Metadata();
        headers.put(AUTHORIZATION, "Bearer " + bearerToken);
        interceptors.add(MetadataUtils.newAttachHeadersInterceptor(headers));
      }
      List<ManagedChannel> channels = new ArrayList<>();
      for (String target : targets) {
        ManagedChannelBuilder<?> builder =
            Grpc.newChannelBuilder(target, credentials)
                // Spreads the calls over every address a DNS name resolves to; the default
                // (pick_first) would send them all to one.
                .defaultLoadBalancingPolicy("round_robin")
                .maxInboundMessageSize(maxMessageBytes)
                .intercept(interceptors);
        channels.add(builder.build());
      }
      return new GovreportClient(List.copyOf(channels), timeout);
    }

    private ChannelCredentials credentials() throws IOException {
      if (!tls) {
        return InsecureChannelCredentials.create();
      }
      TlsChannelCredentials.Builder builder = TlsChannelCredentials.newBuilder();
      if (caFile != null) {
        builder.trustManager(caFile.toFile());
      }
      if (certChainFile != null) {
        builder.keyManager(certChainFile.toFile(), privateKeyFile.toFile());
      }
      return builder.build();
    }
  }
}
