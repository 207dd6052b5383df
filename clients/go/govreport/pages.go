package govreport

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"google.golang.org/grpc/codes"

	govreportv1 "github.com/govreport/govreport/clients/go/gen/govreport/v1"
)

// PagesFilename is the file name a page set is sent under.
const PagesFilename = "pages.zip"

// pageExtensions are the image files a page set may hold, lower case.
var pageExtensions = []string{".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"}

// zipTime is every member's modification time: the same pages make the same
// archive (and the same sha256 on the server) whenever they are sent.
var zipTime = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// ExtractPages extracts page images (one file a page: scans, phone photos)
// as ONE report, the pages in the order of paths whatever the files are
// called. They go to the server as a ZIP archive named PagesFilename whose
// members are "0001-<base name>", "0002-<base name>", …, sent like any
// document: with ExtractUpload, in chunks, when over UploadThreshold.
//
// No paths, or a file that is not a .png, .jpg, .jpeg, .tif, .tiff, .bmp or
// .webp image (by its name, in any case), is refused before any call with
// an *Error of code and Reason INVALID_ARGUMENT naming the file. A page
// that cannot be read is an *Error NOT_FOUND or UNREADABLE whose message
// starts with its path, unwrapping to its *fs.PathError.
func (c *Client) ExtractPages(ctx context.Context, paths []string, opts ...CallOption) (*govreportv1.Extraction, error) {
	archive, err := pagesZip(paths)
	if err != nil {
		return nil, err
	}
	return c.Extract(ctx, archive, PagesFilename, opts...)
}

// pagesZip is the archive ExtractPages sends: the files stored (images are
// compressed already, and a stored member cannot look like a zip bomb to
// the server), named by their place in paths and their base name.
func pagesZip(paths []string) ([]byte, error) {
	if len(paths) == 0 {
		return nil, &Error{Code: codes.InvalidArgument, Reason: codeName(codes.InvalidArgument), Message: "no pages: a page set needs at least one page image"}
	}
	for i, path := range paths {
		if !isPageImage(path) {
			return nil, &Error{Code: codes.InvalidArgument, Reason: codeName(codes.InvalidArgument), Message: fmt.Sprintf(
				"page %d, %s, is not a page image: pages are %s files", i+1, path, strings.Join(pageExtensions, ", "))}
		}
	}
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for i, path := range paths {
		if err := addPage(w, fmt.Sprintf("%04d-%s", i+1, filepath.Base(path)), path); err != nil {
			return nil, fileError(path, PagesFilename, err)
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func addPage(w *zip.Writer, name, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	member, err := w.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store, Modified: zipTime})
	if err != nil {
		return err
	}
	if _, err := io.Copy(member, f); err != nil {
		// A read error of f is an *fs.PathError already; writing to memory does not fail.
		return err
	}
	return nil
}

func isPageImage(path string) bool {
	return slices.Contains(pageExtensions, strings.ToLower(filepath.Ext(path)))
}
