// Command govreport-client extracts reports through a govreport server and
// prints each Extraction as proto3 JSON, one line per file (JSON Lines), in
// the order the files were given. With --pages, the files are the page
// images of ONE report, in the order given, and it prints one line. It
// follows the contract of docs/clients.md.
//
//	govreport-client extract [--server ADDR[,ADDR...]] [--timeout S] [--filed-year N]
//	                         [--token T | --token-file F] [--tls-ca FILE]
//	                         [--tls-cert FILE --tls-key FILE] [--tls-server-name N]
//	                         [--pages] FILE...
//
// Exit status: 0 when every file was extracted and no report has findings
// of error severity; 1 when every file was extracted but some report has;
// 2 when some file failed (each failure on stderr as
// "govreport-client: FILE: REASON: message"; for --pages, FILE is
// pages.zip) or on a usage error.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"

	govreportv1 "github.com/govreport/govreport/clients/go/gen/govreport/v1"
	"github.com/govreport/govreport/clients/go/govreport"
)

const (
	prog         = "govreport-client"
	exitOK       = 0
	exitFindings = 1
	exitFailed   = 2
	// defaultServer is the server's own default address.
	defaultServer = "127.0.0.1:50051"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage: govreport-client extract [flags] FILE...
       govreport-client extract [flags] --pages PAGE...

Extracts each FILE through a govreport server and prints its Extraction as
proto3 JSON, one line per file, in the order given. With --pages, the PAGE
images (.png, .jpg, .jpeg, .tif, .tiff, .bmp, .webp) are the pages of one
report, in the order given: one line. Exit status 0: all extracted; 1: all
extracted, some report has findings of error severity; 2: a file failed
("govreport-client: FILE: REASON: message" on stderr) or a usage error.

flags:
`)
}

// failure prints "govreport-client: WHAT: REASON: message".
func failure(stderr io.Writer, what string, err error) {
	var e *govreport.Error
	if errors.As(err, &e) {
		fmt.Fprintf(stderr, "%s: %s: %s: %s\n", prog, what, e.ReasonOrCode(), oneLine(e.Message))
		return
	}
	fmt.Fprintf(stderr, "%s: %s: INTERNAL: %s\n", prog, what, oneLine(err.Error()))
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// run is the whole command, apart from the process: main's ctx, arguments
// and streams, so that tests can call it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "extract" {
		usage(stderr)
		return exitFailed
	}
	flags := flag.NewFlagSet(prog+" extract", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() { usage(stderr); flags.PrintDefaults() }
	server := flags.String("server", envOr("GOVREPORT_SERVER", defaultServer),
		"server `ADDR`[,ADDR...]: several share the files; dns:///NAME:PORT balances over NAME's addresses (env GOVREPORT_SERVER)")
	timeout := flags.Float64("timeout", 300, "each document's deadline, in `SECONDS` (in a batch: its time limit; the stream has none); 0: none")
	filedYear := flags.Int("filed-year", 0, "the `YEAR` the reports are filed under (rule R9); 0: unknown")
	token := flags.String("token", "", "bearer `TOKEN` sent with every call (default: env GOVREPORT_TOKEN)")
	tokenFile := flags.String("token-file", "", "`FILE` holding the bearer token")
	caFile := flags.String("tls-ca", "", "use TLS, trusting the CAs of this PEM `FILE`")
	certFile := flags.String("tls-cert", "", "client certificate PEM `FILE`, for mutual TLS (with --tls-key)")
	keyFile := flags.String("tls-key", "", "client key PEM `FILE`, for mutual TLS (with --tls-cert)")
	serverName := flags.String("tls-server-name", "", "the `NAME` the server's certificate must carry (implies TLS)")
	pages := flags.Bool("pages", false, "the files are the page images of one report, in the order given (sent as "+govreport.PagesFilename+")")
	if err := flags.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitFailed
	}
	files := flags.Args()
	switch {
	case len(files) == 0:
		fmt.Fprintf(stderr, "%s: no FILE given\n", prog)
		return exitFailed
	case *timeout < 0:
		fmt.Fprintf(stderr, "%s: --timeout %g: not a number of seconds\n", prog, *timeout)
		return exitFailed
	case *filedYear < 0:
		fmt.Fprintf(stderr, "%s: --filed-year %d: not a year\n", prog, *filedYear)
		return exitFailed
	case (*certFile == "") != (*keyFile == ""):
		fmt.Fprintf(stderr, "%s: --tls-cert and --tls-key go together (mutual TLS)\n", prog)
		return exitFailed
	}
	bearer := *token
	if bearer == "" && *tokenFile != "" {
		content, err := os.ReadFile(*tokenFile)
		if err != nil {
			failure(stderr, *tokenFile, readError(err))
			return exitFailed
		}
		bearer = strings.TrimSpace(string(content))
	}
	if bearer == "" {
		bearer = os.Getenv("GOVREPORT_TOKEN")
	}

	client, err := govreport.New(govreport.Options{
		Addresses:  strings.Split(*server, ","),
		Timeout:    time.Duration(*timeout * float64(time.Second)),
		CAFile:     *caFile,
		CertFile:   *certFile,
		KeyFile:    *keyFile,
		ServerName: *serverName,
		Token:      bearer,
		Extract:    &govreportv1.ExtractOptions{FiledYear: int32(*filedYear)},
	})
	if err != nil {
		fmt.Fprintf(stderr, "%s: %s\n", prog, oneLine(err.Error()))
		return exitFailed
	}
	defer client.Close()

	out := bufio.NewWriter(stdout)
	defer out.Flush()
	failed, findings := false, false
	emit := func(r govreport.BatchResult) {
		if r.Err != nil {
			failure(stderr, r.Path, r.Err)
			failed = true
			return
		}
		line, err := jsonLine(r.Extraction)
		if err != nil {
			failure(stderr, r.Path, err)
			failed = true
			return
		}
		out.Write(line)
		out.Flush() // a line as soon as it is ready, for a reader downstream
		findings = findings || hasErrors(r.Extraction.GetValidation())
	}

	switch {
	case *pages:
		x, err := client.ExtractPages(ctx, files)
		emit(govreport.BatchResult{Path: govreport.PagesFilename, Extraction: x, Err: err})
	case len(files) == 1:
		x, err := client.ExtractFile(ctx, files[0])
		emit(govreport.BatchResult{Path: files[0], Extraction: x, Err: err})
	default:
		// Results come back out of order: hold the early ones until those
		// before them are printed, so that line i is file i.
		held := make(map[int]govreport.BatchResult)
		next := 0
		for r := range client.ExtractMany(ctx, files) {
			held[r.Index] = r
			for r, ok := held[next]; ok; r, ok = held[next] {
				emit(r)
				delete(held, next)
				next++
			}
		}
	}
	switch {
	case failed:
		return exitFailed
	case findings:
		return exitFindings
	}
	return exitOK
}

// jsonLine is x as protojson's defaults write it (lowerCamelCase names,
// 64-bit integers as strings, enums by name, default values left out, UTF-8
// unescaped), without the spaces protojson adds at random, and a newline.
func jsonLine(x *govreportv1.Extraction) ([]byte, error) {
	text, err := protojson.Marshal(x)
	if err != nil {
		return nil, err
	}
	var line bytes.Buffer
	if err := json.Compact(&line, text); err != nil {
		return nil, err
	}
	line.WriteByte('\n')
	return line.Bytes(), nil
}

// hasErrors: findings of error severity, as the Python command counts them.
func hasErrors(v *govreportv1.ValidationReport) bool {
	if v.GetErrorCount() > 0 {
		return true
	}
	for _, f := range v.GetFindings() {
		if f.GetSeverity() == govreportv1.Severity_SEVERITY_ERROR {
			return true
		}
	}
	return false
}

// readError is the *govreport.Error of a local file the command reads
// itself (the token file): NOT_FOUND or UNREADABLE.
func readError(err error) error {
	e := &govreport.Error{Code: codes.InvalidArgument, Reason: govreport.ReasonUnreadable, Message: err.Error()}
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		e.Message = pathErr.Err.Error()
	}
	if errors.Is(err, fs.ErrNotExist) {
		e.Code, e.Reason, e.Message = codes.NotFound, govreport.ReasonNotFound, "no such file"
	}
	return e
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}
