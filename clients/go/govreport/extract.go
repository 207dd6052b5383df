package govreport

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"

	govreportv1 "github.com/govreport/govreport/clients/go/gen/govreport/v1"
)

// Extract extracts one document from its bytes. filename is for the
// server's messages only (the format is detected from the bytes). Documents
// over UploadThreshold are sent with ExtractUpload, in ChunkSize chunks.
func (c *Client) Extract(ctx context.Context, content []byte, filename string) (*govreportv1.Extraction, error) {
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	return c.extract1(ctx, c.Stub(), content, filename)
}

// ExtractFile extracts the document at path, sent under its base name.
// A file over UploadThreshold is streamed from disk, never held whole.
// An error reading the file is returned as is (an *fs.PathError), not as
// an *Error.
func (c *Client) ExtractFile(ctx context.Context, path string) (*govreportv1.Extraction, error) {
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	return c.extractFile(ctx, c.Stub(), path)
}

func (c *Client) extractFile(ctx context.Context, stub govreportv1.ReportExtractorClient, path string) (*govreportv1.Extraction, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	name := filepath.Base(path)
	if info.Size() > UploadThreshold {
		return c.upload(ctx, stub, f, info.Size(), name)
	}
	content, err := io.ReadAll(f)
	if err != nil {
		return nil, err
	}
	return c.extract1(ctx, stub, content, name)
}

func (c *Client) extract1(ctx context.Context, stub govreportv1.ReportExtractorClient, content []byte, filename string) (*govreportv1.Extraction, error) {
	if len(content) > UploadThreshold {
		return c.upload(ctx, stub, bytes.NewReader(content), int64(len(content)), filename)
	}
	resp, err := stub.Extract(ctx, &govreportv1.ExtractRequest{
		Content: content, Filename: filename, Options: c.extract,
	})
	if err != nil {
		return nil, asError(err)
	}
	return resp.GetExtraction(), nil
}

// upload sends the header, with the size so that the server can refuse an
// oversized document before it is sent, then the bytes in chunks.
func (c *Client) upload(ctx context.Context, stub govreportv1.ReportExtractorClient, r io.Reader, size int64, filename string) (*govreportv1.Extraction, error) {
	// Canceling the stream tells the server to drop a partial upload when
	// reading the file fails half-way.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := stub.ExtractUpload(ctx)
	if err != nil {
		return nil, asError(err)
	}
	header := &govreportv1.ExtractUploadRequest{Part: &govreportv1.ExtractUploadRequest_Header{
		Header: &govreportv1.UploadHeader{Filename: filename, Options: c.extract, SizeBytes: size},
	}}
	// Send returns io.EOF when the server has ended the call (e.g. TOO_LARGE
	// on the header): its status then comes from CloseAndRecv.
	if err := stream.Send(header); err == nil {
		if err := sendChunks(stream, r); err != nil {
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

func sendChunks(stream govreportv1.ReportExtractor_ExtractUploadClient, r io.Reader) error {
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
			return err
		}
	}
}
