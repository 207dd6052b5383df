package dev.govreport.client;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.grpc.Status;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code extract [--server ADDR[,ADDR...]] [--timeout S] [--token T] [--tls-ca FILE] [--pages] FILE...}
 *
 * <p>Prints each file's Extraction as proto3 JSON, one line per file (JSON Lines), in the order the
 * files were given. A file that fails gets {@code FILE: REASON: message} on stderr. With {@code
 * --pages}, the files are the page images of ONE report, in the order given: one line, or {@code
 * pages.zip: REASON: message}. Exit status: 0 when every file was extracted, 2 when one failed or
 * the arguments are wrong.
 */
public final class ExtractCommand {
  static final String USAGE =
      "usage: extract [--server ADDR[,ADDR...]] [--timeout S] [--token T] [--tls-ca FILE] [--pages] FILE...\n"
          + "  --server   server address(es), comma-separated (default localhost:50051)\n"
          + "  --timeout  seconds per document (default 300)\n"
          + "  --token    bearer token (default: $GOVREPORT_TOKEN)\n"
          + "  --tls-ca   PEM CA file: connect with TLS\n"
          + "  --pages    the FILEs are the page images (.png .jpg .jpeg .tif .tiff .bmp .webp) of one\n"
          + "             report, in the order given: one line (a failure: pages.zip: REASON: message)\n";

  static final int EXIT_OK = 0;
  static final int EXIT_FAILED = 2;

  private ExtractCommand() {}

  public static void main(String[] args) {
    // Explicitly UTF-8: the JSON holds Chinese text, and the platform encoding may be ASCII.
    PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
    PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
    int status = run(args, out, err, System.getenv("GOVREPORT_TOKEN"));
    out.flush();
    System.exit(status);
  }

  /** Runs the command; returns the exit status. */
  static int run(String[] args, PrintStream out, PrintStream err, String defaultToken) {
    Options options;
    try {
      options = Options.parse(Arrays.asList(args), defaultToken);
    } catch (IllegalArgumentException e) {
      err.println("extract: " + e.getMessage());
      err.print(USAGE);
      return EXIT_FAILED;
    }
    if (options.help) {
      out.print(USAGE);
      return EXIT_OK;
    }

    GovreportClient.Builder builder =
        GovreportClient.newBuilder().targets(options.servers).timeout(options.timeout);
    if (options.token != null) {
      builder.bearerToken(options.token);
    }
    if (options.tlsCa != null) {
      builder.tlsCaFile(options.tlsCa);
    }
    JsonFormat.Printer printer = JsonFormat.printer().omittingInsignificantWhitespace();
    if (options.pages) {
      return extractPages(builder, options.files, printer, out, err);
    }
    boolean failed = false;
    try (GovreportClient client = builder.build();
        BatchResults results = client.extractMany(options.files)) {
      // Results come back in any order; print them in the order given. A file given twice has
      // two results under the same id, hence a queue of positions per id.
      Map<String, Deque<Integer>> positions = new HashMap<>();
      for (int i = 0; i < options.files.size(); i++) {
        positions.computeIfAbsent(options.files.get(i).toString(), k -> new ArrayDeque<>()).add(i);
      }
      TreeMap<Integer, BatchResult> waiting = new TreeMap<>();
      int nextToPrint = 0;
      while (results.hasNext()) {
        BatchResult result = results.next();
        waiting.put(positions.get(result.id()).poll(), result);
        while (!waiting.isEmpty() && waiting.firstKey() == nextToPrint) {
          failed |= !print(waiting.pollFirstEntry().getValue(), printer, out, err);
          nextToPrint++;
        }
      }
    } catch (IOException e) {
      // Only building the client reads files (the TLS ones).
      err.println("extract: " + e);
      return EXIT_FAILED;
    }
    return failed ? EXIT_FAILED : EXIT_OK;
  }

  /** {@code --pages}: the files as the pages of one report, printed as one result. */
  private static int extractPages(
      GovreportClient.Builder builder, List<Path> pages, JsonFormat.Printer printer, PrintStream out, PrintStream err) {
    BatchResult result;
    try (GovreportClient client = builder.build()) {
      try {
        result = BatchResult.success(PageSet.FILENAME, client.extractPages(pages));
      } catch (GovreportException e) {
        result = BatchResult.failure(PageSet.FILENAME, e);
      } catch (IOException e) {
        // A page that cannot be read: named in the message, the document being pages.zip.
        String message = e instanceof NoSuchFileException missing ? missing.getFile() + ": no such file" : e.toString();
        result = BatchResult.failure(
            PageSet.FILENAME, new GovreportException(Status.Code.UNKNOWN, GovreportException.IO_ERROR, message, e));
      }
    } catch (IOException e) {
      // Building the client reads the TLS files.
      err.println("extract: " + e);
      return EXIT_FAILED;
    }
    return print(result, printer, out, err) ? EXIT_OK : EXIT_FAILED;
  }

  /** Prints one result; returns whether it was a success. */
  private static boolean print(BatchResult result, JsonFormat.Printer printer, PrintStream out, PrintStream err) {
    if (!result.ok()) {
      GovreportException e = result.error();
      err.println(result.id() + ": " + e.reasonOrCode() + ": " + e.getMessage());
      return false;
    }
    try {
      out.println(printer.print(result.extraction()));
      out.flush(); // one line as soon as it is ready, for whoever reads the pipe
      return true;
    } catch (InvalidProtocolBufferException e) {
      // Only an Any with an unknown type can fail to print, and an Extraction has none.
      err.println(result.id() + ": INTERNAL: " + e.getMessage());
      return false;
    }
  }

  /** The parsed command line. */
  private static final class Options {
    List<String> servers = List.of("localhost:50051");
    Duration timeout = Duration.ofSeconds(300);
    String token;
    Path tlsCa;
    boolean help;
    boolean pages;
    final List<Path> files = new ArrayList<>();

    static Options parse(List<String> args, String defaultToken) {
      Options o = new Options();
      o.token = defaultToken == null || defaultToken.isEmpty() ? null : defaultToken;
      if (args.isEmpty() || !args.get(0).equals("extract")) {
        if (!args.isEmpty() && (args.get(0).equals("--help") || args.get(0).equals("-h"))) {
          o.help = true;
          return o;
        }
        throw new IllegalArgumentException("the command is `extract`");
      }
      boolean onlyFiles = false;
      for (int i = 1; i < args.size(); i++) {
        String arg = args.get(i);
        if (onlyFiles || !arg.startsWith("-") || arg.equals("-")) {
          o.files.add(Path.of(arg));
          continue;
        }
        if (arg.equals("--")) {
          onlyFiles = true;
          continue;
        }
        if (arg.equals("--help") || arg.equals("-h")) {
          o.help = true;
          return o;
        }
        if (arg.equals("--pages")) {
          o.pages = true;
          continue;
        }
        // --flag VALUE or --flag=VALUE
        String name = arg;
        String value;
        int eq = arg.indexOf('=');
        if (eq > 0) {
          name = arg.substring(0, eq);
          value = arg.substring(eq + 1);
        } else if (i + 1 < args.size()) {
          value = args.get(++i);
        } else {
          throw new IllegalArgumentException(arg + " needs a value");
        }
        switch (name) {
          case "--server" -> o.servers = servers(value);
          case "--timeout" -> o.timeout = seconds(value);
          case "--token" -> o.token = value;
          case "--tls-ca" -> o.tlsCa = Path.of(value);
          default -> throw new IllegalArgumentException("unknown option " + name);
        }
      }
      if (o.files.isEmpty()) {
        throw new IllegalArgumentException("no FILE given");
      }
      return o;
    }

    private static List<String> servers(String value) {
      List<String> servers = Arrays.stream(value.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
      if (servers.isEmpty()) {
        throw new IllegalArgumentException("--server needs an address");
      }
      return servers;
    }

    private static Duration seconds(String value) {
      try {
        double seconds = Double.parseDouble(value);
        if (!(seconds > 0) || Double.isInfinite(seconds)) {
          throw new NumberFormatException();
        }
        return Duration.ofNanos((long) (seconds * 1e9));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("--timeout needs a positive number of seconds, not " + value);
      }
    }
  }
}
