package govreport

import (
	"context"
	"errors"
	"io"
	"iter"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"google.golang.org/grpc/codes"

	govreportv1 "github.com/govreport/govreport/clients/go/gen/govreport/v1"
)

// BatchResult is the outcome of one document of ExtractMany: either
// Extraction or Err is set.
type BatchResult struct {
	// Index is the document's position in the paths given to ExtractMany.
	Index int
	// Path is the path as given.
	Path       string
	Extraction *govreportv1.Extraction
	// Err is an *Error for a document the server could not read (or when
	// the stream failed), or the error reading the file.
	Err error
}

// ExtractMany extracts the files over the ExtractBatch stream, yielding each
// result as soon as it comes back: not in the order given. Every path yields
// exactly one result, also when the stream fails (each document not answered
// then carries the stream's error).
//
// With several server addresses the files are dealt round-robin over one
// stream per address. Files over UploadThreshold are sent with
// ExtractUpload instead, one at a time beside the stream. The client's
// Timeout bounds the whole batch. Stopping the iteration early cancels the
// streams.
func (c *Client) ExtractMany(ctx context.Context, paths []string) iter.Seq[BatchResult] {
	return func(yield func(BatchResult) bool) {
		ctx, cancel := c.withDeadline(ctx)
		defer cancel()
		results := make(chan BatchResult)
		var wg sync.WaitGroup
		for s, stub := range c.stubs {
			var share []int
			for i := s; i < len(paths); i += len(c.stubs) {
				share = append(share, i)
			}
			if len(share) > 0 {
				wg.Go(func() { c.batchStream(ctx, stub, paths, share, results) })
			}
		}
		go func() { wg.Wait(); close(results) }()
		for r := range results {
			if !yield(r) {
				// The streams end once canceled; drain what they still send
				// so that no goroutine is left blocked.
				cancel()
				for range results {
				}
				return
			}
		}
	}
}

// batchStream runs one ExtractBatch stream over the documents share (indexes
// into paths) and sends one result for each of them to out.
func (c *Client) batchStream(ctx context.Context, stub govreportv1.ReportExtractorClient, paths []string, share []int, out chan<- BatchResult) {
	var mu sync.Mutex
	answered := make(map[int]bool, len(share))
	deliver := func(r BatchResult) {
		mu.Lock()
		first := !answered[r.Index]
		answered[r.Index] = true
		mu.Unlock()
		if first {
			out <- r
		}
	}

	streamCtx, cancelStream := context.WithCancel(ctx)
	defer cancelStream()
	stream, err := stub.ExtractBatch(streamCtx)
	if err != nil {
		for _, i := range share {
			deliver(BatchResult{Index: i, Path: paths[i], Err: asError(err)})
		}
		return
	}

	// The wire id is the index, so that the same path given twice still
	// gets two results.
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		defer func() { _ = stream.CloseSend() }()
		for _, i := range share {
			if streamCtx.Err() != nil {
				return // the stream failed: the rest get its error
			}
			r, req := c.batchRequest(ctx, stub, paths, i)
			if req == nil {
				deliver(r)
				continue
			}
			// io.EOF: the server ended the stream; Recv below gets why.
			if err := stream.Send(req); err != nil {
				return
			}
		}
	}()

	var streamErr error
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			streamErr = asError(err)
			break
		}
		i, err := strconv.Atoi(resp.GetId())
		if err != nil || i < 0 || i >= len(paths) {
			continue // not an id we sent
		}
		r := BatchResult{Index: i, Path: paths[i]}
		if b := resp.GetError(); b != nil {
			r.Err = batchError(b)
		} else {
			r.Extraction = resp.GetExtraction()
		}
		deliver(r)
	}
	cancelStream() // unblocks a Send still waiting for flow control
	<-sent
	if streamErr == nil {
		streamErr = &Error{Code: codes.Internal, Message: "the server ended the batch without a result for this document"}
	}
	for _, i := range share {
		deliver(BatchResult{Index: i, Path: paths[i], Err: streamErr})
	}
}

// batchRequest reads document i. It returns the request to send on the
// stream, or nil and the document's result when it was dealt with
// otherwise: unreadable, or large and uploaded on its own.
func (c *Client) batchRequest(ctx context.Context, stub govreportv1.ReportExtractorClient, paths []string, i int) (BatchResult, *govreportv1.ExtractBatchRequest) {
	r := BatchResult{Index: i, Path: paths[i]}
	info, err := os.Stat(paths[i])
	if err == nil && info.Size() > UploadThreshold {
		r.Extraction, r.Err = c.extractFile(ctx, stub, paths[i])
		return r, nil
	}
	content, err := os.ReadFile(paths[i])
	if err != nil {
		r.Err = err
		return r, nil
	}
	return r, &govreportv1.ExtractBatchRequest{
		Id: strconv.Itoa(i), Content: content, Filename: filepath.Base(paths[i]), Options: c.extract,
	}
}
