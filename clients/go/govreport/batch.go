package govreport

import (
	"context"
	"errors"
	"io"
	"iter"
	"strconv"
	"sync"

	"google.golang.org/grpc/codes"

	govreportv1 "github.com/govreport/govreport/clients/go/gen/govreport/v1"
)

// BatchResult is the outcome of one document of ExtractMany or
// ExtractDocuments: either Extraction or Err is set.
type BatchResult struct {
	// Index is the document's position in the paths (or documents) given.
	Index int
	// Path is the path as given; for a Bytes or Reader document, its name.
	Path       string
	Extraction *govreportv1.Extraction
	// Err is an *Error: for a document the server could not read (the
	// same a unary call gives, from its BatchError), a local file that
	// could not be read (NOT_FOUND, UNREADABLE), or the stream's failure.
	Err error
}

// ExtractMany extracts the files over the ExtractBatch stream, yielding each
// result as soon as it comes back: not in the order given. It is
// ExtractDocuments of File(path) for each path.
func (c *Client) ExtractMany(ctx context.Context, paths []string, opts ...CallOption) iter.Seq[BatchResult] {
	docs := make([]Document, len(paths))
	for i, path := range paths {
		docs[i] = File(path)
	}
	return c.ExtractDocuments(ctx, docs, opts...)
}

// ExtractDocuments extracts the documents over the ExtractBatch stream,
// yielding each result as soon as it comes back: not in the order given.
// Every document yields exactly one result, also when the stream fails
// (each document not answered then carries the stream's error).
//
// Each document's deadline (Options.Timeout, or WithTimeLimit) is sent as
// its ExtractOptions.time_limit: a document over it fails with
// DEADLINE_EXCEEDED and the others go on. The streams themselves have no
// deadline but ctx's.
//
// With several server addresses the documents are dealt round-robin over
// one stream per address. Documents over UploadThreshold are sent with
// ExtractUpload instead, one at a time beside the stream. Stopping the
// iteration early cancels the streams.
func (c *Client) ExtractDocuments(ctx context.Context, docs []Document, opts ...CallOption) iter.Seq[BatchResult] {
	return func(yield func(BatchResult) bool) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		results := make(chan BatchResult)
		var wg sync.WaitGroup
		for s, stub := range c.stubs {
			var share []int
			for i := s; i < len(docs); i += len(c.stubs) {
				share = append(share, i)
			}
			if len(share) > 0 {
				wg.Go(func() { c.batchStream(ctx, stub, docs, opts, share, results) })
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
// into docs) and sends one result for each of them to out.
func (c *Client) batchStream(ctx context.Context, stub govreportv1.ReportExtractorClient, docs []Document, opts []CallOption, share []int, out chan<- BatchResult) {
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
			deliver(BatchResult{Index: i, Path: docs[i].label(), Err: asError(err)})
		}
		return
	}

	// The wire id is the index, so that the same document given twice
	// still gets two results.
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		defer func() { _ = stream.CloseSend() }()
		for _, i := range share {
			if streamCtx.Err() != nil {
				return // the stream failed: the rest get its error
			}
			r, req := c.batchRequest(ctx, stub, docs, opts, i)
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
		if err != nil || i < 0 || i >= len(docs) {
			continue // not an id we sent
		}
		r := BatchResult{Index: i, Path: docs[i].label()}
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
		streamErr = &Error{Code: codes.Internal, Reason: ReasonInternal,
			Message: "the server ended the batch without a result for this document"}
	}
	for _, i := range share {
		deliver(BatchResult{Index: i, Path: docs[i].label(), Err: streamErr})
	}
}

// batchRequest reads document i. It returns the request to send on the
// stream, or nil and the document's result when it was dealt with
// otherwise: unreadable, or large and uploaded on its own (with its
// deadline as the upload's).
func (c *Client) batchRequest(ctx context.Context, stub govreportv1.ReportExtractorClient, docs []Document, opts []CallOption, i int) (BatchResult, *govreportv1.ExtractBatchRequest) {
	doc := docs[i]
	r := BatchResult{Index: i, Path: doc.label()}
	s := c.settings(opts, doc.opts)
	content, big, size, err := doc.open()
	if err != nil {
		r.Err = err
		return r, nil
	}
	if big != nil {
		defer big.Close()
		ctx, cancel := s.deadline(ctx)
		defer cancel()
		r.Extraction, r.Err = c.upload(ctx, stub, big, size, doc, s.extract)
		return r, nil
	}
	return r, &govreportv1.ExtractBatchRequest{
		Id: strconv.Itoa(i), Content: content, Filename: doc.Name, Options: s.batchOptions(),
	}
}
