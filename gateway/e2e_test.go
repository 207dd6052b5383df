package main

// End to end, with the `curl` command as an HTTP caller would use it: the real Python server
// (.venv/bin/govreport serve, or $GOVREPORT_BIN), the gateway binary built from this package in
// front of it, and requests checked against tests/gold.

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"

	govreportv1 "github.com/govreport/govreport/gateway/internal/gen/govreport/v1"
)

// gatewayBin is the binary under test, built once by TestMain.
var gatewayBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "govreport-gateway-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	gatewayBin = filepath.Join(dir, "govreport-gateway")
	build := exec.Command("go", "build", "-o", gatewayBin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the gateway:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "proto", "govreport", "v1", "service.proto")); err != nil {
		t.Fatalf("not in the govreport repository: %v", err)
	}
	return dir
}

// process is a server or gateway started for a test: its first stdout line gives its address.
type process struct {
	Addr string
	cmd  *exec.Cmd
	logs *syncBuffer
	done chan error
	once sync.Once
	err  error
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// start runs bin ARGS and waits for its "PREFIX ADDR" line on stdout.
func start(t *testing.T, prefix string, timeout time.Duration, bin string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(bin, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, logs: &syncBuffer{}, done: make(chan error, 1)}
	cmd.Stderr = p.logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", bin, err)
	}
	first := make(chan string, 1)
	go func() {
		lines := bufio.NewScanner(stdout)
		if lines.Scan() {
			first <- lines.Text()
		}
		close(first)
		for lines.Scan() {
		}
	}()
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() { _ = p.stop() })
	select {
	case line := <-first:
		if !strings.HasPrefix(line, prefix+" ") {
			_ = p.stop()
			t.Fatalf("%s: first line %q, not %q; log:\n%s", bin, line, prefix+" ADDR", p.logs.String())
		}
		p.Addr = strings.TrimSpace(strings.TrimPrefix(line, prefix+" "))
	case <-time.After(timeout):
		_ = p.stop()
		t.Fatalf("%s: no address after %s; log:\n%s", bin, timeout, p.logs.String())
	}
	return p
}

// stop sends SIGTERM and waits (SIGKILL after 30 s); it returns the exit error.
func (p *process) stop() error {
	p.once.Do(func() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case p.err = <-p.done:
		case <-time.After(30 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
			p.err = errors.New("killed after SIGTERM went unanswered")
		}
	})
	return p.err
}

func startServer(t *testing.T, args ...string) *process {
	t.Helper()
	bin := serverBin(t)
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("no govreport server at %s (%v): run `make -C <repo> setup`, or set GOVREPORT_BIN", bin, err)
	}
	// The workers import the PDF and OCR stacks: slow on a cold disk.
	return start(t, "govreport listening on", 90*time.Second, bin,
		append([]string{"serve", "--host", "127.0.0.1", "--port", "0", "--log-level", "WARNING"}, args...)...)
}

func startGateway(t *testing.T, upstream string, args ...string) *process {
	t.Helper()
	return start(t, "govreport-gateway listening on", 10*time.Second, gatewayBin,
		append([]string{"-listen", "127.0.0.1:0", "-upstream", upstream, "-log-level", "WARN"}, args...)...)
}

// response is what curl received.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// curl runs `curl -sS` with ARGS against URL and returns the last response (headers of every
// response are in the dump; the last block is the final one).
func curl(t *testing.T, url string, args ...string) response {
	t.Helper()
	dir := t.TempDir()
	headers, body := filepath.Join(dir, "headers"), filepath.Join(dir, "body")
	all := append([]string{"-sS", "--max-time", "300", "-D", headers, "-o", body, "-w", "%{http_code}"}, args...)
	all = append(all, url)
	out, err := exec.Command("curl", all...).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("curl %s: %v\n%s", strings.Join(all, " "), err, stderr)
	}
	code, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("curl: status %q: %v", out, err)
	}
	dump, err := os.ReadFile(headers)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	for _, line := range strings.Split(string(dump), "\r\n") {
		if strings.HasPrefix(line, "HTTP/") {
			h = http.Header{} // a new response (e.g. after 100 Continue)
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			h.Add(strings.TrimSpace(k), strings.TrimSpace(v))
		}
	}
	b, err := os.ReadFile(body)
	if err != nil {
		t.Fatal(err)
	}
	return response{Status: code, Header: h, Body: b}
}

// postJSON writes v as the request body to a file and POSTs it with curl --data-binary @file.
func postJSON(t *testing.T, url string, v any, args ...string) response {
	t.Helper()
	var data []byte
	switch b := v.(type) {
	case []byte:
		data = b
	default:
		var err error
		if data, err = json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(t.TempDir(), "request.json")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return curl(t, url, append([]string{"-X", "POST", "-H", "Content-Type: application/json", "--data-binary", "@" + file}, args...)...)
}

// errorBody is the google.rpc.Status JSON that grpc-gateway answers an error with.
type errorBody struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Details []struct {
		Type       string            `json:"@type"`
		Reason     string            `json:"reason"`
		Domain     string            `json:"domain"`
		Metadata   map[string]string `json:"metadata"`
		RetryDelay string            `json:"retryDelay"`
	} `json:"details"`
}

func decodeError(t *testing.T, r response) errorBody {
	t.Helper()
	var e errorBody
	if err := json.Unmarshal(r.Body, &e); err != nil {
		t.Fatalf("error body %q: %v", r.Body, err)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("error Content-Type %q, want application/json", ct)
	}
	return e
}

type goldCell struct{ section, row, column, expected string }

func loadGold(t *testing.T, stem string) (meta map[string]any, cells []goldCell) {
	t.Helper()
	gold := filepath.Join(repoRoot(t), "tests", "gold")
	raw, err := os.ReadFile(filepath.Join(gold, stem+".meta.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &meta); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(gold, stem+".cells.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(records) < 2 || strings.Join(records[0], ",") != "section,row,column,expected" {
		t.Fatalf("%s.cells.csv: not a gold cells file", stem)
	}
	for _, r := range records[1:] {
		cells = append(cells, goldCell{r[0], r[1], r[2], r[3]})
	}
	return meta, cells
}

// cellPath is the AnnualReport field path of a gold cell, from the template's labels.
func cellPath(tpl *govreportv1.TemplateDefinition, c goldCell) (string, bool) {
	for _, table := range tpl.GetTables() {
		if table.GetSection() != c.section {
			continue
		}
		for _, r := range table.GetRows() {
			if r.GetLabel() != c.row {
				continue
			}
			for _, col := range r.GetColumns() {
				if col.GetLabel() == c.column {
					if col.GetField() == "" {
						return r.GetField(), true
					}
					return r.GetField() + "." + col.GetField(), true
				}
			}
		}
	}
	return "", false
}

// cellAt is the Cell at a field path of report, nil when a message on the way is unset.
func cellAt(report *govreportv1.AnnualReport, path string) *govreportv1.Cell {
	m := report.ProtoReflect()
	for _, name := range strings.Split(path, ".") {
		fd := m.Descriptor().Fields().ByName(protoreflect.Name(name))
		if fd == nil || fd.Message() == nil || !m.Has(fd) {
			return nil
		}
		m = m.Get(fd).Message()
	}
	c, _ := m.Interface().(*govreportv1.Cell)
	return c
}

// notation is a cell in the gold files' notation (tests/gold/README.md).
func notation(c *govreportv1.Cell) string {
	if c == nil {
		return "(not set)"
	}
	value := ""
	switch v := c.GetValue().(type) {
	case *govreportv1.Cell_Count:
		value = strconv.FormatInt(v.Count, 10)
	case *govreportv1.Cell_Amount:
		value = v.Amount
	case *govreportv1.Cell_Change:
		value = strconv.FormatInt(v.Change, 10)
		if v.Change > 0 {
			value = "+" + value
		}
	}
	switch c.GetState() {
	case govreportv1.CellState_CELL_STATE_NUMBER:
		return value
	case govreportv1.CellState_CELL_STATE_BLANK:
		return "blank"
	case govreportv1.CellState_CELL_STATE_MISSING:
		return "missing"
	case govreportv1.CellState_CELL_STATE_NOT_APPLICABLE:
		return "n/a"
	case govreportv1.CellState_CELL_STATE_TEXT:
		if value != "" {
			return "text=" + value
		}
		return "text"
	}
	return c.GetState().String()
}

// TestEndToEnd runs the HTTP API through the gateway against the real server, with curl.
func TestEndToEnd(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("these tests need the curl command (deploy/install-system-deps.sh installs it)")
	}
	server := startServer(t)
	gw := startGateway(t, server.Addr)
	base := "http://" + gw.Addr

	const stem = "000_920faedf84c991f1"
	sample := filepath.Join(repoRoot(t), "server", "govreport", "samples", stem+".txt")
	content, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}

	var template govreportv1.GetTemplateResponse
	t.Run("template", func(t *testing.T) {
		// By enum name, by number, and the default (the 2021 template) without a version.
		byName := curl(t, base+"/v1/templates/TEMPLATE_VERSION_2021")
		if byName.Status != 200 {
			t.Fatalf("GET /v1/templates/TEMPLATE_VERSION_2021: %d %s", byName.Status, byName.Body)
		}
		if err := protojson.Unmarshal(byName.Body, &template); err != nil {
			t.Fatal(err)
		}
		if v := template.GetTemplate().GetVersion(); v != govreportv1.TemplateVersion_TEMPLATE_VERSION_2021 {
			t.Errorf("template version %v", v)
		}
		if n := len(template.GetTemplate().GetTables()); n == 0 {
			t.Errorf("the template has no tables: %s", byName.Body)
		}
		var raw map[string]map[string]any
		if err := json.Unmarshal(byName.Body, &raw); err != nil {
			t.Fatal(err)
		}
		if got := raw["template"]["version"]; got != "TEMPLATE_VERSION_2021" {
			t.Errorf(`"version": %v, want the enum's name`, got)
		}
		for _, path := range []string{"/v1/templates/2", "/v1/template"} {
			r := curl(t, base+path)
			var other govreportv1.GetTemplateResponse
			if r.Status != 200 {
				t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
			}
			if err := protojson.Unmarshal(r.Body, &other); err != nil {
				t.Fatal(err)
			}
			if other.GetTemplate().GetVersion() != govreportv1.TemplateVersion_TEMPLATE_VERSION_2021 ||
				len(other.GetTemplate().GetTables()) != len(template.GetTemplate().GetTables()) {
				t.Errorf("GET %s: version %v, %d tables; want the 2021 template", path,
					other.GetTemplate().GetVersion(), len(other.GetTemplate().GetTables()))
			}
		}
		old := curl(t, base+"/v1/templates/TEMPLATE_VERSION_2019")
		var t2019 govreportv1.GetTemplateResponse
		if err := protojson.Unmarshal(old.Body, &t2019); err != nil || old.Status != 200 ||
			t2019.GetTemplate().GetVersion() != govreportv1.TemplateVersion_TEMPLATE_VERSION_2019 {
			t.Errorf("GET /v1/templates/TEMPLATE_VERSION_2019: %d %s", old.Status, old.Body)
		}
		bad := curl(t, base+"/v1/templates/TEMPLATE_VERSION_1999")
		if bad.Status != 400 || decodeError(t, bad).Code != 3 {
			t.Errorf("GET /v1/templates/TEMPLATE_VERSION_1999: %d %s, want 400 INVALID_ARGUMENT", bad.Status, bad.Body)
		}
	})

	var report json.RawMessage
	t.Run("extract", func(t *testing.T) {
		r := postJSON(t, base+"/v1/extract", map[string]any{
			"content":  base64.StdEncoding.EncodeToString(content),
			"filename": filepath.Base(sample),
			"options":  map[string]any{"filedYear": 2023},
		}, "-H", "X-Request-Id: e2e-extract-1")
		if r.Status != 200 {
			t.Fatalf("POST /v1/extract: %d %s", r.Status, r.Body)
		}
		if got := r.Header.Get("X-Request-Id"); got != "e2e-extract-1" {
			t.Errorf("X-Request-Id %q, want the caller's e2e-extract-1", got)
		}
		if r.Header.Get("Grpc-Metadata-Content-Type") != "" {
			t.Errorf("gRPC's own metadata leaked into the headers: %v", r.Header)
		}
		// The JSON as a caller sees it: protojson's names, int64 as strings, enums by name.
		var raw struct {
			Extraction struct {
				Report   json.RawMessage `json:"report"`
				Document map[string]any  `json:"document"`
			} `json:"extraction"`
		}
		if err := json.Unmarshal(r.Body, &raw); err != nil {
			t.Fatal(err)
		}
		report = raw.Extraction.Report
		doc := raw.Extraction.Document
		if doc["format"] != "DOCUMENT_FORMAT_TEXT" || doc["filename"] != filepath.Base(sample) ||
			doc["sizeBytes"] != strconv.Itoa(len(content)) || doc["requestId"] != "e2e-extract-1" {
			t.Errorf("document %v: want format DOCUMENT_FORMAT_TEXT, the filename, sizeBytes %q (a string), requestId e2e-extract-1",
				doc, strconv.Itoa(len(content)))
		}
		var cells struct {
			Metadata struct {
				Agency          string `json:"agency"`
				ReportYear      int    `json:"reportYear"`
				TemplateVersion string `json:"templateVersion"`
			} `json:"metadata"`
			Proactive struct {
				Licensing struct {
					State string `json:"state"`
					Count string `json:"count"`
				} `json:"licensingDecisions"`
				Penalty struct {
					Count string `json:"count"`
				} `json:"penaltyDecisions"`
			} `json:"proactiveDisclosure2021"`
		}
		if err := json.Unmarshal(report, &cells); err != nil {
			t.Fatal(err)
		}
		meta, gold := loadGold(t, stem)
		if cells.Metadata.Agency != meta["agency"] || float64(cells.Metadata.ReportYear) != meta["report_year"] {
			t.Errorf("agency %q year %d, gold %v %v", cells.Metadata.Agency, cells.Metadata.ReportYear, meta["agency"], meta["report_year"])
		}
		if cells.Metadata.TemplateVersion != "TEMPLATE_VERSION_2021" {
			t.Errorf("templateVersion %q", cells.Metadata.TemplateVersion)
		}
		// Two cells by hand (gold: 行政许可 292, 行政处罚 4), then every gold cell.
		if cells.Proactive.Licensing.State != "CELL_STATE_NUMBER" || cells.Proactive.Licensing.Count != "292" ||
			cells.Proactive.Penalty.Count != "4" {
			t.Errorf("licensingDecisions %+v, penaltyDecisions %+v: want NUMBER \"292\" and \"4\"",
				cells.Proactive.Licensing, cells.Proactive.Penalty)
		}
		var resp govreportv1.ExtractResponse
		if err := protojson.Unmarshal(r.Body, &resp); err != nil {
			t.Fatal(err)
		}
		if template.GetTemplate() == nil {
			t.Fatal("no template (the template subtest failed)")
		}
		checked := 0
		for _, g := range gold {
			path, ok := cellPath(template.GetTemplate(), g)
			if !ok {
				t.Errorf("gold cell %s | %s | %s is not in the template", g.section, g.row, g.column)
				continue
			}
			if got := notation(cellAt(resp.GetExtraction().GetReport(), path)); got != g.expected {
				t.Errorf("%s (%s | %s): got %s, gold %s", path, g.row, g.column, got, g.expected)
			}
			checked++
		}
		if checked < 50 {
			t.Errorf("only %d gold cells checked", checked)
		}
		if resp.GetExtraction().GetValidation() == nil {
			t.Error("no validation in the extraction")
		}
	})

	t.Run("validate", func(t *testing.T) {
		if report == nil {
			t.Fatal("no report (the extract subtest failed)")
		}
		// The extracted report filed under the wrong year: rule R9 finds it.
		r := postJSON(t, base+"/v1/validate", []byte(`{"report":`+string(report)+`,"filedYear":2025}`))
		if r.Status != 200 {
			t.Fatalf("POST /v1/validate: %d %s", r.Status, r.Body)
		}
		var resp govreportv1.ValidateResponse
		if err := protojson.Unmarshal(r.Body, &resp); err != nil {
			t.Fatal(err)
		}
		var r9 *govreportv1.Finding
		for _, f := range resp.GetValidation().GetFindings() {
			if f.GetRuleId() == "R9" {
				r9 = f
			}
		}
		if r9 == nil || r9.GetSeverity() != govreportv1.Severity_SEVERITY_ERROR || r9.GetExpected() != "2025" || r9.GetFound() != "2023" {
			t.Errorf("want an R9 error finding (expected 2025, found 2023), got %v", resp.GetValidation().GetFindings())
		}
		if resp.GetValidation().GetErrorCount() < 1 {
			t.Errorf("errorCount %d", resp.GetValidation().GetErrorCount())
		}
		// Filed under its own year: no R9.
		ok := postJSON(t, base+"/v1/validate", []byte(`{"report":`+string(report)+`,"filedYear":2023}`))
		var okResp govreportv1.ValidateResponse
		if err := protojson.Unmarshal(ok.Body, &okResp); err != nil || ok.Status != 200 {
			t.Fatalf("POST /v1/validate: %d %s", ok.Status, ok.Body)
		}
		for _, f := range okResp.GetValidation().GetFindings() {
			if f.GetRuleId() == "R9" {
				t.Errorf("R9 for the report's own year: %v", f)
			}
		}
		// A field no message has: 400.
		bad := postJSON(t, base+"/v1/validate", []byte(`{"reprot":{}}`))
		if bad.Status != 400 || decodeError(t, bad).Code != 3 {
			t.Errorf("unknown field: %d %s, want 400 INVALID_ARGUMENT", bad.Status, bad.Body)
		}
	})

	t.Run("unsupported format", func(t *testing.T) {
		junk := make([]byte, 4096)
		if _, err := rand.Read(junk); err != nil {
			t.Fatal(err)
		}
		junk[0] = 0x01 // no magic number begins so (and no text)
		r := postJSON(t, base+"/v1/extract", map[string]any{
			"content": base64.StdEncoding.EncodeToString(junk), "filename": "junk.bin",
		})
		if r.Status != 400 {
			t.Fatalf("random bytes: %d %s, want 400", r.Status, r.Body)
		}
		e := decodeError(t, r)
		if e.Code != 3 || len(e.Details) == 0 {
			t.Fatalf("body %s: want code 3 with details", r.Body)
		}
		d := e.Details[0]
		if d.Type != "type.googleapis.com/google.rpc.ErrorInfo" || d.Reason != "UNSUPPORTED_FORMAT" || d.Domain != "govreport" {
			t.Errorf("details[0] %+v: want ErrorInfo UNSUPPORTED_FORMAT, domain govreport", d)
		}
		id := r.Header.Get("X-Request-Id")
		if id == "" || d.Metadata["request_id"] != id {
			t.Errorf("X-Request-Id %q, ErrorInfo request_id %q: want the same id in both", id, d.Metadata["request_id"])
		}
		if r.Header.Get("Retry-After") != "" {
			t.Errorf("Retry-After %q on an error that is not worth retrying", r.Header.Get("Retry-After"))
		}
		// The caller's own id comes back on an error too (from the server's trailers).
		mine := postJSON(t, base+"/v1/extract", map[string]any{"content": base64.StdEncoding.EncodeToString(junk)},
			"-H", "X-Request-Id: caller-id-42")
		if got := mine.Header.Get("X-Request-Id"); got != "caller-id-42" || decodeError(t, mine).Details[0].Metadata["request_id"] != "caller-id-42" {
			t.Errorf("X-Request-Id %q (body %s), want caller-id-42 in the header and the ErrorInfo", got, mine.Body)
		}
	})

	t.Run("empty document", func(t *testing.T) {
		r := postJSON(t, base+"/v1/extract", map[string]any{})
		e := decodeError(t, r)
		if r.Status != 400 || len(e.Details) == 0 || e.Details[0].Reason != "EMPTY_DOCUMENT" {
			t.Errorf("no content: %d %s, want 400 EMPTY_DOCUMENT", r.Status, r.Body)
		}
	})

	t.Run("healthz", func(t *testing.T) {
		r := curl(t, base+"/healthz")
		if r.Status != 200 || !strings.Contains(string(r.Body), `"SERVING"`) {
			t.Errorf("GET /healthz: %d %s, want 200 SERVING", r.Status, r.Body)
		}
		if r.Header.Get("X-Request-Id") == "" {
			t.Error("no X-Request-Id on /healthz")
		}
		// The image's HEALTHCHECK command.
		if out, err := exec.Command(gatewayBin, "probe", base+"/healthz").CombinedOutput(); err != nil ||
			!strings.HasPrefix(string(out), "200 OK") {
			t.Errorf("govreport-gateway probe: %v %s", err, out)
		}
	})

	t.Run("no such endpoint", func(t *testing.T) {
		r := curl(t, base+"/v1/nothing")
		if r.Status != 404 || decodeError(t, r).Code != 5 {
			t.Errorf("GET /v1/nothing: %d %s, want 404 with a JSON body", r.Status, r.Body)
		}
		// The streaming calls have no HTTP binding.
		r = postJSON(t, base+"/v1/extractBatch", map[string]any{})
		if r.Status != 404 {
			t.Errorf("POST /v1/extractBatch: %d %s, want 404", r.Status, r.Body)
		}
	})

	t.Run("body over the limit", func(t *testing.T) {
		small := startGateway(t, server.Addr, "-max-body-bytes", "4096")
		body := []byte(`{"content":"` + base64.StdEncoding.EncodeToString(make([]byte, 8192)) + `"}`)
		for _, chunked := range []bool{false, true} {
			var extra []string
			if chunked { // no Content-Length: the limit is found while reading
				extra = []string{"-H", "Transfer-Encoding: chunked"}
			}
			r := postJSON(t, "http://"+small.Addr+"/v1/extract", body, extra...)
			e := decodeError(t, r)
			if r.Status != 413 || e.Code != 8 || len(e.Details) == 0 || e.Details[0].Reason != "TOO_LARGE" ||
				e.Details[0].Metadata["limit"] != "4096" {
				t.Errorf("chunked=%v: %d %s, want 413 with RESOURCE_EXHAUSTED TOO_LARGE limit 4096", chunked, r.Status, r.Body)
			}
		}
		// Just under the limit still goes through.
		under := postJSON(t, "http://"+small.Addr+"/v1/extract", map[string]any{
			"content": base64.StdEncoding.EncodeToString(content),
		})
		if len(content)*4/3+64 < 4096 && under.Status != 200 {
			t.Errorf("a body under the limit: %d %s", under.Status, under.Body)
		}
	})

	t.Run("upstream stopped", func(t *testing.T) {
		if err := server.stop(); err != nil {
			t.Fatalf("the server did not stop cleanly: %v\n%s", err, server.logs.String())
		}
		r := curl(t, base+"/healthz")
		if r.Status != 503 || decodeError(t, r).Code != 14 {
			t.Errorf("GET /healthz with the upstream stopped: %d %s, want 503 UNAVAILABLE", r.Status, r.Body)
		}
		if out, err := exec.Command(gatewayBin, "probe", base+"/healthz").CombinedOutput(); err == nil {
			t.Errorf("govreport-gateway probe with the upstream stopped: exit 0 (%s), want 1", out)
		}
		x := curl(t, base+"/v1/templates/TEMPLATE_VERSION_2021")
		if x.Status != 503 || decodeError(t, x).Code != 14 || x.Header.Get("X-Request-Id") == "" {
			t.Errorf("GET /v1/templates with the upstream stopped: %d %s (X-Request-Id %q), want 503 UNAVAILABLE with an id",
				x.Status, x.Body, x.Header.Get("X-Request-Id"))
		}
	})

	t.Run("SIGTERM", func(t *testing.T) {
		if err := gw.stop(); err != nil {
			t.Errorf("the gateway exited with %v after SIGTERM, want 0; log:\n%s", err, gw.logs.String())
		}
	})
}

// TestTokensAndDraining: a server with bearer tokens sees the caller's Authorization header
// (401 UNAUTHENTICATED without it, 200 with it, /healthz open); then /healthz is 503 while the
// server's health is NOT_SERVING (draining after SIGTERM), not only when it is out of reach.
func TestTokensAndDraining(t *testing.T) {
	server := startServer(t, "--drain-seconds", "3", "--auth-tokens", "gw-test-token-1")
	gw := startGateway(t, server.Addr)
	base := "http://" + gw.Addr

	none := curl(t, base+"/v1/templates/TEMPLATE_VERSION_2021")
	e := decodeError(t, none)
	if none.Status != 401 || e.Code != 16 || len(e.Details) == 0 || e.Details[0].Reason != "UNAUTHENTICATED" {
		t.Errorf("no token: %d %s, want 401 UNAUTHENTICATED", none.Status, none.Body)
	}
	wrong := curl(t, base+"/v1/templates/TEMPLATE_VERSION_2021", "-H", "Authorization: Bearer nope")
	if wrong.Status != 401 {
		t.Errorf("a wrong token: %d %s, want 401", wrong.Status, wrong.Body)
	}
	right := curl(t, base+"/v1/templates/TEMPLATE_VERSION_2021", "-H", "Authorization: Bearer gw-test-token-1")
	if right.Status != 200 {
		t.Errorf("the right token: %d %s, want 200", right.Status, right.Body)
	}
	if r := curl(t, base+"/healthz"); r.Status != 200 {
		t.Fatalf("GET /healthz without a token: %d %s, want 200", r.Status, r.Body)
	}

	if err := server.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// The server answers NOT_SERVING for its drain period; poll until it does (never past it).
	var last response
	for range 25 {
		last = curl(t, base+"/healthz")
		if last.Status != 200 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	e = decodeError(t, last)
	if last.Status != 503 || e.Code != 14 || !strings.Contains(e.Message, "NOT_SERVING") {
		t.Errorf("GET /healthz while the server drains: %d %s, want 503 UNAVAILABLE status:NOT_SERVING", last.Status, last.Body)
	}
}

func serverBin(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("GOVREPORT_BIN"); bin != "" {
		return bin
	}
	return filepath.Join(repoRoot(t), ".venv", "bin", "govreport")
}
