// Command govreport-client extracts reports through a govreport server and
// prints each Extraction as proto3 JSON, one line per file (JSON Lines), in
// the order the files were given. With --pages, the files are the page
// images of ONE report, in the order given, and it prints one line.
//
//	govreport-client extract [--server ADDR[,ADDR...]] [--timeout S] [--token T]
//	                         [--tls-ca FILE] [--tls-cert FILE --tls-key FILE] [--pages] FILE...
//
// Exit status: 0 when every file was extracted, 2 when some file failed
// (each failure on stderr as "FILE: REASON: message"; for --pages,
// "pages.zip: REASON: message") or on a usage error.
package main

import (
	"bufio"
	"context"
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

	"google.golang.org/protobuf/encoding/protojson"

	govreportv1 "github.com/govreport/govreport/clients/go/gen/govreport/v1"
	"github.com/govreport/govreport/clients/go/govreport"
)

const (
	exitOK     = 0
	exitFailed = 2
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
proto3 JSON, one line per file. With --pages, the PAGE images (.png, .jpg,
.jpeg, .tif, .tiff, .bmp, .webp) are the pages of one report, in the order
given: one line. Exit status 2 when a file failed.

flags:
`)
}

// run is the whole command, apart from the process: main's ctx, arguments
// and streams, so that tests can call it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "extract" {
		usage(stderr)
		return exitFailed
	}
	flags := flag.NewFlagSet("govreport-client extract", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() { usage(stderr); flags.PrintDefaults() }
	server := flags.String("server", envOr("GOVREPORT_SERVER", defaultServer),
		"server `ADDR`[,ADDR...]: several spread the files over them; dns:///NAME:PORT balances over NAME's addresses (env GOVREPORT_SERVER)")
	timeout := flags.Float64("timeout", 300, "deadline of each call, in `SECONDS` (for several files: of the whole batch); 0: none")
	token := flags.String("token", os.Getenv("GOVREPORT_TOKEN"), "bearer `TOKEN` sent with every call (env GOVREPORT_TOKEN)")
	caFile := flags.String("tls-ca", "", "use TLS, trusting the CAs of this PEM `FILE`")
	certFile := flags.String("tls-cert", "", "client certificate PEM `FILE`, for mutual TLS (with --tls-key)")
	keyFile := flags.String("tls-key", "", "client key PEM `FILE`, for mutual TLS (with --tls-cert)")
	filedYear := flags.Int("filed-year", 0, "the `YEAR` the reports are filed under (rule R9); 0: unknown")
	pages := flags.Bool("pages", false, "the files are the page images of one report, in the order given (sent as "+govreport.PagesFilename+")")
	if err := flags.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitFailed
	}
	files := flags.Args()
	if len(files) == 0 {
		fmt.Fprintln(stderr, "govreport-client: no FILE given")
		return exitFailed
	}

	client, err := govreport.New(govreport.Options{
		Addresses: strings.Split(*server, ","),
		Timeout:   time.Duration(*timeout * float64(time.Second)),
		CAFile:    *caFile,
		CertFile:  *certFile,
		KeyFile:   *keyFile,
		Token:     *token,
		Extract:   &govreportv1.ExtractOptions{FiledYear: int32(*filedYear)},
	})
	if err != nil {
		fmt.Fprintln(stderr, "govreport-client:", err)
		return exitFailed
	}
	defer client.Close()

	out := bufio.NewWriter(stdout)
	defer out.Flush()
	code := exitOK
	emit := func(r govreport.BatchResult) {
		if r.Err != nil {
			fmt.Fprintf(stderr, "%s: %s\n", r.Path, describe(r.Path, r.Err))
			code = exitFailed
			return
		}
		line, err := protojson.Marshal(r.Extraction) // compact: one line
		if err != nil {
			fmt.Fprintf(stderr, "%s: INTERNAL: %v\n", r.Path, err)
			code = exitFailed
			return
		}
		out.Write(line)
		out.WriteByte('\n')
		out.Flush() // a line as soon as it is ready, for a reader downstream
	}

	if *pages {
		x, err := client.ExtractPages(ctx, files)
		emit(govreport.BatchResult{Path: govreport.PagesFilename, Extraction: x, Err: err})
		return code
	}
	if len(files) == 1 {
		x, err := client.ExtractFile(ctx, files[0])
		emit(govreport.BatchResult{Path: files[0], Extraction: x, Err: err})
		return code
	}
	// Results come back out of order: hold the early ones until those before
	// them are printed, so that line i is file i.
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
	return code
}

// describe is "REASON: message" for a failed document, in the form the
// Python command prints, file errors included; a file error names the file
// when it is not the document itself (a page of --pages).
func describe(document string, err error) string {
	var e *govreport.Error
	if errors.As(err, &e) {
		return e.Error()
	}
	reason, message := "UNREADABLE", err.Error()
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		message = pathErr.Err.Error()
	}
	if errors.Is(err, fs.ErrNotExist) {
		reason, message = "NOT_FOUND", "no such file"
	}
	if pathErr != nil && pathErr.Path != document {
		message = pathErr.Path + ": " + message
	}
	return reason + ": " + message
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}
