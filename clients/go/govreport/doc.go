// Package govreport is a thin client of the govreport gRPC service
// (govreport.v1.ReportExtractor), which turns annual reports on government
// information disclosure into structured, validated data.
//
// It wraps the generated stub in package govreportv1 with what every caller
// needs: several server addresses, each document's deadline, TLS and mutual
// TLS, a bearer token, the choice between Extract and the chunked
// ExtractUpload by size, the ExtractBatch stream spread over the addresses,
// the service's retry policy (proto/govreport/v1/service_config.json), and
// errors that carry the service's ErrorInfo reason (see Error).
//
//	c, err := govreport.New(govreport.Options{Addresses: []string{"127.0.0.1:50051"}})
//	if err != nil { ... }
//	defer c.Close()
//	x, err := c.ExtractFile(ctx, "report.pdf", govreport.WithFiledYear(2024))
//	var e *govreport.Error
//	if errors.As(err, &e) && e.Reason == govreport.ReasonNotAReport { ... }
//	if errors.Is(err, context.DeadlineExceeded) { ... }
//	for r := range c.ExtractDocuments(ctx, []govreport.Document{
//		govreport.File("a.pdf"), govreport.Bytes("b.txt", b), govreport.Reader("c.docx", r),
//	}) { ... }
package govreport

// The generated code (../gen, never committed) comes from ../../../proto.
//go:generate sh ../scripts/generate.sh
