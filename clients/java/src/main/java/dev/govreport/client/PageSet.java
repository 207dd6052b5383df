package dev.govreport.client;

import io.grpc.Status;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Locale;
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

  private PageSet() {}

  /**
   * The archive of the pages, in the order given, every member stored: page images are compressed
   * already, and a stored member never looks like a zip bomb to the server.
   *
   * @throws GovreportException {@code INVALID_ARGUMENT} (no reason) for no pages, or a file that is
   *     no page image by its extension, before any file is read
   * @throws IOException a page that cannot be read
   */
  static byte[] zip(List<Path> pages) throws IOException {
    if (pages.isEmpty()) {
      throw invalid("no pages: a page set needs at least one page image");
    }
    for (int i = 0; i < pages.size(); i++) {
      if (!isPageImage(pages.get(i))) {
        throw invalid("page " + (i + 1) + ", " + pages.get(i) + ", is not a page image: pages are "
            + String.join(", ", EXTENSIONS) + " files");
      }
    }
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    // Names are UTF-8 (ZipOutputStream's default), with the flag that says so when they need it.
    try (ZipOutputStream zip = new ZipOutputStream(buffer)) {
      for (int i = 0; i < pages.size(); i++) {
        byte[] data = Files.readAllBytes(pages.get(i));
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
