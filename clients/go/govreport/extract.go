package govreport

import (
	"context"
	"errors"
	"io"

	govreportv1 "github.com/govreport/govreport/clients/go/gen/govreport/v1"
)

// Extract extracts one document from its bytes. filename is for the
// server's messages only (the format is detected from the bytes). Documents
// over UploadThreshold are sent with ExtractUpload, in ChunkSize chunks.
func (c *Client) Extract(ctx context.Context, content []byte, filename string, opts ...CallOption) (*govreportv1.Extraction, error) {
	return c.ExtractDocument(ctx, Bytes(filename, content), opts...)
}

// ExtractFile extracts the document at path, sent under its base name.
// A file over UploadThreshold is streamed from disk, never held whole.
// A file that does not exist is an *Error with Reason NOT_FOUND
// (errors.Is(err, fs.ErrNotExist)); one that cannot be read, UNREADABLE;
// both unwrap to the *fs.PathError.
func (c *Client) ExtractFile(ctx context.Context, path string, opts ...CallOption) (*govreportv1.Extraction, error) {
	return c.ExtractDocument(ctx, File(path), opts...)
}

// ExtractReader extracts the document read from r, sent under name.
func (c *Client) ExtractReader(ctx context.Context, name string, r io.Reader, opts ...CallOption) (*govreportv1.Extraction, error) {
	return c.ExtractDocument(ctx, Reader(name, r), opts...)
}

// ExtractDocument extracts one document: a File, Bytes or Reader. Its
// deadline is Options.Timeout, or WithTimeLimit's.
func (c *Client) ExtractDocument(ctx context.Context, doc Document, opts ...CallOption) (*govreportv1.Extraction, error) {
	s := c.settings(opts, doc.opts)
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	return c.extractDocument(ctx, c.Stub(), doc, s.extract)
}

func (c *Client) extractDocument(ctx context.Context, stub govreportv1.ReportExtractorClient, doc Document, options *govreportv1.ExtractOptions) (*govreportv1.Extraction, error) {
	content, big, size, err := doc.open()
	if err != nil {
		return nil, err
	}
	if big != nil {
		defer big.Close()
		return c.upload(ctx, stub, big, size, doc, options)
	}
	resp, err := stub.Extract(ctx, &govreportv1.ExtractRequest{
		Content: content, Filename: doc.Name, Options: options,
	})
	if err != nil {
		return nil, asError(err)
	}
	return resp.GetExtraction(), nil
}

// upload sends the header, with the size (if known) so that the server can
// refuse an oversized document before it is sent, then the bytes in
// chunks. The channel keeps up to MaxMessageBytes of what was sent, so that
// its retry policy can send it again.
func (c *Client) upload(ctx context.Context, stub govreportv1.ReportExtractorClient, r io.Reader, size int64, doc Document, options *govreportv1.ExtractOptions) (*govreportv1.Extraction, error) {
	// Canceling the stream tells the server to drop a partial upload when
	// reading the file fails half-way.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := stub.ExtractUpload(ctx)
	if err != nil {
		return nil, asError(err)
	}
	header := &govreportv1.ExtractUploadRequest{Part: &govreportv1.ExtractUploadRequest_Header{
		Header: &govreportv1.UploadHeader{Filename: doc.Name, Options: options, SizeBytes: size},
	}}
	// Send returns io.EOF when the server has ended the call (e.g. TOO_LARGE
	// on the header): its status then comes from CloseAndRecv.
	if err := stream.Send(header); err == nil {
		if err := sendChunks(stream, r, doc); err != nil {
			return nil, err
		}
	} else if !errors.Is(err, io.EOF) {
		return nil, asError(err)
	}
	resp, err := stream.CloseAndRecv()
	if err != nil {
		return nil, asError(err)
	}
	return resp.GetExtraction(), nil
}

func sendChunks(stream govreportv1.ReportExtractor_ExtractUploadClient, r io.Reader, doc Document) error {
	for {
		// A fresh buffer each time: grpc-go may still hold a sent message.
		chunk := make([]byte, ChunkSize)
		n, err := io.ReadFull(r, chunk)
		if n > 0 {
			part := &govreportv1.ExtractUploadRequest{Part: &govreportv1.ExtractUploadRequest_Chunk{Chunk: chunk[:n]}}
			if err := stream.Send(part); errors.Is(err, io.EOF) {
				return nil
			} else if err != nil {
				return asError(err)
			}
		}
		switch {
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return nil
		case err != nil:
			var e *Error
			if errors.As(err, &e) {
				return e
			}
			return fileError(doc.label(), doc.label(), err)
		}
	}
}
