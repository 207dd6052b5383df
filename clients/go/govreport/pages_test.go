package govreport

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
)

// writeFiles writes each name with its own name as content, returning the paths.
func writeFiles(t *testing.T, names ...string) []string {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for _, name := range names {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte("bytes of "+name), 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}
	return paths
}

func TestPagesZipKeepsTheOrderGiven(t *testing.T) {
	// Given out of the order of their names: the archive keeps the caller's.
	paths := writeFiles(t, "第10页.JPG", "第2页.png", "scan.tiff", "b.jpeg", "a.bmp", "c.Webp", "d.tif")
	archive, err := pagesZip(paths)
	if err != nil {
		t.Fatal(err)
	}
	r, err := zip.NewReader(bytes.NewReader(archive), int64(len(archive)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for i, f := range r.File {
		names = append(names, f.Name)
		if f.Method != zip.Store {
			t.Errorf("%s: method %d, want stored", f.Name, f.Method)
		}
		if strings.ContainsFunc(f.Name, func(r rune) bool { return r > 127 }) && f.Flags&0x800 == 0 {
			t.Errorf("%s: no UTF-8 flag", f.Name)
		}
		rc, err := f.Open() // checks the CRC-32 too
		if err != nil {
			t.Fatal(err)
		}
		content, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		if want := "bytes of " + filepath.Base(paths[i]); string(content) != want {
			t.Errorf("%s: content %q, want %q", f.Name, content, want)
		}
	}
	want := []string{"0001-第10页.JPG", "0002-第2页.png", "0003-scan.tiff", "0004-b.jpeg", "0005-a.bmp", "0006-c.Webp", "0007-d.tif"}
	if !slices.Equal(names, want) {
		t.Errorf("members %q, want %q", names, want)
	}

	// The same pages give the same bytes (no time stamps of their own).
	again, err := pagesZip(paths)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(archive, again) {
		t.Error("two archives of the same pages differ")
	}
}

func TestPagesZipRefuses(t *testing.T) {
	images := writeFiles(t, "1.png", "2.jpg")
	for _, tc := range []struct {
		name  string
		paths []string
		want  string // in the message
	}{
		{"no pages", nil, "no pages"},
		{"empty", []string{}, "no pages"},
		{"a text file", []string{images[0], "notes.txt", images[1]}, "page 2, notes.txt, is not a page image"},
		{"a PDF", []string{"report.PDF"}, "report.PDF"},
		{"no extension", []string{images[0], "scan"}, "page 2, scan,"},
		// Refused on its name before any file is read: the missing PNG does not count.
		{"before reading", []string{"missing.png", "x.docx"}, "x.docx"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := pagesZip(tc.paths)
			var e *Error
			if !errors.As(err, &e) || e.Code != codes.InvalidArgument || e.Reason != "INVALID_ARGUMENT" {
				t.Fatalf("got %v (%T), want an *Error INVALID_ARGUMENT, reason the code's name", err, err)
			}
			if !strings.Contains(e.Message, tc.want) {
				t.Errorf("message %q does not say %q", e.Message, tc.want)
			}
			if !strings.HasPrefix(e.Error(), "INVALID_ARGUMENT: ") {
				t.Errorf("Error() = %q", e.Error())
			}
		})
	}

	// A missing page is an *Error NOT_FOUND naming it, wrapping its
	// *fs.PathError, as for ExtractFile.
	missing := filepath.Join(t.TempDir(), "missing.png")
	_, err := pagesZip([]string{images[0], missing})
	var pathErr *fs.PathError
	if !errors.Is(err, fs.ErrNotExist) || !errors.As(err, &pathErr) || pathErr.Path != missing {
		t.Errorf("missing page: got %v (%T)", err, err)
	}
	var e *Error
	if !errors.As(err, &e) || e.Code != codes.NotFound || e.Reason != ReasonNotFound || e.Message != missing+": no such file" {
		t.Errorf("missing page: got %#v", err)
	}
}

func TestExtractPagesRefusesWithoutACall(t *testing.T) {
	// Nothing listens on port 1: a call would fail UNAVAILABLE.
	c, err := New(Options{Addresses: []string{"127.0.0.1:1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, paths := range [][]string{nil, {"page.txt"}} {
		_, err := c.ExtractPages(context.Background(), paths)
		if e, ok := err.(*Error); !ok || e.Code != codes.InvalidArgument {
			t.Errorf("%q: got %v, want INVALID_ARGUMENT", paths, err)
		}
	}
}
