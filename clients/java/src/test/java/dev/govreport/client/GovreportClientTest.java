package dev.govreport.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import dev.govreport.v1.AnnualReport;
import dev.govreport.v1.Cell;
import dev.govreport.v1.CellState;
import dev.govreport.v1.ColumnDefinition;
import dev.govreport.v1.DocumentFormat;
import dev.govreport.v1.DocumentInfo;
import dev.govreport.v1.ErrorReason;
import dev.govreport.v1.Extraction;
import dev.govreport.v1.Finding;
import dev.govreport.v1.Severity;
import dev.govreport.v1.RowDefinition;
import dev.govreport.v1.TableDefinition;
import dev.govreport.v1.TemplateDefinition;
import dev.govreport.v1.TemplateVersion;
import dev.govreport.v1.ValidationReport;
import io.grpc.Status;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Against the real Python server, which requires a bearer token so every call proves it is sent. */
class GovreportClientTest {
  private static final String SEED = "000_920faedf84c991f1";
  private static final Path SAMPLES = PythonServer.REPO.resolve("server/govreport/samples");
  private static final Path SEED_FILE = SAMPLES.resolve(SEED + ".txt");
  private static final String TOKEN = UUID.randomUUID().toString();
  private static final byte[] GARBAGE = "\0\1garbage".getBytes(StandardCharsets.ISO_8859_1);
  /**
   * Three page images of a made-up report (drawn by clients/go/govreport/testdata/pages/make_pages.py):
   * title and 一 on page 1, 二 and 三 on page 2, 四 to 六 and the date on page 3.
   */
  private static final List<Path> PAGES = Stream.of("第1页.png", "第2页.jpg", "第3页.png")
      .map(name -> Path.of("src", "test", "resources", "pages", name).toAbsolutePath())
      .toList();

  private static PythonServer server;
  private static GovreportClient client;
  /** section|row|column of tests/gold/SEED.cells.csv to its expected notation. */
  private static Map<String, String> gold;

  @BeforeAll
  static void start() throws Exception {
    server = PythonServer.start("--auth-tokens", TOKEN, "--log-level", "WARNING");
    client = GovreportClient.newBuilder()
        .target(server.address())
        .bearerToken(TOKEN)
        .timeout(Duration.ofSeconds(60))
        .build();
    gold = readGold(PythonServer.REPO.resolve("tests/gold/" + SEED + ".cells.csv"));
  }

  @AfterAll
  static void stop() throws InterruptedException {
    if (client != null) {
      client.close();
    }
    if (server != null) {
      server.close();
    }
  }

  @Test
  void extractsTheSeedsCellsAndMetadata() throws IOException {
    Extraction extraction = client.extractFile(SEED_FILE);
    AnnualReport report = extraction.getReport();

    // tests/gold/SEED.meta.json
    assertEquals(2023, report.getMetadata().getReportYear());
    assertEquals("绥芬河市卫生健康局", report.getMetadata().getAgency());
    assertEquals("2024-01-08", report.getMetadata().getPublicationDate());
    assertEquals(TemplateVersion.TEMPLATE_VERSION_2021, report.getMetadata().getTemplateVersion());
    assertEquals(SEED + ".txt", extraction.getDocument().getFilename());
    assertEquals(DocumentFormat.DOCUMENT_FORMAT_TEXT, extraction.getDocument().getFormat());

    var proactive = report.getProactiveDisclosure2021();
    assertNumber(gold("二", "第二十条第（五）项 / 行政许可", "本年处理决定数量"), proactive.getLicensingDecisions());
    assertNumber(gold("二", "第二十条第（六）项 / 行政处罚", "本年处理决定数量"), proactive.getPenaltyDecisions());
    assertNumber(gold("二", "第二十条第（一）项 / 规章", "现行有效件数"), proactive.getRules().getInForce());
    assertNumber(
        gold("二", "第二十条第（八）项 / 行政事业性收费", "本年收费金额（单位：万元）"), proactive.getFeesAmount());
    var applications = report.getApplicationHandling();
    assertNumber(gold("三", "一、本年新收政府信息公开申请数量", "自然人"), applications.getNewApplications().getNaturalPersons());
    assertNumber(gold("三", "三、本年度办理结果 / （七）总计", "总计"), applications.getOutcomes().getTotal().getTotal());
    var review = report.getReviewAndLitigation();
    assertNumber(gold("四", "行政复议", "总计"), review.getAdministrativeReview().getTotal());
    assertNumber(gold("四", "行政诉讼 / 未经复议直接起诉", "结果维持"), review.getLitigationWithoutReview().getUpheld());
    // The seed's two non-zero figures, so that a reader that returned all zeros would fail.
    assertEquals(292, proactive.getLicensingDecisions().getCount());
    assertEquals(4, proactive.getPenaltyDecisions().getCount());
  }

  @Test
  void everyGoldCellIsWhereTheTemplateSays() throws IOException {
    TemplateDefinition template = client.getTemplate(TemplateVersion.TEMPLATE_VERSION_2021);
    assertEquals(TemplateVersion.TEMPLATE_VERSION_2021, template.getVersion());
    assertEquals(List.of("二", "三", "四"), template.getTablesList().stream().map(TableDefinition::getSection).toList());

    AnnualReport report = client.extractFile(SEED_FILE).getReport();
    int checked = 0;
    for (TableDefinition table : template.getTablesList()) {
      for (RowDefinition row : table.getRowsList()) {
        for (ColumnDefinition column : row.getColumnsList()) {
          String expected = gold.get(key(table.getSection(), row.getLabel(), column.getLabel()));
          if (expected == null) {
            continue; // e.g. a group row the document does not give
          }
          String path = column.getField().isEmpty() ? row.getField() : row.getField() + "." + column.getField();
          Cell cell = cellAt(report, path);
          assertNotNull(cell, path + " is not set");
          assertCell(expected, cell, path);
          checked++;
        }
      }
    }
    assertEquals(gold.size(), checked, "gold cells the template does not name");
  }

  @Test
  void garbageIsAnUnsupportedFormat() {
    GovreportException e = assertThrows(GovreportException.class, () -> client.extract(GARBAGE, "x.bin"));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.code());
    assertEquals("UNSUPPORTED_FORMAT", e.reason());
    assertTrue(e.getMessage().contains("x.bin"), e.getMessage());
  }

  @Test
  void aCallWithoutTheTokenIsRefused() throws IOException {
    try (GovreportClient anonymous = GovreportClient.newBuilder().target(server.address()).build()) {
      GovreportException e = assertThrows(
          GovreportException.class, () -> anonymous.getTemplate(TemplateVersion.TEMPLATE_VERSION_2021));
      assertEquals(Status.Code.UNAUTHENTICATED, e.code());
    }
  }

  @Test
  void aLargeDocumentGoesThroughExtractUpload() throws IOException {
    // The seed padded with spaces (which the server skips fast; blank lines are slow): over the
    // unary limit, so sent in 1 MiB chunks.
    byte[] seed = Files.readAllBytes(SEED_FILE);
    byte[] large = new byte[GovreportClient.UNARY_LIMIT_BYTES + GovreportClient.CHUNK_BYTES / 2];
    Arrays.fill(large, (byte) ' ');
    System.arraycopy(seed, 0, large, 0, seed.length);

    Extraction extraction = client.extract(large, "large.txt");
    assertEquals(large.length, extraction.getDocument().getSizeBytes());
    assertEquals(2023, extraction.getReport().getMetadata().getReportYear());
    assertEquals(292, extraction.getReport().getProactiveDisclosure2021().getLicensingDecisions().getCount());
  }

  @Test
  void extractManyGivesEachFileItsResult(@TempDir Path dir) throws IOException {
    Path second = SAMPLES.resolve("001_9fd470447c6cfcf1.txt");
    Path garbage = Files.write(dir.resolve("x.bin"), GARBAGE);
    Path missing = dir.resolve("missing.txt");

    Map<String, BatchResult> byId = new HashMap<>();
    try (BatchResults results = client.extractMany(List.of(SEED_FILE, garbage, second, missing))) {
      results.forEach(r -> byId.put(r.id(), r));
    }
    assertEquals(4, byId.size());

    BatchResult first = byId.get(SEED_FILE.toString());
    assertTrue(first.ok(), () -> first.error().toString());
    assertEquals(SEED + ".txt", first.extraction().getDocument().getFilename());
    assertEquals(292, first.extraction().getReport().getProactiveDisclosure2021().getLicensingDecisions().getCount());
    BatchResult other = byId.get(second.toString());
    assertTrue(other.ok(), () -> other.error().toString());
    assertEquals("001_9fd470447c6cfcf1.txt", other.extraction().getDocument().getFilename());

    GovreportException unsupported = byId.get(garbage.toString()).error();
    assertEquals(Status.Code.INVALID_ARGUMENT, unsupported.code());
    assertEquals("UNSUPPORTED_FORMAT", unsupported.reason());
    GovreportException notFound = byId.get(missing.toString()).error();
    assertEquals(Status.Code.NOT_FOUND, notFound.code());
    assertEquals("NOT_FOUND", notFound.reason());
    assertEquals(ErrorReason.ERROR_REASON_NOT_FOUND, notFound.errorReason());
    assertEquals("no such file", notFound.getMessage());
  }

  /** Needs the server's page sets (a ZIP of page images as one document). */
  @Test
  void extractPagesReadsPageImagesAsOneReportInTheOrderGiven() throws IOException {
    assertPageSet(client.extractPages(PAGES), PAGES.size());
  }

  /** Needs the server's page sets. */
  @Test
  void aLargePageSetGoesThroughExtractUpload(@TempDir Path dir) throws IOException {
    // Page 1 again as a 24-bit BMP, about 6.5 MB: the archive is over the unary limit.
    BufferedImage page = ImageIO.read(PAGES.get(0).toFile());
    BufferedImage rgb = new BufferedImage(page.getWidth(), page.getHeight(), BufferedImage.TYPE_3BYTE_BGR);
    rgb.createGraphics().drawImage(page, 0, 0, null);
    Path big = dir.resolve("第1页.bmp");
    assertTrue(ImageIO.write(rgb, "bmp", big.toFile()));
    assertTrue(Files.size(big) > GovreportClient.UNARY_LIMIT_BYTES, "the BMP is only " + Files.size(big) + " bytes");

    Extraction extraction = client.extractPages(List.of(big, PAGES.get(1), PAGES.get(2)));
    assertTrue(extraction.getDocument().getSizeBytes() > GovreportClient.UNARY_LIMIT_BYTES);
    assertPageSet(extraction, 3);
  }

  @Test
  void validateChecksAReport() throws IOException {
    AnnualReport report = client.extractFile(SEED_FILE).getReport();
    ValidationReport alone = client.validate(report, null);
    assertFalse(alone.getRulesCheckedList().isEmpty());
    assertFalse(alone.getRulesCheckedList().contains("R7"), "R7 needs the previous year's report");
    ValidationReport withPrevious = client.validate(report, report);
    assertTrue(withPrevious.getRulesCheckedList().contains("R7"), withPrevious.getRulesCheckedList()::toString);
  }

  @Test
  void theCommandPrintsOneJsonLinePerFile(@TempDir Path dir) throws IOException {
    Path garbage = Files.write(dir.resolve("x.bin"), GARBAGE);
    Path second = SAMPLES.resolve("001_9fd470447c6cfcf1.txt");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    String[] args = {"extract", "--server", server.address(), "--timeout", "60", "--token", TOKEN,
        SEED_FILE.toString(), garbage.toString(), second.toString()};

    int status = ExtractCommand.run(args, utf8(out), utf8(err), Map.of());

    assertEquals(ExtractCommand.EXIT_FAILED, status);
    List<String> errors = err.toString(StandardCharsets.UTF_8).lines().toList();
    assertEquals(1, errors.size(), errors::toString);
    assertTrue(errors.get(0).startsWith("govreport: " + garbage + ": UNSUPPORTED_FORMAT: "), errors.get(0));
    assertTrue(errors.get(0).contains("x.bin"), errors.get(0));
    List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
    assertEquals(2, lines.size(), "one line per extracted file");
    // In the order given, and as the unary call reads them.
    List<Extraction> printed = new ArrayList<>();
    for (String line : lines) {
      Extraction.Builder parsed = Extraction.newBuilder();
      JsonFormat.parser().merge(line, parsed);
      printed.add(parsed.build());
    }
    assertEquals(client.extractFile(SEED_FILE).getReport(), printed.get(0).getReport());
    assertEquals(client.extractFile(second).getReport(), printed.get(1).getReport());
  }

  @Test
  void theCommandExitsZeroWhenEveryFileIsExtracted() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    // The server and the token from the environment.
    String[] args = {"extract", SEED_FILE.toString()};
    Map<String, String> env = Map.of("GOVREPORT_SERVER", server.address(), "GOVREPORT_TOKEN", TOKEN);
    assertEquals(ExtractCommand.EXIT_OK, ExtractCommand.run(args, utf8(out), utf8(err), env), err::toString);
    List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
    assertEquals(1, lines.size());
    // protojson's defaults: lowerCamelCase names, 64-bit integers as strings, defaults left out.
    String line = lines.get(0);
    assertTrue(line.contains("\"reportYear\":2023"), "no reportYear");
    assertTrue(line.contains("\"sizeBytes\":\"" + Files.size(SEED_FILE) + "\""), "sizeBytes is no string");
    assertFalse(line.contains("\"report_year\":2023"), "proto field names");
    assertFalse(line.contains("\"errorCount\""), "a field at its default value");
  }

  /** Needs the server's page sets. */
  @Test
  void theCommandPrintsOneJsonLineForPages() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    List<String> args = new ArrayList<>(List.of("extract", "--server", server.address(), "--timeout", "60", "--pages"));
    PAGES.forEach(page -> args.add(page.toString()));

    int status = ExtractCommand.run(args.toArray(String[]::new), utf8(out), utf8(err), Map.of("GOVREPORT_TOKEN", TOKEN));

    List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
    assertEquals(1, lines.size(), "one line for all the pages");
    Extraction.Builder parsed = Extraction.newBuilder();
    JsonFormat.parser().merge(lines.get(0), parsed);
    assertPageSet(parsed.build(), 3);
    // Extracted: 0, or 1 when the report has findings of error severity.
    assertEquals(parsed.getValidation().getErrorCount() > 0 ? ExtractCommand.EXIT_FINDINGS : ExtractCommand.EXIT_OK,
        status, err::toString);
    assertEquals("", err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void theCommandRefusesAFileThatIsNoPageImage() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    // Refused before any call: nothing listens on port 1.
    String[] args = {"extract", "--server", "127.0.0.1:1", "--pages", PAGES.get(0).toString(), "notes.txt"};
    assertEquals(ExtractCommand.EXIT_FAILED, ExtractCommand.run(args, utf8(out), utf8(err), Map.of()));
    assertEquals("", out.toString(StandardCharsets.UTF_8));
    String stderr = err.toString(StandardCharsets.UTF_8);
    assertTrue(stderr.startsWith("govreport: pages.zip: INVALID_ARGUMENT: page 2, notes.txt, is not a page image"), stderr);
  }

  @Test
  void extractAsyncCompletesWithTheExtractionOrTheError() throws Exception {
    CompletableFuture<Extraction> one = client.extractFileAsync(SEED_FILE);
    CompletableFuture<Extraction> bad = client.extractAsync(GARBAGE, "x.bin");
    CompletableFuture<Extraction> missing = client.extractFileAsync(Path.of("no", "such", "file.pdf"));

    assertEquals(292, one.get().getReport().getProactiveDisclosure2021().getLicensingDecisions().getCount());
    ExecutionException failed = assertThrows(ExecutionException.class, bad::get);
    GovreportException e = assertInstanceOf(GovreportException.class, failed.getCause());
    assertEquals(Status.Code.INVALID_ARGUMENT, e.code());
    assertEquals("UNSUPPORTED_FORMAT", e.reason());
    assertEquals(ErrorReason.ERROR_REASON_UNSUPPORTED_FORMAT, e.errorReason());
    assertFalse(e.metadata().getOrDefault("request_id", "").isEmpty(), e.metadata()::toString);
    GovreportException notFound = assertInstanceOf(
        GovreportException.class, assertThrows(ExecutionException.class, missing::get).getCause());
    assertEquals("NOT_FOUND", notFound.reason());
  }

  @Test
  void theFiledYearReachesTheServer() {
    // The seed is the 2023 report: filed under 2024, rule R9 finds the years disagree.
    Extraction filed2024 = client.extractFile(SEED_FILE, DocumentOptions.builder().filedYear(2024).build());
    Extraction filed2023 = client.extractFile(SEED_FILE, DocumentOptions.builder().filedYear(2023).build());
    assertEquals(List.of("R9"), errorRules(filed2024));
    assertEquals(1, filed2024.getValidation().getErrorCount());
    assertEquals(List.of(), errorRules(filed2023));
    assertEquals(0, filed2023.getValidation().getErrorCount());
    // And in a batch.
    try (BatchResults results = client.extractMany(List.of(SEED_FILE), DocumentOptions.builder().filedYear(2024).build())) {
      List<BatchResult> all = results.stream().toList();
      assertEquals(1, all.size());
      assertEquals(List.of("R9"), errorRules(all.get(0).extraction()));
    }
  }

  @Test
  void aLocalFileThatIsMissingOrUnreadableFailsBeforeAnyCall(@TempDir Path dir) throws IOException {
    GovreportException missing = assertThrows(GovreportException.class, () -> client.extractFile(dir.resolve("nope.pdf")));
    assertEquals(Status.Code.NOT_FOUND, missing.code());
    assertEquals("NOT_FOUND", missing.reason());
    assertEquals(ErrorReason.ERROR_REASON_NOT_FOUND, missing.errorReason());
    assertEquals("no such file", missing.getMessage());

    // A path through a file: it exists no further, and cannot be read.
    Path file = Files.writeString(dir.resolve("file.txt"), "x");
    GovreportException unreadable = assertThrows(GovreportException.class, () -> client.extractFile(file.resolve("child.pdf")));
    assertEquals(Status.Code.INVALID_ARGUMENT, unreadable.code());
    assertEquals("UNREADABLE", unreadable.reason());
    assertEquals(ErrorReason.ERROR_REASON_UNREADABLE, unreadable.errorReason());

    // A folder that is not numbered page images.
    Files.writeString(dir.resolve("notes.txt"), "x");
    GovreportException folder = assertThrows(GovreportException.class, () -> client.extractFile(dir));
    assertEquals(Status.Code.INVALID_ARGUMENT, folder.code());
    assertTrue(folder.getMessage().contains("page images numbered"), folder.getMessage());
  }

  /** Needs the server's page sets. */
  @Test
  void aFolderOfNumberedPageImagesIsOneReport(@TempDir Path dir) throws IOException {
    Path folder = Files.createDirectory(dir.resolve("scan"));
    Files.copy(PAGES.get(0), folder.resolve("p1.png"));
    Files.copy(PAGES.get(1), folder.resolve("p2.jpg"));
    Files.copy(PAGES.get(2), folder.resolve("p3.png"));
    Files.writeString(folder.resolve(".DS_Store"), "hidden files are passed over");
    Extraction extraction = client.extractFile(folder);
    assertEquals("scan.zip", extraction.getDocument().getFilename());
    assertPageSet(extraction.toBuilder().setDocument(
        extraction.getDocument().toBuilder().setFilename(GovreportClient.PAGES_FILENAME)).build(), 3);
  }

  /**
   * Each document of a batch has its own deadline (ExtractOptions.time_limit): 1 ms is too little
   * for OCR of three pages, which fails DEADLINE_EXCEEDED while the others are extracted.
   */
  @Test
  void aTimeLimitFailsOneDocumentOfABatchAndNotTheOthers(@TempDir Path dir) throws IOException {
    Path slow = Files.write(dir.resolve("slow.zip"), PageSet.zip(PAGES));
    Path second = SAMPLES.resolve("001_9fd470447c6cfcf1.txt");
    DocumentOptions impatient = DocumentOptions.builder().timeLimit(Duration.ofMillis(1)).build();
    Map<String, BatchResult> byId = new HashMap<>();
    try (BatchResults results = client.extractMany(
        List.of(SEED_FILE, slow, second), file -> file.equals(slow) ? impatient : DocumentOptions.defaults())) {
      for (BatchResult r : results) {
        byId.put(r.id(), r);
      }
    }
    assertEquals(3, byId.size());
    GovreportException late = byId.get(slow.toString()).error();
    assertNotNull(late, "the slow document was extracted in 1 ms");
    assertEquals(Status.Code.DEADLINE_EXCEEDED, late.code());
    assertEquals("DEADLINE_EXCEEDED", late.reason());
    assertTrue(byId.get(SEED_FILE.toString()).ok(), () -> byId.get(SEED_FILE.toString()).error().toString());
    assertEquals(292, byId.get(SEED_FILE.toString()).extraction().getReport().getProactiveDisclosure2021()
        .getLicensingDecisions().getCount());
    assertTrue(byId.get(second.toString()).ok(), () -> byId.get(second.toString()).error().toString());
  }

  @Test
  void theCommandExitsOneWhenAReportHasErrorFindings() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Path second = SAMPLES.resolve("001_9fd470447c6cfcf1.txt");
    String[] args = {"extract", "--server", server.address(), "--token", TOKEN, "--filed-year", "2024",
        SEED_FILE.toString(), second.toString()};
    assertEquals(ExtractCommand.EXIT_FINDINGS, ExtractCommand.run(args, utf8(out), utf8(err), Map.of()), err::toString);
    assertEquals("", err.toString(StandardCharsets.UTF_8));
    List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
    assertEquals(2, lines.size());
    Extraction.Builder first = Extraction.newBuilder();
    JsonFormat.parser().merge(lines.get(0), first);
    assertEquals(List.of("R9"), errorRules(first.build()));
  }

  @Test
  void theCommandNamesAMissingFileAndGoesOn(@TempDir Path dir) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Path missing = dir.resolve("missing.pdf");
    Path tokenFile = Files.writeString(dir.resolve("token"), TOKEN + "\n");
    String[] args = {"extract", "--server", server.address(), "--token-file", tokenFile.toString(),
        missing.toString(), SEED_FILE.toString()};
    assertEquals(ExtractCommand.EXIT_FAILED, ExtractCommand.run(args, utf8(out), utf8(err), Map.of()));
    assertEquals("govreport: " + missing + ": NOT_FOUND: no such file\n", err.toString(StandardCharsets.UTF_8));
    assertEquals(1, out.toString(StandardCharsets.UTF_8).lines().count());
  }

  // ---------------------------------------------------------------- helpers

  private static List<String> errorRules(Extraction extraction) {
    return extraction.getValidation().getFindingsList().stream()
        .filter(f -> f.getSeverity() == Severity.SEVERITY_ERROR)
        .map(Finding::getRuleId)
        .toList();
  }

  /** The Extraction of a page set of {@code pages} pages whose first three are PAGES, in order. */
  private static void assertPageSet(Extraction extraction, int pages) {
    DocumentInfo document = extraction.getDocument();
    assertEquals(DocumentFormat.DOCUMENT_FORMAT_PAGE_SET, document.getFormat());
    assertEquals(pages, document.getPageCount());
    assertEquals(GovreportClient.PAGES_FILENAME, document.getFilename());
    var metadata = extraction.getReport().getMetadata();
    assertEquals(2024, metadata.getReportYear());
    assertEquals("示例县卫生健康局", metadata.getAgency());
    // The date is printed on the third page: read on page 3, the pages kept their order.
    assertEquals("2025-01-10", metadata.getPublicationDate());
    assertEquals(3, metadata.getSourcesOrThrow("publication_date").getPage());
  }

  private static PrintStream utf8(ByteArrayOutputStream buffer) {
    return new PrintStream(buffer, true, StandardCharsets.UTF_8);
  }

  private static String key(String section, String row, String column) {
    return section + "|" + row + "|" + column;
  }

  private static String gold(String section, String row, String column) {
    String expected = gold.get(key(section, row, column));
    assertNotNull(expected, "no gold cell " + key(section, row, column));
    return expected;
  }

  /** The gold file has no quoted fields: its labels hold no commas. */
  private static Map<String, String> readGold(Path csv) throws IOException {
    Map<String, String> cells = new LinkedHashMap<>();
    List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
    assertEquals("section,row,column,expected", lines.get(0));
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split(",", -1);
      assertEquals(4, f.length, line);
      cells.put(key(f[0], f[1], f[2]), f[3]);
    }
    return cells;
  }

  /** Follows a template field path ("application_handling.outcomes.total.total"); null if unset. */
  private static Cell cellAt(Message message, String path) {
    for (String name : path.split("\\.")) {
      FieldDescriptor field = message.getDescriptorForType().findFieldByName(name);
      assertNotNull(field, "no field " + name + " in " + path);
      if (!message.hasField(field)) {
        return null;
      }
      message = (Message) message.getField(field);
    }
    return (Cell) message;
  }

  private static void assertNumber(String expected, Cell cell) {
    assertEquals(CellState.CELL_STATE_NUMBER, cell.getState(), cell::toString);
    assertCell(expected, cell, cell.getRawText());
  }

  /** Checks a cell against the gold notation of tests/gold/README.md. */
  private static void assertCell(String expected, Cell cell, String where) {
    switch (expected) {
      case "blank" -> assertEquals(CellState.CELL_STATE_BLANK, cell.getState(), where);
      case "missing" -> assertEquals(CellState.CELL_STATE_MISSING, cell.getState(), where);
      case "n/a" -> assertEquals(CellState.CELL_STATE_NOT_APPLICABLE, cell.getState(), where);
      case "text" -> {
        assertEquals(CellState.CELL_STATE_TEXT, cell.getState(), where);
        assertEquals(Cell.ValueCase.VALUE_NOT_SET, cell.getValueCase(), where);
      }
      default -> {
        boolean text = expected.startsWith("text=");
        assertEquals(text ? CellState.CELL_STATE_TEXT : CellState.CELL_STATE_NUMBER, cell.getState(), where);
        assertEquals(new BigDecimal(text ? expected.substring(5) : expected).stripTrailingZeros(), valueOf(cell), where);
      }
    }
  }

  private static BigDecimal valueOf(Cell cell) {
    return switch (cell.getValueCase()) {
      case COUNT -> BigDecimal.valueOf(cell.getCount());
      case AMOUNT -> new BigDecimal(cell.getAmount()).stripTrailingZeros();
      case CHANGE -> BigDecimal.valueOf(cell.getChange());
      case VALUE_NOT_SET -> null;
    };
  }
}
