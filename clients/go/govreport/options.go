package govreport

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	govreportv1 "github.com/govreport/govreport/clients/go/gen/govreport/v1"
)

// CallOption changes what one call (or one Document of a batch) is sent
// with, over the Client's Options: WithFiledYear, WithTemplateVersion,
// WithoutValidation, WithTimeLimit, WithExtractOptions.
type CallOption func(*settings)

// settings are what a document is sent with.
type settings struct {
	extract *govreportv1.ExtractOptions // never nil; no time_limit of ours in it
	timeout time.Duration               // the document's deadline; 0: none
}

// WithFiledYear is ExtractOptions.filed_year: the year the report is filed
// under, which rule R9 checks against the report's own year (0: unknown).
// For Validate, ValidateRequest.filed_year.
func WithFiledYear(year int) CallOption {
	return func(s *settings) { s.extract.FiledYear = int32(year) }
}

// WithTemplateVersion reads the tables as this template version instead of
// detecting it.
func WithTemplateVersion(v govreportv1.TemplateVersion) CallOption {
	return func(s *settings) { s.extract.TemplateVersion = v }
}

// WithoutValidation returns the report without validating it (the
// Extraction's Validation is then empty).
func WithoutValidation() CallOption {
	return func(s *settings) { s.extract.SkipValidation = true }
}

// WithTimeLimit is each document's deadline, instead of Options.Timeout:
// for a document sent alone, its call's deadline; for a document of a
// batch, its ExtractOptions.time_limit. Over it, the document fails with
// DEADLINE_EXCEEDED (errors.Is(err, context.DeadlineExceeded)). Zero: none.
func WithTimeLimit(d time.Duration) CallOption {
	return func(s *settings) { s.timeout = max(d, 0) }
}

// WithExtractOptions replaces the ExtractOptions sent (Options.Extract and
// the options given before this one); the options given after it change
// it further. Its time_limit, if set, is sent as it is.
func WithExtractOptions(o *govreportv1.ExtractOptions) CallOption {
	return func(s *settings) { s.extract = cloneOptions(o) }
}

func cloneOptions(o *govreportv1.ExtractOptions) *govreportv1.ExtractOptions {
	if o == nil {
		return &govreportv1.ExtractOptions{}
	}
	return proto.Clone(o).(*govreportv1.ExtractOptions)
}

// settings are the Client's Options overridden by opts, in order.
func (c *Client) settings(opts ...[]CallOption) settings {
	s := settings{extract: cloneOptions(c.extract), timeout: c.timeout}
	for _, list := range opts {
		for _, o := range list {
			if o != nil {
				o(&s)
			}
		}
	}
	return s
}

// deadline bounds ctx by the document's deadline, if any.
func (s settings) deadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if s.timeout > 0 {
		return context.WithTimeout(ctx, s.timeout)
	}
	return context.WithCancel(ctx)
}

// batchOptions are the ExtractOptions of a document of a batch stream: its
// deadline is its time_limit.
func (s settings) batchOptions() *govreportv1.ExtractOptions {
	o := s.extract
	if s.timeout > 0 {
		o = proto.Clone(o).(*govreportv1.ExtractOptions)
		o.TimeLimit = durationpb.New(s.timeout)
	}
	return o
}

// Document is one document to extract: a file (File), bytes in memory
// (Bytes) or a stream (Reader), with its own CallOptions if any (With).
type Document struct {
	// Name is the file name it is sent under, for the server's messages
	// only (the format is detected from the bytes): a File's base name.
	Name string
	// Path is a File's path as given; empty for Bytes and Reader.
	Path string

	content []byte
	reader  io.Reader
	opts    []CallOption
}

// File is the document at path, sent under its base name. It is read when
// sent; a file over UploadThreshold is streamed from disk, never held
// whole.
func File(path string) Document {
	return Document{Name: filepath.Base(path), Path: path}
}

// Bytes is a document in memory, sent under name.
func Bytes(name string, content []byte) Document {
	if content == nil {
		content = []byte{}
	}
	return Document{Name: name, content: content}
}

// Reader is a document read from r when it is sent, under name. Up to
// UploadThreshold bytes are read into memory; a longer one is streamed
// with ExtractUpload. A Reader document can be sent once.
func Reader(name string, r io.Reader) Document {
	return Document{Name: name, reader: r}
}

// With returns the document with options of its own, applied after those
// of the call.
func (d Document) With(opts ...CallOption) Document {
	d.opts = append(d.opts[:len(d.opts):len(d.opts)], opts...)
	return d
}

// label is how results and messages name the document: its path, or its
// name.
func (d Document) label() string {
	if d.Path != "" {
		return d.Path
	}
	return d.Name
}

// open returns the document's bytes when they are at most UploadThreshold,
// or else a reader of them and their size (0: unknown) to upload. A read
// error is an *Error (NOT_FOUND, UNREADABLE).
func (d Document) open() (content []byte, big io.ReadCloser, size int64, err error) {
	switch {
	case d.Path != "":
		f, err := os.Open(d.Path)
		if err != nil {
			return nil, nil, 0, fileError(d.Path, d.Path, err)
		}
		info, err := f.Stat()
		if err == nil && info.Mode().IsRegular() && info.Size() > UploadThreshold {
			return nil, f, info.Size(), nil
		}
		defer f.Close()
		if err == nil {
			content, err = io.ReadAll(f)
		}
		if err != nil {
			return nil, nil, 0, fileError(d.Path, d.Path, err)
		}
		return content, nil, 0, nil
	case d.reader != nil:
		head, err := io.ReadAll(io.LimitReader(d.reader, UploadThreshold+1))
		if err != nil {
			return nil, nil, 0, fileError(d.Name, d.Name, err)
		}
		if len(head) <= UploadThreshold {
			return head, nil, 0, nil
		}
		rest := io.MultiReader(bytes.NewReader(head), d.reader)
		return nil, io.NopCloser(readErrors{rest, d.Name}), 0, nil
	case len(d.content) > UploadThreshold:
		return nil, io.NopCloser(bytes.NewReader(d.content)), int64(len(d.content)), nil
	}
	return d.content, nil, 0, nil
}

// readErrors makes the read errors of a Reader document *Errors, as those
// of a file are.
type readErrors struct {
	r    io.Reader
	name string
}

func (r readErrors) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		err = fileError(r.name, r.name, err)
	}
	return n, err
}
