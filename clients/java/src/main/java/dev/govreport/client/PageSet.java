package dev.govreport.client;

import io.grpc.Status;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * A page set: the page images of one report (one file a page: scans, phone photos) as ONE
 * document, a ZIP archive whose member names keep the caller's order, {@code 0001-<name>}, {@code
 * 0002-<name>}, … (the server orders the pages by member name).
 */
final class PageSet {
  /** The file name a page set is sent under. */
  static final String FILENAME = "pages.zip";

  /** The files a page set may hold, by extension (in any case). */
  static final List<String> EXTENSIONS = List.of(".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp");

  /** Every member's time: the same pages make the same archive. 1980 is the earliest MS-DOS time. */
  private static final LocalDateTime TIME = LocalDateTime.of(1980, 1, 1, 0, 0);

  /** Names in a folder that are no pages: thumbnail caches. */
  private static final List<String> NO_PAGES = List.of("thumbs.db", "desktop.ini");

  private static final Pattern DIGITS = Pattern.compile("(\\d+)");

  private PageSet() {}

  /** A document to send: its bytes and the file name it goes by. */
  record Document(byte[] content, String filename) {}

  /**
   * The document a path names: a file's bytes, or a folder of page images numbered 1…N (or 0…N-1)
   * as one report, {@code <folder>.zip}.
   *
   * @throws GovreportException {@code NOT_FOUND} "no such file", {@code UNREADABLE}, or {@code
   *     INVALID_ARGUMENT} for a folder that is not such pages
   */
  static Document read(Path path) {
    if (Files.isDirectory(path)) {
      List<Path> pages = folder(path);
      if (pages == null) {
        throw invalid("a folder is read as one report only when it holds page images numbered 1…N "
            + "(第1页.jpg, p2.png, …); give its documents instead");
      }
      Path name = path.toAbsolutePath().normalize().getFileName();
      return new Document(zip(pages), (name == null ? "pages" : name.toString()) + ".zip");
    }
    try {
      return new Document(Files.readAllBytes(path), GovreportClient.filenameOf(path));
    } catch (IOException e) {
      throw GovreportException.fromLocal(e, null);
    }
  }

  /**
   * A folder's page images in page order, when every entry (hidden files, {@code __MACOSX} and
   * thumbnail caches left out) is one, there are at least two, and the last numbers of their names
   * run 1…N or 0…N-1; null otherwise.
   */
  static List<Path> folder(Path folder) {
    List<Path> entries = new ArrayList<>();
    try (Stream<Path> list = Files.list(folder)) {
      for (Path p : (Iterable<Path>) list::iterator) {
        String name = GovreportClient.filenameOf(p);
        if (name.startsWith(".") || name.equals("__MACOSX") || NO_PAGES.contains(name.toLowerCase(Locale.ROOT))) {
          continue;
        }
        entries.add(p);
      }
    } catch (IOException e) {
      return null;
    }
    if (entries.size() < 2) {
      return null;
    }
    List<Integer> numbers = new ArrayList<>();
    for (Path p : entries) {
      Integer n = pageNumber(GovreportClient.filenameOf(p));
      if (!Files.isRegularFile(p) || !isPageImage(p) || n == null) {
        return null;
      }
      numbers.add(n);
    }
    numbers.sort(null);
    int first = numbers.get(0);
    if (first != 0 && first != 1) {
      return null;
    }
    for (int i = 0; i < numbers.size(); i++) {
      if (numbers.get(i) != first + i) {
        return null;
      }
    }
    entries.sort(Comparator.comparing(p -> pageNumber(GovreportClient.filenameOf(p))));
    return entries;
  }

  /** The page a file's name numbers: the last number in its stem; null if none. */
  static Integer pageNumber(String name) {
    int dot = name.lastIndexOf('.');
    String stem = dot > 0 ? name.substring(0, dot) : name;
    Matcher m = DIGITS.matcher(stem);
    String last = null;
    while (m.find()) {
      last = m.group(1);
    }
    if (last == null) {
      return null;
    }
    try {
      return Integer.parseInt(last);
    } catch (NumberFormatException e) {
      return null; // more digits than a page number has
    }
  }

  /**
   * The archive of the pages, in the order given, every member stored: page images are compressed
   * already, and a stored member never looks like a zip bomb to the server.
   *
   * @throws GovreportException {@code INVALID_ARGUMENT} (no reason) for no pages, or a file that is
   *     no page image by its extension, before any file is read
   * @throws GovreportException {@code NOT_FOUND} or {@code UNREADABLE} for a page that cannot be
   *     read, the message naming it
   */
  static byte[] zip(List<Path> pages) {
    if (pages.isEmpty()) {
      throw invalid("no pages: a page set needs at least one page image");
    }
    for (int i = 0; i < pages.size(); i++) {
      if (!isPageImage(pages.get(i))) {
        throw invalid("page " + (i + 1) + ", " + pages.get(i) + ", is not a page image: pages are "
            + String.join(", ", EXTENSIONS) + " files");
      }
    }
    try {
      return archive(pages);
    } catch (IOException e) {
      // Writing to memory: only reading a page can fail, and that is handled in archive.
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static byte[] archive(List<Path> pages) throws IOException {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    // Names are UTF-8 (ZipOutputStream's default), with the flag that says so when they need it.
    try (ZipOutputStream zip = new ZipOutputStream(buffer)) {
      for (int i = 0; i < pages.size(); i++) {
        byte[] data;
        try {
          data = Files.readAllBytes(pages.get(i));
        } catch (IOException e) {
          throw GovreportException.fromLocal(e, pages.get(i).toString());
        }
        CRC32 crc = new CRC32();
        crc.update(data);
        ZipEntry entry = new ZipEntry(String.format(Locale.ROOT, "%04d-%s", i + 1, GovreportClient.filenameOf(pages.get(i))));
        entry.setMethod(ZipEntry.STORED);
        entry.setSize(data.length);
        entry.setCompressedSize(data.length);
        entry.setCrc(crc.getValue());
        entry.setTimeLocal(TIME);
        zip.putNextEntry(entry);
        zip.write(data);
        zip.closeEntry();
      }
    }
    return buffer.toByteArray();
  }

  static boolean isPageImage(Path page) {
    String name = GovreportClient.filenameOf(page).toLowerCase(Locale.ROOT);
    int dot = name.lastIndexOf('.');
    return dot >= 0 && EXTENSIONS.contains(name.substring(dot));
  }

  private static GovreportException invalid(String message) {
    return new GovreportException(Status.Code.INVALID_ARGUMENT, "", message, null);
  }
}
