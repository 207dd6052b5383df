package govreport_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	govreportv1 "github.com/govreport/govreport/clients/go/gen/govreport/v1"
	"github.com/govreport/govreport/clients/go/govreport"
	"github.com/govreport/govreport/clients/go/internal/gold"
	"github.com/govreport/govreport/clients/go/internal/testserver"
)

const (
	seed2021 = "000_920faedf84c991f1" // 绥芬河市卫生健康局, 2023, 2021 template
	seedB    = "001_9fd470447c6cfcf1"
)

// The real server, shared by the tests of this package.
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

func goldCells(t *testing.T, seed string) []gold.Cell {
	t.Helper()
	cells, err := gold.Load(filepath.Join(repo, "tests", "gold", seed+".cells.csv"))
	if err != nil {
		t.Fatal(err)
	}
	return cells
}

func newClient(t *testing.T, o govreport.Options) *govreport.Client {
	t.Helper()
	if o.Addresses == nil {
		o.Addresses = []string{server.Addr}
	}
	if o.Timeout == 0 {
		o.Timeout = 2 * time.Minute
	}
	c, err := govreport.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// wantError checks that err is an *Error with the code and reason.
func wantError(t *testing.T, err error, code codes.Code, reason string) *govreport.Error {
	t.Helper()
	var e *govreport.Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v (%T), want a *govreport.Error %s %s", err, err, code, reason)
	}
	if e.Code != code || e.Reason != reason || e.Message == "" {
		t.Fatalf("got code %s reason %q message %q, want %s %q and a message", e.Code, e.Reason, e.Message, code, reason)
	}
	return e
}

func template(t *testing.T, c *govreport.Client, v govreportv1.TemplateVersion) *govreportv1.TemplateDefinition {
	t.Helper()
	def, err := c.GetTemplate(context.Background(), v)
	if err != nil {
		t.Fatal(err)
	}
	return def
}

// checkGold compares every cell of the gold file with the report.
func checkGold(t *testing.T, c *govreport.Client, seed string, report *govreportv1.AnnualReport) {
	t.Helper()
	def := template(t, c, report.GetMetadata().GetTemplateVersion())
	for _, d := range gold.Compare(def, report, goldCells(t, seed)) {
		t.Errorf("%s: %s", seed, d)
	}
}

func TestExtractFile(t *testing.T) {
	c := newClient(t, govreport.Options{})
	x, err := c.ExtractFile(context.Background(), sample(seed2021))
	if err != nil {
		t.Fatal(err)
	}
	r := x.GetReport()
	meta := r.GetMetadata()
	if meta.GetReportYear() != 2023 || meta.GetAgency() != "绥芬河市卫生健康局" ||
		meta.GetPublicationDate() != "2024-01-08" ||
		meta.GetTemplateVersion() != govreportv1.TemplateVersion_TEMPLATE_VERSION_2021 {
		t.Errorf("metadata: got %v", meta)
	}
	if x.GetDocument().GetFilename() != seed2021+".txt" ||
		x.GetDocument().GetFormat() != govreportv1.DocumentFormat_DOCUMENT_FORMAT_TEXT {
		t.Errorf("document: got %v", x.GetDocument())
	}

	// A handful of cells of 二, 三 and 四 spelled out; checkGold does all.
	number := func(name string, cell *govreportv1.Cell, want int64) {
		t.Helper()
		if cell.GetState() != govreportv1.CellState_CELL_STATE_NUMBER || cell.GetCount() != want {
			t.Errorf("%s: got %s %d, want NUMBER %d", name, cell.GetState(), cell.GetCount(), want)
		}
	}
	p := r.GetProactiveDisclosure_2021()
	number("二 行政许可", p.GetLicensingDecisions(), 292)
	number("二 行政处罚", p.GetPenaltyDecisions(), 4)
	number("二 规章 现行有效件数", p.GetRules().GetInForce(), 0)
	if fees := p.GetFeesAmount(); fees.GetState() != govreportv1.CellState_CELL_STATE_NUMBER || fees.GetAmount() != "0" {
		t.Errorf("二 行政事业性收费: got %v", fees)
	}
	a := r.GetApplicationHandling()
	number("三 本年新收 总计", a.GetNewApplications().GetTotal(), 0)
	number("三 本年新收 自然人", a.GetNewApplications().GetNaturalPersons(), 0)
	number("三 （七）总计 总计", a.GetOutcomes().GetTotal().GetTotal(), 0)
	l := r.GetReviewAndLitigation()
	number("四 行政复议 总计", l.GetAdministrativeReview().GetTotal(), 0)
	number("四 复议后起诉 尚未审结", l.GetLitigationAfterReview().GetPending(), 0)

	checkGold(t, c, seed2021, r)
}

func TestExtractErrors(t *testing.T) {
	c := newClient(t, govreport.Options{})
	ctx := context.Background()
	for _, tc := range []struct {
		content  []byte
		filename string
		code     codes.Code
		reason   string
	}{
		{[]byte("\x00\x01garbage"), "x.bin", codes.InvalidArgument, govreport.ReasonUnsupportedFormat},
		{nil, "empty.txt", codes.InvalidArgument, govreport.ReasonEmptyDocument},
		{[]byte("hello world, this is no report"), "hello.txt", codes.InvalidArgument, govreport.ReasonNotAReport},
	} {
		t.Run(tc.filename, func(t *testing.T) {
			_, err := c.Extract(ctx, tc.content, tc.filename)
			e := wantError(t, err, tc.code, tc.reason)
			if e.Error() != tc.reason+": "+e.Message {
				t.Errorf("Error() = %q", e.Error())
			}
			// The code shows through the gRPC helpers too.
			if status.Code(err) != tc.code {
				t.Errorf("status.Code = %s", status.Code(err))
			}
		})
	}
}

// methods records the full names of the streams a client opens.
type methods struct {
	mu    sync.Mutex
	names []string
}

func (m *methods) intercept(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	m.mu.Lock()
	m.names = append(m.names, method)
	m.mu.Unlock()
	return streamer(ctx, desc, cc, method, opts...)
}

func (m *methods) has(method string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Contains(m.names, method)
}

func TestExtractUpload(t *testing.T) {
	var seen methods
	c := newClient(t, govreport.Options{DialOptions: []grpc.DialOption{grpc.WithStreamInterceptor(seen.intercept)}})
	content, err := os.ReadFile(sample(seed2021))
	if err != nil {
		t.Fatal(err)
	}
	// Trailing spaces take the report over the upload threshold and change
	// none of its cells. (Not newlines: the server takes ten times longer
	// over millions of empty lines.)
	big := append(content, bytes.Repeat([]byte(" "), govreport.UploadThreshold+govreport.ChunkSize/2)...)
	x, err := c.Extract(context.Background(), big, "big.txt")
	if err != nil {
		t.Fatal(err)
	}
	if !seen.has("/govreport.v1.ReportExtractor/ExtractUpload") {
		t.Errorf("a %d-byte document was not uploaded in chunks (streams: %v)", len(big), seen.names)
	}
	if got := x.GetDocument().GetSizeBytes(); got != int64(len(big)) {
		t.Errorf("size_bytes: got %d, want %d", got, len(big))
	}
	checkGold(t, c, seed2021, x.GetReport())

	// The error detail of a failed upload comes back as from Extract.
	_, err = c.Extract(context.Background(), bytes.Repeat([]byte{0, 1, 2}, 2<<20), "big.bin")
	wantError(t, err, codes.InvalidArgument, govreport.ReasonUnsupportedFormat)
}

func TestExtractMany(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "x.bin")
	if err := os.WriteFile(garbage, []byte("\x00\x01garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.txt")
	paths := []string{sample(seed2021), sample(seedB), garbage, missing, sample(seed2021)}

	// The same server twice: the files are split over two streams.
	c := newClient(t, govreport.Options{Addresses: []string{server.Addr, server.Addr}})
	results := make(map[int]govreport.BatchResult)
	for r := range c.ExtractMany(context.Background(), paths) {
		if _, dup := results[r.Index]; dup {
			t.Fatalf("two results for document %d", r.Index)
		}
		if r.Path != paths[r.Index] {
			t.Errorf("result %d: path %s, want %s", r.Index, r.Path, paths[r.Index])
		}
		results[r.Index] = r
	}
	if len(results) != len(paths) {
		t.Fatalf("got %d results for %d documents", len(results), len(paths))
	}
	for _, i := range []int{0, 1, 4} {
		if err := results[i].Err; err != nil {
			t.Fatalf("%s: %v", paths[i], err)
		}
	}
	checkGold(t, c, seed2021, results[0].Extraction.GetReport())
	checkGold(t, c, seedB, results[1].Extraction.GetReport())
	if !proto.Equal(results[0].Extraction.GetReport(), results[4].Extraction.GetReport()) {
		t.Error("the same document twice gave two reports")
	}
	wantError(t, results[2].Err, codes.InvalidArgument, govreport.ReasonUnsupportedFormat)
	if !errors.Is(results[3].Err, fs.ErrNotExist) {
		t.Errorf("missing file: got %v", results[3].Err)
	}
	wantError(t, results[3].Err, codes.NotFound, govreport.ReasonNotFound)
}

func TestExtractManyStopsEarly(t *testing.T) {
	c := newClient(t, govreport.Options{})
	paths := []string{sample(seed2021), sample(seedB), sample(seed2021), sample(seedB)}
	n := 0
	for range c.ExtractMany(context.Background(), paths) {
		n++
		break
	}
	if n != 1 {
		t.Fatalf("got %d results", n)
	}
}

func TestGetTemplate(t *testing.T) {
	c := newClient(t, govreport.Options{})
	for _, tc := range []struct {
		version govreportv1.TemplateVersion
		want    govreportv1.TemplateVersion
		source  string
	}{
		{govreportv1.TemplateVersion_TEMPLATE_VERSION_UNSPECIFIED, govreportv1.TemplateVersion_TEMPLATE_VERSION_2021, "国办公开办函〔2021〕30号"},
		{govreportv1.TemplateVersion_TEMPLATE_VERSION_2019, govreportv1.TemplateVersion_TEMPLATE_VERSION_2019, "国办公开办函〔2019〕60号"},
	} {
		def := template(t, c, tc.version)
		if def.GetVersion() != tc.want || def.GetSource() != tc.source {
			t.Errorf("%s: got version %s source %q", tc.version, def.GetVersion(), def.GetSource())
		}
		var numbers, tables []string
		for _, s := range def.GetSections() {
			numbers = append(numbers, s.GetNumber())
		}
		for _, tb := range def.GetTables() {
			tables = append(tables, tb.GetSection())
		}
		if !slices.Equal(numbers, []string{"一", "二", "三", "四", "五", "六"}) || !slices.Equal(tables, []string{"二", "三", "四"}) {
			t.Errorf("%s: sections %v, tables %v", tc.version, numbers, tables)
		}
		if len(def.GetRules()) == 0 {
			t.Errorf("%s: no rules", tc.version)
		}
	}
}

func TestValidate(t *testing.T) {
	c := newClient(t, govreport.Options{})
	ctx := context.Background()
	x, err := c.ExtractFile(ctx, sample(seed2021))
	if err != nil {
		t.Fatal(err)
	}
	v, err := c.Validate(ctx, x.GetReport(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if v.GetErrorCount() != x.GetValidation().GetErrorCount() || len(v.GetRulesChecked()) == 0 {
		t.Errorf("validate: %d errors, rules %v; extract said %d errors", v.GetErrorCount(), v.GetRulesChecked(), x.GetValidation().GetErrorCount())
	}

	// 三's 本年新收 总计 no longer the sum of its row: an error finding on it.
	broken := proto.Clone(x.GetReport()).(*govreportv1.AnnualReport)
	total := broken.GetApplicationHandling().GetNewApplications().GetTotal()
	total.Value = &govreportv1.Cell_Count{Count: 99}
	v, err = c.Validate(ctx, broken, x.GetReport())
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range v.GetFindings() {
		if f.GetSeverity() == govreportv1.Severity_SEVERITY_ERROR && slices.Contains(f.GetCells(), "application_handling.new_applications.total") {
			found = true
		}
	}
	if v.GetErrorCount() == 0 || !found {
		t.Errorf("a broken total gave no error finding on it: %v", v)
	}
}

func TestCallErrors(t *testing.T) {
	ctx := context.Background()
	t.Run("deadline", func(t *testing.T) {
		c := newClient(t, govreport.Options{Timeout: time.Nanosecond})
		_, err := c.GetTemplate(ctx, govreportv1.TemplateVersion_TEMPLATE_VERSION_2021)
		wantError(t, err, codes.DeadlineExceeded, govreport.ReasonDeadlineExceeded)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("errors.Is(%v, context.DeadlineExceeded) is false", err)
		}
	})
	t.Run("unavailable", func(t *testing.T) {
		// Port 1 on loopback: nothing listens there.
		c := newClient(t, govreport.Options{Addresses: []string{"127.0.0.1:1"}})
		_, err := c.Extract(ctx, []byte("x"), "x.txt")
		wantError(t, err, codes.Unavailable, govreport.ReasonUnavailable)
		n := 0
		for r := range c.ExtractMany(ctx, []string{sample(seed2021), sample(seedB)}) {
			wantError(t, r.Err, codes.Unavailable, govreport.ReasonUnavailable)
			n++
		}
		if n != 2 {
			t.Errorf("a failed stream gave %d results for 2 documents", n)
		}
	})
	t.Run("options", func(t *testing.T) {
		if _, err := govreport.New(govreport.Options{Addresses: []string{" ", ""}}); err == nil {
			t.Error("no address: no error")
		}
		if _, err := govreport.New(govreport.Options{Addresses: []string{server.Addr}, CertFile: "c.pem"}); err == nil {
			t.Error("a certificate without its key: no error")
		}
	})
}

// pages are the three page images of testdata/pages (made by make_pages.py):
// title and 一 on page 1, 二 and 三 on page 2, 四 to 六 and the date on page 3.
func pages(t *testing.T) []string {
	t.Helper()
	var paths []string
	for _, name := range []string{"第1页.png", "第2页.jpg", "第3页.png"} {
		path := filepath.Join("testdata", "pages", name)
		if _, err := os.Stat(path); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}
	return paths
}

// checkPageSet checks the Extraction of a page set of n pages whose first
// three are pages(t), in that order.
func checkPageSet(t *testing.T, x *govreportv1.Extraction, n int) {
	t.Helper()
	doc := x.GetDocument()
	want := govreportv1.DocumentFormat_DOCUMENT_FORMAT_PAGE_SET
	if doc.GetFormat() != want || doc.GetPageCount() != int32(n) || doc.GetFilename() != govreport.PagesFilename {
		t.Errorf("document: got format %s, %d pages, filename %q; want %s, %d pages, %q",
			doc.GetFormat(), doc.GetPageCount(), doc.GetFilename(), want, n, govreport.PagesFilename)
	}
	meta := x.GetReport().GetMetadata()
	if meta.GetReportYear() != 2024 || meta.GetAgency() != "示例县卫生健康局" {
		t.Errorf("metadata: got %v", meta)
	}
	// The date is printed on the third page: read from page 3, the pages kept their order.
	if got := meta.GetSources()["publication_date"].GetPage(); meta.GetPublicationDate() != "2025-01-10" || got != 3 {
		t.Errorf("publication date %q read on page %d, want 2025-01-10 on page 3", meta.GetPublicationDate(), got)
	}
}

// Needs the server's page sets (a ZIP of page images as one document).
func TestExtractPages(t *testing.T) {
	c := newClient(t, govreport.Options{})
	x, err := c.ExtractPages(context.Background(), pages(t))
	if err != nil {
		t.Fatal(err)
	}
	checkPageSet(t, x, 3)
}

// A page set over UploadThreshold goes through ExtractUpload. Needs the
// server's page sets.
func TestExtractPagesUpload(t *testing.T) {
	var seen methods
	c := newClient(t, govreport.Options{DialOptions: []grpc.DialOption{grpc.WithStreamInterceptor(seen.intercept)}})
	paths := pages(t)
	// Page 1 again, as an uncompressed RGBA PNG of about 8.7 MB.
	f, err := os.Open(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	rgba := image.NewNRGBA(img.Bounds())
	draw.Draw(rgba, rgba.Bounds(), img, img.Bounds().Min, draw.Src)
	var big bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.NoCompression}).Encode(&big, rgba); err != nil {
		t.Fatal(err)
	}
	if big.Len() <= govreport.UploadThreshold {
		t.Fatalf("page 1 uncompressed is only %d bytes", big.Len())
	}
	paths[0] = filepath.Join(t.TempDir(), "第1页-big.png")
	if err := os.WriteFile(paths[0], big.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}

	x, err := c.ExtractPages(context.Background(), paths)
	if err != nil {
		t.Fatal(err)
	}
	if !seen.has("/govreport.v1.ReportExtractor/ExtractUpload") {
		t.Errorf("a page set of %d bytes was not uploaded in chunks (streams: %v)", big.Len(), seen.names)
	}
	checkPageSet(t, x, 3)
}
