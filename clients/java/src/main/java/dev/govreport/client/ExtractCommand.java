package dev.govreport.client;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.govreport.v1.Extraction;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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
 * {@code govreport extract [options] FILE...}, as every govreport client's (docs/clients.md).
 *
 * <p>Prints each file's Extraction as protojson (lowerCamelCase names, 64-bit integers as strings,
 * defaults left out), one line per file (JSON Lines), in the order the files were given. A file
 * that fails gets {@code govreport: FILE: REASON: message} on stderr. A folder of page images
 * numbered 1…N is one report; with {@code --pages}, the files are the page images of ONE report, in
 * the order given ({@code pages.zip}). Exit status: 0 every file extracted with no error findings,
 * 1 every file extracted but some report has findings of error severity, 2 some file failed or a
 * usage error.
 */
public final class ExtractCommand {
  /** The name messages start with: the command is {@code govreport extract}. */
  static final String PROG = "govreport";

  static final String DEFAULT_SERVER = "127.0.0.1:50051";

  static final String USAGE =
      "usage: govreport extract [options] FILE...\n"
          + "       govreport extract [options] --pages PAGE...\n"
          + "  --server ADDR[,ADDR...]  server(s), sharing the files (default $GOVREPORT_SERVER, else "
          + DEFAULT_SERVER + ")\n"
          + "  --timeout SECONDS        each document's deadline (default 300)\n"
          + "  --filed-year N           the year the reports are filed under (rule R9)\n"
          + "  --token T                bearer token (default $GOVREPORT_TOKEN)\n"
          + "  --token-file F           read the bearer token from F\n"
          + "  --tls-ca F               PEM CA file: connect with TLS\n"
          + "  --tls-cert F --tls-key F client certificate and PKCS#8 key (mutual TLS)\n"
          + "  --tls-server-name N      the name the server's certificate must carry\n"
          + "  --pages                  the FILEs are the page images (.png .jpg .jpeg .tif .tiff .bmp\n"
          + "                           .webp) of one report, in the order given\n"
          + "A FILE that is a folder of page images numbered 1…N is one report.\n"
          + "Exit status: 0 all extracted; 1 all extracted, some report has error findings; 2 a file\n"
          + "failed, or a usage error.\n";

  static final int EXIT_OK = 0;
  static final int EXIT_FINDINGS = 1;
  static final int EXIT_FAILED = 2;

  private ExtractCommand() {}

  public static void main(String[] args) {
    // Explicitly UTF-8: the JSON holds Chinese text, and the platform encoding may be ASCII.
    PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
    PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
    int status = run(args, out, err, System.getenv());
    out.flush();
    System.exit(status);
  }

  /** Runs the command with these environment variables; returns the exit status. */
  static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env) {
    Options options;
    try {
      options = Options.parse(Arrays.asList(args), env);
    } catch (IllegalArgumentException e) {
      err.println(PROG + ": " + e.getMessage());
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
    if (options.tlsCert != null) {
      builder.clientCertificate(options.tlsCert, options.tlsKey);
    }
    if (options.tlsServerName != null) {
      builder.tlsServerName(options.tlsServerName);
    }
    DocumentOptions documentOptions = DocumentOptions.builder().filedYear(options.filedYear).build();
    JsonFormat.Printer printer = JsonFormat.printer().omittingInsignificantWhitespace();

    GovreportClient client;
    try {
      client = builder.build();
    } catch (GovreportException e) {
      // Building the client reads the TLS files; the message names the file.
      err.println(PROG + ": " + e.reason() + ": " + e.getMessage());
      return EXIT_FAILED;
    }
    Outcome outcome = new Outcome();
    try (client) {
      if (options.pages) {
        BatchResult result;
        try {
          result = BatchResult.success(PageSet.FILENAME, client.extractPages(options.files, documentOptions));
        } catch (GovreportException e) {
          result = BatchResult.failure(PageSet.FILENAME, e);
        }
        outcome.print(result, printer, out, err);
      } else if (options.files.size() == 1) {
        // A document sent alone: --timeout is its call's deadline.
        Path file = options.files.get(0);
        BatchResult result;
        try {
          result = BatchResult.success(file.toString(), client.extractFile(file, documentOptions));
        } catch (GovreportException e) {
          result = BatchResult.failure(file.toString(), e);
        }
        outcome.print(result, printer, out, err);
      } else {
        extractMany(client, options.files, documentOptions, printer, out, err, outcome);
      }
    }
    return outcome.failed ? EXIT_FAILED : outcome.findings ? EXIT_FINDINGS : EXIT_OK;
  }

  /** The files over ExtractBatch streams: --timeout is each document's time_limit. */
  private static void extractMany(
      GovreportClient client,
      List<Path> files,
      DocumentOptions options,
      JsonFormat.Printer printer,
      PrintStream out,
      PrintStream err,
      Outcome outcome) {
    try (BatchResults results = client.extractMany(files, options)) {
      // Results come back in any order; print them in the order given. A file given twice has
      // two results under the same id, hence a queue of positions per id.
      Map<String, Deque<Integer>> positions = new HashMap<>();
      for (int i = 0; i < files.size(); i++) {
        positions.computeIfAbsent(files.get(i).toString(), k -> new ArrayDeque<>()).add(i);
      }
      TreeMap<Integer, BatchResult> waiting = new TreeMap<>();
      int nextToPrint = 0;
      for (BatchResult result : results) {
        waiting.put(positions.get(result.id()).poll(), result);
        while (!waiting.isEmpty() && waiting.firstKey() == nextToPrint) {
          outcome.print(waiting.pollFirstEntry().getValue(), printer, out, err);
          nextToPrint++;
        }
      }
    }
  }

  /** JsonFormat's HTML-safe escapes ({@code \u003c} for {@code <}, …), not preceded by a backslash. */
  private static final java.util.regex.Pattern HTML_ESCAPE =
      java.util.regex.Pattern.compile("(?<!\\\\)((?:\\\\\\\\)*)\\\\u00(3c|3e|26|27|3d)");

  /**
   * The JSON with the characters JsonFormat escapes for HTML ({@code < > & ' =}) written as
   * themselves, as protojson (Go) and the other clients print them: UTF-8 unescaped.
   */
  static String unescapeHtml(String json) {
    return HTML_ESCAPE.matcher(json).replaceAll(m -> java.util.regex.Matcher.quoteReplacement(
        m.group(1) + (char) Integer.parseInt(m.group(2), 16)));
  }

  /** What the files came to so far. */
  private static final class Outcome {
    boolean failed;
    boolean findings;

    /** Prints one result: its JSON line, or its error on stderr. */
    void print(BatchResult result, JsonFormat.Printer printer, PrintStream out, PrintStream err) {
      if (!result.ok()) {
        GovreportException e = result.error();
        err.println(PROG + ": " + result.id() + ": " + e.reason() + ": " + e.getMessage());
        failed = true;
        return;
      }
      Extraction extraction = result.extraction();
      try {
        out.println(unescapeHtml(printer.print(extraction)));
        out.flush(); // one line as soon as it is ready, for whoever reads the pipe
      } catch (InvalidProtocolBufferException e) {
        // Only an Any with an unknown type can fail to print, and an Extraction has none.
        err.println(PROG + ": " + result.id() + ": INTERNAL: " + e.getMessage());
        failed = true;
        return;
      }
      if (extraction.getValidation().getErrorCount() > 0) {
        findings = true;
      }
    }
  }

  /** The parsed command line. */
  static final class Options {
    /** The options that take a value. */
    static final List<String> VALUED = List.of("--server", "--timeout", "--filed-year", "--token", "--token-file",
        "--tls-ca", "--tls-cert", "--tls-key", "--tls-server-name");

    List<String> servers;
    Duration timeout = Duration.ofSeconds(300);
    int filedYear;
    String token;
    Path tlsCa;
    Path tlsCert;
    Path tlsKey;
    String tlsServerName;
    boolean help;
    boolean pages;
    final List<Path> files = new ArrayList<>();

    static Options parse(List<String> args, Map<String, String> env) {
      Options o = new Options();
      String server = env.get("GOVREPORT_SERVER");
      o.servers = servers(server == null || server.isBlank() ? DEFAULT_SERVER : server, "$GOVREPORT_SERVER");
      String token = env.get("GOVREPORT_TOKEN");
      o.token = token == null || token.isEmpty() ? null : token;
      if (args.isEmpty() || !args.get(0).equals("extract")) {
        if (!args.isEmpty() && (args.get(0).equals("--help") || args.get(0).equals("-h"))) {
          o.help = true;
          return o;
        }
        throw new IllegalArgumentException(
            args.isEmpty() ? "no command: the command is `extract`" : "unknown command " + args.get(0) + ": the command is `extract`");
      }
      Path tokenFile = null;
      String tokenFlag = null;
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
        }
        if (!VALUED.contains(name)) {
          throw new IllegalArgumentException("unknown option " + name);
        }
        if (eq > 0) {
          value = arg.substring(eq + 1);
        } else if (i + 1 < args.size()) {
          value = args.get(++i);
        } else {
          throw new IllegalArgumentException(arg + " needs a value");
        }
        switch (name) {
          case "--server" -> o.servers = servers(value, "--server");
          case "--timeout" -> o.timeout = seconds(value);
          case "--filed-year" -> o.filedYear = year(value);
          case "--token" -> tokenFlag = value;
          case "--token-file" -> tokenFile = Path.of(value);
          case "--tls-ca" -> o.tlsCa = Path.of(value);
          case "--tls-cert" -> o.tlsCert = Path.of(value);
          case "--tls-key" -> o.tlsKey = Path.of(value);
          case "--tls-server-name" -> o.tlsServerName = value;
          default -> throw new IllegalArgumentException("unknown option " + name);
        }
      }
      if ((o.tlsCert == null) != (o.tlsKey == null)) {
        throw new IllegalArgumentException("--tls-cert and --tls-key go together");
      }
      if (tokenFlag != null && tokenFile != null) {
        throw new IllegalArgumentException("give --token or --token-file, not both");
      }
      if (tokenFlag != null) {
        o.token = tokenFlag.isEmpty() ? null : tokenFlag;
      } else if (tokenFile != null) {
        try {
          o.token = Files.readString(tokenFile, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
          GovreportException error = GovreportException.fromLocal(e, null);
          throw new IllegalArgumentException(
              "--token-file " + tokenFile + ": " + error.reason() + ": " + error.getMessage());
        }
        if (o.token.isEmpty()) {
          throw new IllegalArgumentException("--token-file " + tokenFile + " is empty");
        }
      }
      if (o.files.isEmpty()) {
        throw new IllegalArgumentException("no FILE given");
      }
      return o;
    }

    private static List<String> servers(String value, String from) {
      List<String> servers = Arrays.stream(value.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
      if (servers.isEmpty()) {
        throw new IllegalArgumentException(from + " needs an address");
      }
      return servers;
    }

    private static Duration seconds(String value) {
      try {
        double seconds = Double.parseDouble(value);
        if (!(seconds > 0) || Double.isInfinite(seconds)) {
          throw new NumberFormatException();
        }
        return Duration.ofNanos(Math.max(1, (long) (seconds * 1e9)));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("--timeout needs a positive number of seconds, not " + value);
      }
    }

    private static int year(String value) {
      try {
        int year = Integer.parseInt(value);
        if (year < 0) {
          throw new NumberFormatException();
        }
        return year;
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("--filed-year needs a year, not " + value);
      }
    }
  }
}
