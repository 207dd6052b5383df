package dev.govreport.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** The archive of a page set, and what is refused before any call. No server needed. */
class PageSetTest {
  /** Writes each name, holding "bytes of NAME", into {@code dir}. */
  private static List<Path> files(Path dir, String... names) throws IOException {
    List<Path> paths = new ArrayList<>();
    for (String name : names) {
      paths.add(Files.writeString(dir.resolve(name), "bytes of " + name));
    }
    return paths;
  }

  @Test
  void membersAreNumberedInTheOrderGivenWhateverTheFilesAreCalled(@TempDir Path dir) throws IOException {
    String[] names = {"第10页.JPG", "第2页.png", "scan.tiff", "b.jpeg", "a.bmp", "c.Webp", "d.tif"};
    List<Path> pages = files(dir, names);
    byte[] archive = PageSet.zip(pages);

    List<String> members = new ArrayList<>();
    try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(archive), StandardCharsets.UTF_8)) {
      for (ZipEntry entry; (entry = zip.getNextEntry()) != null; ) {
        members.add(entry.getName());
        assertEquals(ZipEntry.STORED, entry.getMethod(), entry.getName());
        // ZipInputStream checks the CRC-32 and the size as it reads.
        assertEquals("bytes of " + names[members.size() - 1], new String(zip.readAllBytes(), StandardCharsets.UTF_8));
      }
    }
    assertEquals(
        List.of("0001-第10页.JPG", "0002-第2页.png", "0003-scan.tiff", "0004-b.jpeg", "0005-a.bmp", "0006-c.Webp", "0007-d.tif"),
        members);
    // The first local header's general purpose flags: bit 11, the name is UTF-8 (Python's zipfile,
    // on the server, reads names without it as CP437).
    assertNotEquals(0, (archive[6] & 0xff | (archive[7] & 0xff) << 8) & 0x800);
    assertArrayEquals(archive, PageSet.zip(pages), "the same pages, the same bytes");
  }

  @Test
  void noPagesAndFilesThatAreNoPageImagesAreRefusedWithoutACall(@TempDir Path dir) throws IOException {
    Path image = files(dir, "1.png").get(0);
    // Nothing listens on port 1: a call would fail UNAVAILABLE.
    try (GovreportClient client = GovreportClient.newBuilder().target("127.0.0.1:1").build()) {
      assertRefused("no pages", () -> client.extractPages(List.of()));
      assertRefused("page 2, notes.txt, is not a page image", () -> client.extractPages(List.of(image, Path.of("notes.txt"))));
      assertRefused("report.PDF", () -> client.extractPages(List.of(Path.of("report.PDF"))));
      assertRefused("page 2, scan,", () -> client.extractPages(List.of(image, Path.of("scan"))));
      // Refused by its name before any file is read: the missing PNG does not count.
      assertRefused("x.docx", () -> client.extractPages(List.of(Path.of("missing.png"), Path.of("x.docx"))));

      // A page that cannot be read: NOT_FOUND, as for extractFile, naming the page.
      Path missing = dir.resolve("第9页.png");
      GovreportException e = assertThrows(GovreportException.class, () -> client.extractPages(List.of(image, missing)));
      assertEquals(Status.Code.NOT_FOUND, e.code());
      assertEquals("NOT_FOUND", e.reason());
      assertEquals(missing + ": no such file", e.getMessage());
    }
  }

  @Test
  void imagesAreKnownByTheirExtensionInAnyCase() {
    for (String name : List.of("a.png", "a.PNG", "b.jpg", "b.JPEG", "c.tif", "c.Tiff", "d.bmp", "e.webp")) {
      assertTrue(PageSet.isPageImage(Path.of("dir.txt", name)), name);
    }
    for (String name : List.of("a.txt", "a.pdf", "png", "a.png.zip", "a.jpg2")) {
      assertFalse(PageSet.isPageImage(Path.of("dir.png", name)), name);
    }
  }

  private static void assertRefused(String message, Executable call) {
    GovreportException e = assertThrows(GovreportException.class, call);
    assertEquals(Status.Code.INVALID_ARGUMENT, e.code());
    assertEquals("INVALID_ARGUMENT", e.reason());
    assertTrue(e.getMessage().contains(message), e.getMessage());
  }
}
