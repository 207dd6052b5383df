package dev.govreport.client;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import dev.govreport.v1.AnnualReport;
import dev.govreport.v1.ExtractOptions;
import dev.govreport.v1.ExtractRequest;
import dev.govreport.v1.ExtractResponse;
import dev.govreport.v1.ExtractUploadRequest;
import dev.govreport.v1.ExtractUploadResponse;
import dev.govreport.v1.Extraction;
import dev.govreport.v1.GetTemplateRequest;
import dev.govreport.v1.GetTemplateResponse;
import dev.govreport.v1.ReportExtractorGrpc;
import dev.govreport.v1.TemplateDefinition;
import dev.govreport.v1.TemplateVersion;
import dev.govreport.v1.UploadHeader;
import dev.govreport.v1.ValidateRequest;
import dev.govreport.v1.ValidateResponse;
import dev.govreport.v1.ValidationReport;
import io.grpc.ChannelCredentials;
import io.grpc.ClientInterceptor;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.MetadataUtils;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

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
 * <p>Every failure is a {@link GovreportException} (unchecked): a call's, a document's, a local
 * file's. Every method has an {@code ...Async} twin returning a {@link CompletableFuture} that
 * completes from gRPC's callbacks (no thread waits for it); cancelling the future cancels the call.
 *
 * <p>The channels use the service config of {@code proto/govreport/v1/service_config.json} (copied
 * into the jar at build time): a call that ends {@code UNAVAILABLE} (OVERLOADED, WORKER_FAILED,
 * SHUTTING_DOWN, a lost connection) is sent again, up to 5 attempts, with backoff from 0.5 s or
 * after the server's pushback. gRPC keeps what it sent to re-send it, up to the message limit.
 *
 * <p>With several targets, each call goes to the next one in turn and a batch is split across them,
 * one stream per target. A single {@code dns:///name:port} target is balanced over the name's
 * addresses by the {@code round_robin} policy.
 *
 * <p>Thread-safe: share one client and close it when done.
 */
public final class GovreportClient implements AutoCloseable {
  /** Documents up to this size go in one Extract call; larger ones through ExtractUpload. */
  public static final int UNARY_LIMIT_BYTES = 4 << 20;

  /** The size of the ExtractUpload chunks, as the service expects. */
  public static final int CHUNK_BYTES = 1 << 20;

  /** The largest message either way, as the server's default limit (64 MiB). */
  public static final int DEFAULT_MAX_MESSAGE_BYTES = 64 << 20;

  /** The file name {@link #extractPages} sends a page set under. */
  public static final String PAGES_FILENAME = PageSet.FILENAME;

  /** The classpath resource of the service config, from proto/ at build time. */
  static final String SERVICE_CONFIG = "/govreport/v1/service_config.json";

  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final List<ManagedChannel> channels;
  private final List<String> targets;
  private final List<ReportExtractorGrpc.ReportExtractorFutureStub> futureStubs;
  private final List<ReportExtractorGrpc.ReportExtractorStub> asyncStubs;
  private final Duration timeout;
  private final AtomicInteger nextTarget = new AtomicInteger();

  private GovreportClient(List<ManagedChannel> channels, List<String> targets, Duration timeout) {
    this.channels = channels;
    this.targets = targets;
    this.timeout = timeout;
    this.futureStubs = channels.stream().map(ReportExtractorGrpc::newFutureStub).toList();
    this.asyncStubs = channels.stream().map(ReportExtractorGrpc::newStub).toList();
  }

  public static Builder newBuilder() {
    return new Builder();
  }

  // ---------------------------------------------------------------- one document

  /**
   * Extracts a document read from a file; the file name goes along for messages. A folder of page
   * images numbered 1…N (第1页.jpg, p2.png, …) is one report, as {@link #extractPages} sends it,
   * under the name {@code <folder>.zip}.
   *
   * @throws GovreportException the call's error; for the file, {@code NOT_FOUND} ("no such file")
   *     or {@code UNREADABLE}
   */
  public Extraction extractFile(Path file) {
    return extractFile(file, DocumentOptions.defaults());
  }

  /** As {@link #extractFile(Path)}, with options (filed year, time limit, template, validation). */
  public Extraction extractFile(Path file, DocumentOptions options) {
    return await(extractFileAsync(file, options));
  }

  /** As {@link #extractFile(Path)}, without waiting. */
  public CompletableFuture<Extraction> extractFileAsync(Path file) {
    return extractFileAsync(file, DocumentOptions.defaults());
  }

  /** As {@link #extractFile(Path, DocumentOptions)}, without waiting. */
  public CompletableFuture<Extraction> extractFileAsync(Path file, DocumentOptions options) {
    if (Files.isDirectory(file)) {
      // A folder of page images numbered 1…N: one report.
      try {
        PageSet.Document pages = PageSet.read(file);
        return extractAsync(pages.content(), pages.filename(), options);
      } catch (GovreportException e) {
        return CompletableFuture.failedFuture(e);
      }
    }
    long size;
    byte[] content = null;
    InputStream in = null;
    try {
      size = Files.size(file);
      if (size <= UNARY_LIMIT_BYTES) {
        content = Files.readAllBytes(file);
      } else {
        // Streamed from the file, so a large document is never all read before it is sent.
        in = Files.newInputStream(file);
      }
    } catch (IOException e) {
      return CompletableFuture.failedFuture(GovreportException.fromLocal(e, null));
    }
    if (content != null) {
      return extractAsync(content, filenameOf(file), options);
    }
    InputStream stream = in;
    CompletableFuture<Extraction> result = upload(stream, size, filenameOf(file), options);
    result.whenComplete((r, e) -> closeQuietly(stream));
    return result;
  }

  /**
   * Extracts page images (one file a page: scans, phone photos) as ONE report, the pages in the
   * order given whatever the files are called. They are sent as a ZIP archive named {@value
   * #PAGES_FILENAME} (through ExtractUpload above 4 MiB) whose members, stored, are {@code
   * 0001-<name>}, {@code 0002-<name>}, …; the server reads it as {@code DOCUMENT_FORMAT_PAGE_SET}.
   *
   * @throws GovreportException {@code INVALID_ARGUMENT} before any call, naming the file, for no
   *     pages or a file that is not a .png, .jpg, .jpeg, .tif, .tiff, .bmp or .webp image by its
   *     name (in any case); {@code NOT_FOUND} or {@code UNREADABLE} for a page that cannot be read
   *     (the message names it); otherwise as {@link #extract(byte[], String)}
   */
  public Extraction extractPages(List<Path> pages) {
    return extractPages(pages, DocumentOptions.defaults());
  }

  /** As {@link #extractPages(List)}, with options. */
  public Extraction extractPages(List<Path> pages, DocumentOptions options) {
    return await(extractPagesAsync(pages, options));
  }

  /** As {@link #extractPages(List, DocumentOptions)}, without waiting. */
  public CompletableFuture<Extraction> extractPagesAsync(List<Path> pages, DocumentOptions options) {
    byte[] archive;
    try {
      archive = PageSet.zip(pages);
    } catch (GovreportException e) {
      return CompletableFuture.failedFuture(e);
    }
    return extractAsync(archive, PAGES_FILENAME, options);
  }

  /** Extracts a document from its bytes; {@code filename} is for messages only. */
  public Extraction extract(byte[] content, String filename) {
    return extract(content, filename, DocumentOptions.defaults());
  }

  /** As {@link #extract(byte[], String)}, with options. */
  public Extraction extract(byte[] content, String filename, DocumentOptions options) {
    return await(extractAsync(content, filename, options));
  }

  /** As {@link #extract(byte[], String)}, without waiting. */
  public CompletableFuture<Extraction> extractAsync(byte[] content, String filename) {
    return extractAsync(content, filename, DocumentOptions.defaults());
  }

  /**
   * As {@link #extract(byte[], String, DocumentOptions)}, without waiting: the future completes
   * with the extraction, or exceptionally with a {@link GovreportException}.
   */
  public CompletableFuture<Extraction> extractAsync(byte[] content, String filename, DocumentOptions options) {
    if (content.length > UNARY_LIMIT_BYTES) {
      return upload(new ByteArrayInputStream(content), content.length, filename, options);
    }
    ExtractRequest request =
        ExtractRequest.newBuilder()
            .setContent(ByteString.copyFrom(content))
            .setFilename(filename)
            .setOptions(options.toProto(null))
            .build();
    int index = nextIndex();
    return unary(
        index,
        withDeadline(futureStubs.get(index), options.timeLimitOr(timeout)).extract(request),
        ExtractResponse::getExtraction);
  }

  // ---------------------------------------------------------------- many documents

  /** As {@link #extractMany(List, DocumentOptions)} with no options. */
  public BatchResults extractMany(List<Path> files) {
    return extractMany(files, DocumentOptions.defaults());
  }

  /**
   * Extracts many documents over ExtractBatch streams, one per target, the files dealt out in turn.
   * Each result's id is the file's path as given; results come as soon as they are ready, in no
   * particular order, and a failed document does not stop the others.
   *
   * <p>Each document's deadline is {@code options.timeLimit()}, else the client's timeout, sent as
   * its {@code ExtractOptions.time_limit}: over it, that document fails {@code
   * DEADLINE_EXCEEDED} and the others go on. The streams themselves have no deadline.
   */
  public BatchResults extractMany(List<Path> files, DocumentOptions options) {
    Objects.requireNonNull(options, "options");
    return extractMany(files, file -> options);
  }

  /** As {@link #extractMany(List, DocumentOptions)}, with each file's own options. */
  public BatchResults extractMany(List<Path> files, Function<Path, DocumentOptions> optionsOf) {
    BatchResults results = new BatchResults(files.size());
    int streams = Math.min(asyncStubs.size(), files.size());
    int first = streams == 0 ? 0 : nextIndex();
    for (int s = 0; s < streams; s++) {
      List<Path> share = new ArrayList<>();
      for (int i = s; i < files.size(); i += streams) {
        share.add(files.get(i));
      }
      int index = (first + s) % asyncStubs.size();
      Function<Path, ExtractOptions> requestOptions =
          file -> optionsOf.apply(file).toProto(optionsOf.apply(file).timeLimitOr(timeout));
      asyncStubs.get(index).extractBatch(new BatchStream(share, requestOptions, results, targets.get(index)));
    }
    return results;
  }

  // ---------------------------------------------------------------- reports and templates

  /** Validates a report; {@code previousYear} (may be null) enables rule R7. */
  public ValidationReport validate(AnnualReport report, AnnualReport previousYear) {
    return await(validateAsync(report, previousYear));
  }

  /** As {@link #validate}, without waiting. */
  public CompletableFuture<ValidationReport> validateAsync(AnnualReport report, AnnualReport previousYear) {
    ValidateRequest.Builder request = ValidateRequest.newBuilder().setReport(report);
    if (previousYear != null) {
      request.setPreviousYearReport(previousYear);
    }
    int index = nextIndex();
    return unary(
        index, withDeadline(futureStubs.get(index), timeout).validate(request.build()), ValidateResponse::getValidation);
  }

  /** The labels and structure of a template version (UNSPECIFIED means 2021). */
  public TemplateDefinition getTemplate(TemplateVersion version) {
    return await(getTemplateAsync(version));
  }

  /** As {@link #getTemplate}, without waiting. */
  public CompletableFuture<TemplateDefinition> getTemplateAsync(TemplateVersion version) {
    GetTemplateRequest request = GetTemplateRequest.newBuilder().setVersion(version).build();
    int index = nextIndex();
    return unary(
        index, withDeadline(futureStubs.get(index), timeout).getTemplate(request), GetTemplateResponse::getTemplate);
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

  // ---------------------------------------------------------------- calls

  /**
   * A CompletableFuture of a unary call, completed by a listener on gRPC's future (no thread
   * waits); cancelling it cancels the call.
   */
  private <R, T> CompletableFuture<T> unary(int index, ListenableFuture<R> call, Function<R, T> value) {
    CompletableFuture<T> result = new CompletableFuture<>();
    String target = targets.get(index);
    Futures.addCallback(
        call,
        new FutureCallback<R>() {
          @Override
          public void onSuccess(R response) {
            result.complete(value.apply(response));
          }

          @Override
          public void onFailure(Throwable t) {
            result.completeExceptionally(GovreportException.from(t, target));
          }
        },
        MoreExecutors.directExecutor());
    result.whenComplete((r, e) -> {
      if (result.isCancelled()) {
        call.cancel(true);
      }
    });
    return result;
  }

  /** Waits for a future of this client, as the synchronous methods do. */
  private static <T> T await(CompletableFuture<T> future) {
    try {
      return future.get();
    } catch (InterruptedException e) {
      future.cancel(true);
      Thread.currentThread().interrupt();
      throw new GovreportException(Status.Code.CANCELLED, "", "interrupted", e);
    } catch (ExecutionException e) {
      throw GovreportException.from(e.getCause());
    } catch (CancellationException e) {
      throw new GovreportException(Status.Code.CANCELLED, "", "cancelled", e);
    }
  }

  /** ExtractUpload: a header with the size, then the bytes in chunks as the stream takes them. */
  private CompletableFuture<Extraction> upload(InputStream in, long size, String filename, DocumentOptions options) {
    UploadHeader header =
        UploadHeader.newBuilder()
            .setFilename(filename)
            .setOptions(options.toProto(null))
            .setSizeBytes(size)
            .build();
    int index = nextIndex();
    String target = targets.get(index);
    CompletableFuture<Extraction> result = new CompletableFuture<>();
    ClientResponseObserver<ExtractUploadRequest, ExtractUploadResponse> observer =
        new ClientResponseObserver<>() {
          @Override
          public void beforeStart(ClientCallStreamObserver<ExtractUploadRequest> requests) {
            requests.setOnReadyHandler(new UploadPump(requests, header, in, result));
            // ClientCall.cancel may be called from any thread.
            result.whenComplete((r, e) -> {
              if (result.isCancelled()) {
                requests.cancel("cancelled by the caller", null);
              }
            });
          }

          @Override
          public void onNext(ExtractUploadResponse response) {
            result.complete(response.getExtraction());
          }

          @Override
          public void onError(Throwable t) {
            result.completeExceptionally(GovreportException.from(t, target));
          }

          @Override
          public void onCompleted() {
            result.completeExceptionally(
                new GovreportException(Status.Code.INTERNAL, "", "the server sent no extraction", null));
          }
        };
    withDeadline(asyncStubs.get(index), options.timeLimitOr(timeout)).extractUpload(observer);
    return result;
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
          result.completeExceptionally(GovreportException.fromLocal(e, null)); // first: the caller sees it
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

  /** The deadline is set per call: stubs keep an absolute deadline once given one. */
  private static <S extends AbstractStub<S>> S withDeadline(S stub, Duration deadline) {
    return deadline == null ? stub : stub.withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS);
  }

  private static void closeQuietly(InputStream in) {
    try {
      in.close();
    } catch (IOException e) {
      // Read to the end or abandoned: nothing to do.
    }
  }

  static String filenameOf(Path file) {
    Path name = file.getFileName();
    return name == null ? file.toString() : name.toString();
  }

  /**
   * The service config of {@code proto/govreport/v1/service_config.json} as grpc-java takes it: a
   * map of JSON values, numbers as {@link Double}.
   */
  static Map<String, ?> serviceConfig() {
    try (InputStream in = GovreportClient.class.getResourceAsStream(SERVICE_CONFIG)) {
      if (in == null) {
        throw new IllegalStateException(SERVICE_CONFIG + " is not in the jar: the build copies it from proto/");
      }
      Struct.Builder config = Struct.newBuilder();
      JsonFormat.parser().merge(new String(in.readAllBytes(), StandardCharsets.UTF_8), config);
      return mapOf(config.build());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Map<String, Object> mapOf(Struct struct) {
    Map<String, Object> map = new LinkedHashMap<>();
    struct.getFieldsMap().forEach((key, value) -> map.put(key, javaOf(value)));
    return map;
  }

  private static Object javaOf(Value value) {
    return switch (value.getKindCase()) {
      case NUMBER_VALUE -> value.getNumberValue(); // a Double, as grpc-java's JSON parser gives
      case STRING_VALUE -> value.getStringValue();
      case BOOL_VALUE -> value.getBoolValue();
      case STRUCT_VALUE -> mapOf(value.getStructValue());
      case LIST_VALUE -> listOf(value.getListValue());
      case NULL_VALUE, KIND_NOT_SET -> null;
    };
  }

  private static List<Object> listOf(ListValue list) {
    List<Object> out = new ArrayList<>();
    list.getValuesList().forEach(v -> out.add(javaOf(v)));
    return out;
  }

  /** Options of a {@link GovreportClient}; only {@link #target} is required. */
  public static final class Builder {
    private final List<String> targets = new ArrayList<>();
    private Duration timeout;
    private boolean tls;
    private Path caFile;
    private Path certChainFile;
    private Path privateKeyFile;
    private String serverName;
    private String bearerToken;
    private int maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;

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

    /**
     * Each document's deadline, and each other call's: a document sent alone gets it as its call's
     * deadline, a document of a batch as its {@code ExtractOptions.time_limit} (the stream has no
     * deadline). {@link DocumentOptions.Builder#timeLimit} overrides it per call. None by default.
     */
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
      this.certChainFile = Objects.requireNonNull(certChainFile, "certChainFile");
      this.privateKeyFile = Objects.requireNonNull(privateKeyFile, "privateKeyFile");
      return this;
    }

    /**
     * The name the server's certificate must carry (and the {@code :authority} sent), when the
     * target is an address rather than that name. Implies TLS.
     */
    public Builder tlsServerName(String name) {
      this.tls = true;
      this.serverName = name;
      return this;
    }

    /** Sends {@code authorization: Bearer TOKEN} with every call. */
    public Builder bearerToken(String token) {
      this.bearerToken = token;
      return this;
    }

    /**
     * The largest message either way (64 MiB by default, as the server's limit); gRPC keeps up to
     * this much of each call to re-send it on a retry.
     */
    public Builder maxMessageBytes(int bytes) {
      if (bytes <= 0) {
        throw new IllegalArgumentException("maxMessageBytes must be positive: " + bytes);
      }
      this.maxMessageBytes = bytes;
      return this;
    }

    /**
     * Opens the channels (connections are made lazily, on the first call).
     *
     * @throws GovreportException {@code NOT_FOUND} or {@code UNREADABLE} for a TLS file that cannot
     *     be read (the message names it)
     */
    public GovreportClient build() {
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
      Map<String, ?> serviceConfig = serviceConfig();
      List<ManagedChannel> channels = new ArrayList<>();
      for (String target : targets) {
        ManagedChannelBuilder<?> builder =
            Grpc.newChannelBuilder(target, credentials)
                // Spreads the calls over every address a DNS name resolves to; the default
                // (pick_first) would send them all to one.
                .defaultLoadBalancingPolicy("round_robin")
                .maxInboundMessageSize(maxMessageBytes)
                // The retry policy (UNAVAILABLE, 5 attempts), from proto/.
                .defaultServiceConfig(serviceConfig)
                .enableRetry()
                // What gRPC keeps of a call to re-send it: any document sent whole (the
                // default, 1 MiB a call and 16 MiB in all, would leave most unretried).
                .perRpcBufferLimit(maxMessageBytes + (1L << 20))
                .retryBufferSize(4L * (maxMessageBytes + (1L << 20)))
                .intercept(interceptors);
        if (serverName != null && !serverName.isEmpty()) {
          builder.overrideAuthority(serverName);
        }
        channels.add(builder.build());
      }
      return new GovreportClient(List.copyOf(channels), List.copyOf(targets), timeout);
    }

    private ChannelCredentials credentials() {
      if (!tls) {
        return InsecureChannelCredentials.create();
      }
      TlsChannelCredentials.Builder builder = TlsChannelCredentials.newBuilder();
      if (caFile != null) {
        byte[] ca = read(caFile);
        try {
          builder.trustManager(new ByteArrayInputStream(ca));
        } catch (IOException | IllegalArgumentException e) {
          throw invalidPem(caFile, e);
        }
      }
      if (certChainFile != null) {
        byte[] chain = read(certChainFile);
        byte[] key = read(privateKeyFile);
        try {
          builder.keyManager(new ByteArrayInputStream(chain), new ByteArrayInputStream(key));
        } catch (IOException | IllegalArgumentException e) {
          throw invalidPem(certChainFile, e);
        }
      }
      return builder.build();
    }

    private static byte[] read(Path file) {
      try {
        return Files.readAllBytes(file);
      } catch (IOException e) {
        throw GovreportException.fromLocal(e, file.toString());
      }
    }

    private static GovreportException invalidPem(Path file, Exception e) {
      return new GovreportException(
          Status.Code.INVALID_ARGUMENT,
          dev.govreport.v1.ErrorReason.ERROR_REASON_UNREADABLE,
          file + ": not a PEM certificate and key: " + e.getMessage(),
          e);
    }
  }
}
