package govreport_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/stats"

	govreportv1 "github.com/govreport/govreport/clients/go/gen/govreport/v1"
	"github.com/govreport/govreport/clients/go/govreport"
	"github.com/govreport/govreport/clients/go/internal/testserver"
)

// scan is a page set of the testdata pages, times over (3×times pages of
// OCR), as the ZIP ExtractPages sends.
func scan(t *testing.T, times int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	n := 0
	for range times {
		for _, path := range pages(t) {
			content, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			n++
			member, err := w.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("%04d-%s", n, filepath.Base(path)), Method: zip.Store})
			if err != nil {
				t.Fatal(err)
			}
			member.Write(content)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// r9 is the finding of rule R9 on the report's year, if any.
func r9(v *govreportv1.ValidationReport) *govreportv1.Finding {
	for _, f := range v.GetFindings() {
		if f.GetRuleId() == "R9" && len(f.GetCells()) == 1 && f.GetCells()[0] == "metadata.report_year" {
			return f
		}
	}
	return nil
}

func TestLocalFileErrors(t *testing.T) {
	c := newClient(t, govreport.Options{})
	missing := filepath.Join(t.TempDir(), "missing.pdf")
	_, err := c.ExtractFile(context.Background(), missing)
	e := wantError(t, err, codes.NotFound, govreport.ReasonNotFound)
	var pathErr *fs.PathError
	if e.Message != "no such file" || !errors.Is(err, fs.ErrNotExist) || !errors.As(err, &pathErr) || pathErr.Path != missing {
		t.Errorf("missing file: %#v", err)
	}
	if e.Error() != "NOT_FOUND: no such file" || e.Metadata["filename"] != missing {
		t.Errorf("missing file: Error() %q, metadata %v", e.Error(), e.Metadata)
	}

	// A folder is no document.
	_, err = c.ExtractFile(context.Background(), t.TempDir())
	wantError(t, err, codes.InvalidArgument, govreport.ReasonUnreadable)
	if !errors.As(err, &pathErr) {
		t.Errorf("a folder: %#v", err)
	}

	// A reader that fails.
	_, err = c.ExtractReader(context.Background(), "broken.txt", iotest{})
	e = wantError(t, err, codes.InvalidArgument, govreport.ReasonUnreadable)
	if e.Message != "disk on fire" {
		t.Errorf("a failing reader: %#v", e)
	}
}

type iotest struct{}

func (iotest) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestDeadline(t *testing.T) {
	ctx := context.Background()
	c := newClient(t, govreport.Options{})
	// A scan cannot be read in a millisecond.
	_, err := c.Extract(ctx, scan(t, 1), "scan.zip", govreport.WithTimeLimit(time.Millisecond))
	wantError(t, err, codes.DeadlineExceeded, govreport.ReasonDeadlineExceeded)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("errors.Is(%v, context.DeadlineExceeded) is false", err)
	}

	// Cancelled by the caller.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = c.ExtractFile(cancelled, sample(seed2021))
	wantError(t, err, codes.Canceled, govreport.ReasonCancelled)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("errors.Is(%v, context.Canceled) is false", err)
	}
}

// Documents of a batch from a file, bytes and a reader, each with its own
// options; one over its time limit fails alone.
func TestExtractDocuments(t *testing.T) {
	content, err := os.ReadFile(sample(seedB))
	if err != nil {
		t.Fatal(err)
	}
	docs := []govreport.Document{
		govreport.File(sample(seed2021)),
		govreport.Bytes("b.txt", content).With(govreport.WithFiledYear(2000)),
		govreport.Reader("c.txt", bytes.NewReader(content)).With(govreport.WithoutValidation()),
		// Its own deadline: the batch's ExtractOptions.time_limit.
		govreport.Bytes("scan.zip", scan(t, 1)).With(govreport.WithTimeLimit(time.Millisecond)),
		govreport.File(filepath.Join(t.TempDir(), "missing.txt")),
	}
	// No Timeout: the call's options give the filed year, one document
	// overrides it.
	c := newClient(t, govreport.Options{Addresses: []string{server.Addr, server.Addr}})
	results := make([]govreport.BatchResult, len(docs))
	for r := range c.ExtractDocuments(context.Background(), docs, govreport.WithFiledYear(2023)) {
		results[r.Index] = r
	}
	for i := range 3 {
		if results[i].Err != nil {
			t.Fatalf("%s: %v", results[i].Path, results[i].Err)
		}
	}
	if results[0].Path != sample(seed2021) || results[1].Path != "b.txt" || results[2].Path != "c.txt" {
		t.Errorf("paths: %q %q %q", results[0].Path, results[1].Path, results[2].Path)
	}
	checkGold(t, c, seed2021, results[0].Extraction.GetReport())
	checkGold(t, c, seedB, results[1].Extraction.GetReport())
	checkGold(t, c, seedB, results[2].Extraction.GetReport())
	if f := r9(results[0].Extraction.GetValidation()); f != nil {
		t.Errorf("filed 2023, a 2023 report: %v", f)
	}
	year := results[1].Extraction.GetReport().GetMetadata().GetReportYear()
	if f := r9(results[1].Extraction.GetValidation()); f == nil || f.GetExpected() != "2000" || f.GetFound() != fmt.Sprint(year) {
		t.Errorf("filed 2000: R9 finding %v", f)
	}
	if v := results[2].Extraction.GetValidation(); len(v.GetRulesChecked()) != 0 || len(v.GetFindings()) != 0 {
		t.Errorf("WithoutValidation: validation %v", v)
	}
	if got := results[2].Extraction.GetDocument().GetFilename(); got != "c.txt" {
		t.Errorf("reader: filename %q", got)
	}
	e := wantError(t, results[3].Err, codes.DeadlineExceeded, govreport.ReasonDeadlineExceeded)
	if !errors.Is(e, context.DeadlineExceeded) || e.Metadata["request_id"] == "" {
		t.Errorf("over its time limit: %#v", e)
	}
	wantError(t, results[4].Err, codes.NotFound, govreport.ReasonNotFound)
}

func TestFiledYear(t *testing.T) {
	ctx := context.Background()
	c := newClient(t, govreport.Options{Extract: &govreportv1.ExtractOptions{FiledYear: 2023}})
	x, err := c.ExtractFile(ctx, sample(seed2021))
	if err != nil {
		t.Fatal(err)
	}
	if f := r9(x.GetValidation()); f != nil {
		t.Errorf("filed 2023 (Options): %v", f)
	}
	x, err = c.ExtractFile(ctx, sample(seed2021), govreport.WithFiledYear(2021))
	if err != nil {
		t.Fatal(err)
	}
	if f := r9(x.GetValidation()); f == nil || f.GetExpected() != "2021" || f.GetFound() != "2023" {
		t.Errorf("filed 2021 (WithFiledYear): R9 finding %v", f)
	}
	v, err := c.Validate(ctx, x.GetReport(), nil, govreport.WithFiledYear(2022))
	if err != nil {
		t.Fatal(err)
	}
	if f := r9(v); f == nil || f.GetExpected() != "2022" {
		t.Errorf("Validate filed 2022: R9 finding %v", f)
	}
	// The template version asked for: the 2021 report read as 2019's.
	x, err = c.ExtractFile(ctx, sample(seed2021), govreport.WithTemplateVersion(govreportv1.TemplateVersion_TEMPLATE_VERSION_2019))
	if err != nil {
		t.Fatal(err)
	}
	if got := x.GetReport().GetMetadata().GetTemplateVersion(); got != govreportv1.TemplateVersion_TEMPLATE_VERSION_2019 {
		t.Errorf("WithTemplateVersion(2019): read as %s", got)
	}
}

// attempts counts the attempts of each call (a retry is one more).
type attempts struct{ n atomic.Int32 }

func (a *attempts) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context { return ctx }
func (a *attempts) HandleRPC(_ context.Context, s stats.RPCStats) {
	if begin, ok := s.(*stats.Begin); ok && begin.Client {
		a.n.Add(1)
	}
}
func (a *attempts) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }
func (a *attempts) HandleConn(context.Context, stats.ConnStats)                       {}

// A worker killed under a call: the server answers WORKER_FAILED
// (UNAVAILABLE), the channel's retry policy sends the document again, and
// the call succeeds.
func TestRetryAfterWorkerKilled(t *testing.T) {
	s, err := testserver.Start("--workers", "1", "--metrics-port", "0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	var tries attempts
	c := newClient(t, govreport.Options{Addresses: []string{s.Addr},
		DialOptions: []grpc.DialOption{grpc.WithStatsHandler(&tries)}})
	ctx := context.Background()
	if _, err := c.ExtractFile(ctx, sample(seed2021)); err != nil { // the worker is up
		t.Fatal(err)
	}
	const failures = "govreport_worker_failures_total"
	before, err := s.Metric(failures)
	if err != nil {
		t.Fatal(err)
	}
	tries.n.Store(0)

	// Twelve pages of OCR: still being read when the worker is killed.
	var x *govreportv1.Extraction
	var wg sync.WaitGroup
	wg.Go(func() { x, err = c.Extract(ctx, scan(t, 4), "doomed.zip") })
	killed, busyErr := s.WaitBusy(20, time.Minute) // killed while it reads, not before
	if busyErr != nil {
		t.Fatal(busyErr)
	}
	for _, pid := range killed {
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	if err != nil {
		t.Fatalf("the call failed although the policy retries WORKER_FAILED: %v\nserver log:\n%s", err, s.Logs())
	}
	if doc := x.GetDocument(); doc.GetPageCount() != 12 || doc.GetFormat() != govreportv1.DocumentFormat_DOCUMENT_FORMAT_PAGE_SET {
		t.Errorf("document: %v", doc)
	}
	if meta := x.GetReport().GetMetadata(); meta.GetAgency() != "示例县卫生健康局" || meta.GetReportYear() != 2024 {
		t.Errorf("metadata: %v", meta)
	}
	// Not vacuous: a worker died under the call, and it was sent again.
	after, err := s.Metric(failures)
	if err != nil {
		t.Fatal(err)
	}
	if after < before+1 {
		t.Errorf("%s went from %g to %g: no worker died under the call", failures, before, after)
	}
	if n := tries.n.Load(); n < 2 {
		t.Errorf("%d attempt(s): the call was not retried", n)
	}
	for _, pid := range s.Workers() {
		if slices.Contains(killed, pid) {
			t.Errorf("worker %d still there", pid)
		}
	}
}

// A Reader longer than UploadThreshold goes through ExtractUpload, its
// size unknown.
func TestReaderUpload(t *testing.T) {
	var seen methods
	c := newClient(t, govreport.Options{DialOptions: []grpc.DialOption{grpc.WithStreamInterceptor(seen.intercept)}})
	content, err := os.ReadFile(sample(seed2021))
	if err != nil {
		t.Fatal(err)
	}
	big := io.MultiReader(bytes.NewReader(content), strings.NewReader(strings.Repeat(" ", govreport.UploadThreshold)))
	x, err := c.ExtractReader(context.Background(), "big.txt", big)
	if err != nil {
		t.Fatal(err)
	}
	if !seen.has("/govreport.v1.ReportExtractor/ExtractUpload") {
		t.Errorf("a long reader was not uploaded in chunks (streams: %v)", seen.names)
	}
	if got, want := x.GetDocument().GetSizeBytes(), int64(len(content)+govreport.UploadThreshold); got != want {
		t.Errorf("size_bytes: got %d, want %d", got, want)
	}
	checkGold(t, c, seed2021, x.GetReport())
}
