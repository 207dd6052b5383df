package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
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
	for _, prefix := range []string{"govreport-client: " + garbage + ": UNSUPPORTED_FORMAT: ", "govreport-client: " + missing + ": NOT_FOUND: no such file\n"} {
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
	xs := lines(t, stdout)
	if len(xs) != 1 {
		t.Fatalf("want one line for the pages, got %q", stdout)
	}
	// Exit 1 when the report has findings of error severity, 0 when not.
	if want := map[bool]int{false: exitOK, true: exitFindings}[hasErrors(xs[0].GetValidation())]; code != want || stderr != "" {
		t.Fatalf("exit %d (want %d), stderr %q", code, want, stderr)
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
		{[]string{pagePaths()[0], "notes.txt"}, "govreport-client: pages.zip: INVALID_ARGUMENT: page 2, notes.txt, is not a page image"},
		{[]string{pagePaths()[0], missing}, "govreport-client: pages.zip: NOT_FOUND: " + missing + ": no such file\n"},
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

func TestExitFindings(t *testing.T) {
	// The 2023 report filed under 2021: rule R9's error finding, exit 1.
	code, stdout, stderr := runCommand("extract", "--server", server.Addr, "--filed-year", "2021", sample("000_920faedf84c991f1"))
	if code != exitFindings || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	xs := lines(t, stdout)
	found := false
	for _, f := range xs[0].GetValidation().GetFindings() {
		if f.GetRuleId() == "R9" && f.GetExpected() == "2021" && f.GetFound() == "2023" &&
			f.GetSeverity() == govreportv1.Severity_SEVERITY_ERROR {
			found = true
		}
	}
	if !found {
		t.Errorf("no R9 finding for --filed-year 2021: %v", xs[0].GetValidation())
	}
	// A failed file wins over findings: exit 2.
	code, _, _ = runCommand("extract", "--server", server.Addr, "--filed-year", "2021",
		sample("000_920faedf84c991f1"), filepath.Join(t.TempDir(), "missing.txt"))
	if code != exitFailed {
		t.Errorf("findings and a failed file: exit %d", code)
	}
}

// protojson's defaults: lowerCamelCase, int64 as strings, enums by name,
// defaults left out, UTF-8 unescaped; one compact line.
func TestJSON(t *testing.T) {
	t.Setenv("GOVREPORT_SERVER", server.Addr) // no --server: the variable's
	code, stdout, stderr := runCommand("extract", sample("000_920faedf84c991f1"))
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	line := strings.TrimSuffix(stdout, "\n")
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(line)); err != nil || compact.String() != line || strings.Contains(line, "\n") {
		t.Errorf("not one compact JSON line: %v", err)
	}
	var doc struct {
		Document map[string]any `json:"document"`
	}
	if err := json.Unmarshal([]byte(line), &doc); err != nil {
		t.Fatal(err)
	}
	size, _ := os.Stat(sample("000_920faedf84c991f1"))
	if doc.Document["sizeBytes"] != fmt.Sprint(size.Size()) || doc.Document["format"] != "DOCUMENT_FORMAT_TEXT" {
		t.Errorf("document: %v", doc.Document)
	}
	for _, want := range []string{`"agency":"绥芬河市卫生健康局"`, `"reportYear":2023`, `"count":"292"`} {
		if !strings.Contains(line, want) {
			t.Errorf("no %s in the line", want)
		}
	}
	for _, unwanted := range []string{`\u`, `"pageCount":0`, `"ocrPages":[]`} {
		if strings.Contains(line, unwanted) {
			t.Errorf("%s in the line", unwanted)
		}
	}
}

// --timeout is each document's deadline: alone, its call's; in a batch,
// its time_limit. A scan cannot be read in a millisecond.
func TestTimeout(t *testing.T) {
	dir := t.TempDir()
	var scans []string
	for _, name := range []string{"a.zip", "b.zip"} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, pageSet(t), 0o600); err != nil {
			t.Fatal(err)
		}
		scans = append(scans, path)
	}
	for _, files := range [][]string{scans[:1], scans} {
		args := append([]string{"extract", "--server", server.Addr, "--timeout", "0.001"}, files...)
		code, stdout, stderr := runCommand(args...)
		got := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
		if code != exitFailed || stdout != "" || len(got) != len(files) {
			t.Fatalf("%d files: exit %d, stdout %q, stderr %q", len(files), code, stdout, stderr)
		}
		for i, line := range got {
			if prefix := "govreport-client: " + files[i] + ": DEADLINE_EXCEEDED: "; !strings.HasPrefix(line, prefix) {
				t.Errorf("stderr line %q, want %q…", line, prefix)
			}
		}
	}
}

// pageSet is the ZIP of the library's page images, as --pages sends it.
func pageSet(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for i, path := range pagePaths() {
		content, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		member, err := w.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("%04d-%s", i+1, filepath.Base(path)), Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		member.Write(content)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestToken(t *testing.T) {
	s, err := testserver.Start("--auth-tokens", "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "good"), filepath.Join(dir, "bad")
	os.WriteFile(good, []byte("s3cret\n"), 0o600)
	os.WriteFile(bad, []byte("guess\n"), 0o600)
	doc := sample("000_920faedf84c991f1")
	for _, tc := range []struct {
		env  string
		args []string
		code int
	}{
		{"", []string{"--token", "s3cret"}, exitOK},
		{"", []string{"--token-file", good}, exitOK},
		{"s3cret", nil, exitOK},                               // GOVREPORT_TOKEN
		{"s3cret", []string{"--token-file", bad}, exitFailed}, // the flag over the variable
		{"", nil, exitFailed},
		{"", []string{"--token", "guess"}, exitFailed},
	} {
		t.Setenv("GOVREPORT_TOKEN", tc.env)
		args := append(append([]string{"extract", "--server", s.Addr}, tc.args...), doc)
		code, _, stderr := runCommand(args...)
		if code != tc.code {
			t.Errorf("%q, GOVREPORT_TOKEN=%q: exit %d, stderr %q", tc.args, tc.env, code, stderr)
		}
		if code == exitFailed && !strings.HasPrefix(stderr, "govreport-client: "+doc+": UNAUTHENTICATED: ") {
			t.Errorf("%q: stderr %q", tc.args, stderr)
		}
	}
	missing := filepath.Join(dir, "missing")
	code, _, stderr := runCommand("extract", "--server", s.Addr, "--token-file", missing, doc)
	if code != exitFailed || stderr != "govreport-client: "+missing+": NOT_FOUND: no such file\n" {
		t.Errorf("missing token file: exit %d, stderr %q", code, stderr)
	}
}

func TestTLSFlags(t *testing.T) {
	doc := sample("000_920faedf84c991f1")
	missing := filepath.Join(t.TempDir(), "ca.pem")
	for _, args := range [][]string{
		{"--tls-cert", "client.pem"}, // without its key
		{"--tls-ca", missing},        // no such CA file
		{"--timeout", "-1"},          // not a deadline
		{"--filed-year", "x"},        // not a year
	} {
		code, stdout, stderr := runCommand(append(append([]string{"extract", "--server", server.Addr}, args...), doc)...)
		if code != exitFailed || stdout != "" || !strings.Contains(stderr, "govreport-client") && !strings.Contains(stderr, "invalid value") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
	// TLS to a plaintext server: the handshake fails, UNAVAILABLE.
	code, _, stderr := runCommand("extract", "--server", server.Addr, "--tls-server-name", "localhost", doc)
	if code != exitFailed || !strings.HasPrefix(stderr, "govreport-client: "+doc+": UNAVAILABLE: ") {
		t.Errorf("--tls-server-name against plaintext: exit %d, stderr %q", code, stderr)
	}
}
