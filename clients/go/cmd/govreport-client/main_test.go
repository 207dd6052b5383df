package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"

	govreportv1 "github.com/govreport/govreport/clients/go/gen/govreport/v1"
	"github.com/govreport/govreport/clients/go/internal/testserver"
)

var (
	server *testserver.Server
	repo   string
)

func TestMain(m *testing.M) {
	var err error
	if repo, err = testserver.RepoRoot(); err == nil {
		server, err = testserver.Start()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	if err := server.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping the server:", err)
	}
	os.Exit(code)
}

func sample(seed string) string {
	return filepath.Join(repo, "server", "govreport", "samples", seed+".txt")
}

func runCommand(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// lines parses JSON Lines of Extractions.
func lines(t *testing.T, stdout string) []*govreportv1.Extraction {
	t.Helper()
	var xs []*govreportv1.Extraction
	for _, line := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
		if line == "" {
			continue
		}
		x := &govreportv1.Extraction{}
		if err := protojson.Unmarshal([]byte(line), x); err != nil {
			t.Fatalf("not an Extraction: %v: %.200s", err, line)
		}
		xs = append(xs, x)
	}
	return xs
}

func TestExtractOne(t *testing.T) {
	code, stdout, stderr := runCommand("extract", "--server", server.Addr, sample("000_920faedf84c991f1"))
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	xs := lines(t, stdout)
	if len(xs) != 1 || strings.Count(stdout, "\n") != 1 {
		t.Fatalf("want one line, got %q", stdout)
	}
	r := xs[0].GetReport()
	if r.GetMetadata().GetReportYear() != 2023 ||
		r.GetProactiveDisclosure_2021().GetLicensingDecisions().GetCount() != 292 {
		t.Errorf("got %v", r.GetMetadata())
	}
	// proto3 JSON: lowerCamelCase names, enums by name, int64 as strings.
	for _, want := range []string{`"reportYear":`, `"TEMPLATE_VERSION_2021"`, `"count":"292"`} {
		if !strings.Contains(strings.ReplaceAll(stdout, " ", ""), want) {
			t.Errorf("no %s in the JSON", want)
		}
	}
}

func TestExtractSeveral(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "x.bin")
	if err := os.WriteFile(garbage, []byte("\x00\x01garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.txt")
	a, b := sample("000_920faedf84c991f1"), sample("001_9fd470447c6cfcf1")
	code, stdout, stderr := runCommand("extract", "--server", server.Addr+","+server.Addr, "--timeout", "120",
		b, garbage, a, missing, b)
	if code != exitFailed {
		t.Errorf("exit %d, want %d", code, exitFailed)
	}
	var names []string
	for _, x := range lines(t, stdout) {
		names = append(names, x.GetDocument().GetFilename())
	}
	want := []string{filepath.Base(b), filepath.Base(a), filepath.Base(b)}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("lines for %v, want %v in the order given", names, want)
	}
	for _, prefix := range []string{garbage + ": UNSUPPORTED_FORMAT: ", missing + ": NOT_FOUND: no such file"} {
		if !strings.Contains(stderr, "\n"+prefix) && !strings.HasPrefix(stderr, prefix) {
			t.Errorf("stderr has no line %q: %q", prefix, stderr)
		}
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"convert", "x"}, {"extract"}, {"extract", "--no-such-flag", "x"}} {
		if code, stdout, stderr := runCommand(args...); code != exitFailed || stdout != "" || stderr == "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
	if code, _, _ := runCommand("extract", "-h"); code != exitOK {
		t.Errorf("-h: exit %d", code)
	}
}

func TestUnreachableServer(t *testing.T) {
	code, stdout, stderr := runCommand("extract", "--server", "127.0.0.1:1", sample("000_920faedf84c991f1"))
	if code != exitFailed || stdout != "" || !strings.Contains(stderr, ": UNAVAILABLE: ") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// pagePaths are the page images of the library's tests (testdata/pages).
func pagePaths() []string {
	dir := filepath.Join(repo, "clients", "go", "govreport", "testdata", "pages")
	return []string{filepath.Join(dir, "第1页.png"), filepath.Join(dir, "第2页.jpg"), filepath.Join(dir, "第3页.png")}
}

// Needs the server's page sets (a ZIP of page images as one document).
func TestExtractPages(t *testing.T) {
	args := append([]string{"extract", "--server", server.Addr, "--pages"}, pagePaths()...)
	code, stdout, stderr := runCommand(args...)
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	xs := lines(t, stdout)
	if len(xs) != 1 {
		t.Fatalf("want one line for the pages, got %q", stdout)
	}
	doc := xs[0].GetDocument()
	if doc.GetFormat() != govreportv1.DocumentFormat_DOCUMENT_FORMAT_PAGE_SET || doc.GetPageCount() != 3 || doc.GetFilename() != "pages.zip" {
		t.Errorf("document: got %v", doc)
	}
	if xs[0].GetReport().GetMetadata().GetReportYear() != 2024 {
		t.Errorf("metadata: got %v", xs[0].GetReport().GetMetadata())
	}
}

func TestExtractPagesRefused(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "第9页.png")
	for _, tc := range []struct {
		pages []string
		want  string
	}{
		{[]string{pagePaths()[0], "notes.txt"}, "pages.zip: INVALID_ARGUMENT: page 2, notes.txt, is not a page image"},
		{[]string{pagePaths()[0], missing}, "pages.zip: NOT_FOUND: " + missing + ": no such file\n"},
	} {
		// Refused before any call: nothing listens on port 1.
		code, stdout, stderr := runCommand(append([]string{"extract", "--server", "127.0.0.1:1", "--pages"}, tc.pages...)...)
		if code != exitFailed || stdout != "" || !strings.HasPrefix(stderr, tc.want) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want %q", tc.pages, code, stdout, stderr, tc.want)
		}
	}
	if code, _, stderr := runCommand("extract", "--pages"); code != exitFailed || !strings.Contains(stderr, "no FILE") {
		t.Errorf("--pages and no file: exit %d, stderr %q", code, stderr)
	}
}
