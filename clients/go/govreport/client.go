package govreport

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	govreportv1 "github.com/govreport/govreport/clients/go/gen/govreport/v1"
)

const (
	// UploadThreshold is the largest document sent whole with Extract;
	// larger ones go through the ExtractUpload stream.
	UploadThreshold = 4 << 20
	// ChunkSize is the size of the ExtractUpload chunks.
	ChunkSize = 1 << 20
	// DefaultMaxMessageBytes matches the server's default max_message_bytes:
	// grpc-go's own default receive limit (4 MiB) is too small for the
	// Extraction of a long report, which carries text and provenance.
	DefaultMaxMessageBytes = 64 << 20
)

// Options configure a Client. Only Addresses is required.
type Options struct {
	// Addresses are the servers, as gRPC targets: "host:port", or
	// "dns:///name:port" to spread calls over every address the name
	// resolves to (round_robin). With several addresses, unary calls take
	// them in turn and ExtractMany splits its files across them.
	Addresses []string
	// Timeout is each document's deadline: for a document sent alone (and
	// for Validate and GetTemplate), the call's deadline; for a document of
	// a batch (ExtractMany, ExtractDocuments), its ExtractOptions.time_limit,
	// the stream itself having none. Over it, the document fails with
	// DEADLINE_EXCEEDED and the others go on. Zero means none beyond the
	// context's. WithTimeLimit overrides it for one call.
	Timeout time.Duration

	// TLS turns on TLS with the system's roots; CAFile or CertFile imply it.
	TLS bool
	// CAFile is a PEM bundle of the CAs to trust instead of the system's.
	CAFile string
	// CertFile and KeyFile are the client's PEM certificate and key, for
	// servers that require mutual TLS.
	CertFile, KeyFile string
	// ServerName overrides the name checked against the server's
	// certificate (default: the host of the address); it implies TLS.
	ServerName string

	// Token is sent as "authorization: Bearer TOKEN" on every call. Without
	// TLS it travels in the clear: use that only on a trusted network.
	Token string
	// MaxMessageBytes limits the messages sent and received, and is the
	// retry buffer of each call (what gRPC keeps of what it sent, to send it
	// again); zero means DefaultMaxMessageBytes.
	MaxMessageBytes int
	// Extract are the options sent with every document (nil: none); the
	// CallOptions of a call change them for that call.
	Extract *govreportv1.ExtractOptions
	// DialOptions are appended to the client's own, e.g. interceptors.
	DialOptions []grpc.DialOption
}

// Client calls the govreport service. It is safe for concurrent use; Close
// it when done.
type Client struct {
	conns   []*grpc.ClientConn
	stubs   []govreportv1.ReportExtractorClient
	next    atomic.Uint32
	timeout time.Duration
	extract *govreportv1.ExtractOptions
}

// New makes a Client. It does not connect: the first call does, and a
// server that cannot be reached shows up as an UNAVAILABLE *Error then.
//
// Every connection uses the service config of proto/govreport/v1
// (govreportv1.ServiceConfig, embedded when the code is generated): a call
// that ends UNAVAILABLE (OVERLOADED, WORKER_FAILED, SHUTTING_DOWN, a
// server out of reach) is retried, up to 5 attempts in all, with backoff
// from 0.5 s or after the server's pushback.
func New(o Options) (*Client, error) {
	var addresses []string
	for _, a := range o.Addresses {
		if a = strings.TrimSpace(a); a != "" {
			addresses = append(addresses, a)
		}
	}
	if len(addresses) == 0 {
		return nil, errors.New("govreport: no server address")
	}
	dial, err := dialOptions(o)
	if err != nil {
		return nil, err
	}
	c := &Client{timeout: o.Timeout, extract: o.Extract}
	for _, address := range addresses {
		// grpc-go's default policy (pick_first) would send every call to
		// the first address a dns: name resolves to.
		config, err := serviceConfig(strings.HasPrefix(address, "dns:"))
		if err != nil {
			return nil, err
		}
		opts := append([]grpc.DialOption{grpc.WithDefaultServiceConfig(config)}, dial...)
		conn, err := grpc.NewClient(address, opts...)
		if err != nil {
			_ = c.Close()
			return nil, fmt.Errorf("govreport: server address %q: %w", address, err)
		}
		c.conns = append(c.conns, conn)
		c.stubs = append(c.stubs, govreportv1.NewReportExtractorClient(conn))
	}
	return c, nil
}

// serviceConfig is govreportv1.ServiceConfig, with round_robin balancing
// when roundRobin.
func serviceConfig(roundRobin bool) (string, error) {
	if !roundRobin {
		return govreportv1.ServiceConfig, nil
	}
	var config map[string]any
	if err := json.Unmarshal([]byte(govreportv1.ServiceConfig), &config); err != nil {
		return "", fmt.Errorf("govreport: the embedded service config: %w", err)
	}
	config["loadBalancingConfig"] = []any{map[string]any{"round_robin": map[string]any{}}}
	out, err := json.Marshal(config)
	return string(out), err
}

func dialOptions(o Options) ([]grpc.DialOption, error) {
	limit := o.MaxMessageBytes
	if limit <= 0 {
		limit = DefaultMaxMessageBytes
	}
	opts := []grpc.DialOption{
		grpc.WithDefaultCallOptions(
			grpc.MaxCallRecvMsgSize(limit), grpc.MaxCallSendMsgSize(limit),
			// gRPC keeps what it sent (256 KiB by default) to send it again
			// on a retry: any document sent whole can be retried.
			grpc.MaxRetryRPCBufferSize(limit),
		),
	}
	secure := o.TLS || o.CAFile != "" || o.CertFile != "" || o.KeyFile != "" || o.ServerName != ""
	if secure {
		cfg, err := tlsConfig(o)
		if err != nil {
			return nil, err
		}
		opts = append(opts, grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
	} else {
		opts = append(opts, grpc.WithTransportCredentials(insecure.NewCredentials()))
	}
	if o.Token != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(bearer{
			header: "Bearer " + o.Token, secure: secure,
		}))
	}
	return append(opts, o.DialOptions...), nil
}

func tlsConfig(o Options) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: o.ServerName}
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("govreport: CA file: %w", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("govreport: CA file %s: no PEM certificate in it", o.CAFile)
		}
	}
	if (o.CertFile == "") != (o.KeyFile == "") {
		return nil, errors.New("govreport: a client certificate needs both CertFile and KeyFile")
	}
	if o.CertFile != "" {
		pair, err := tls.LoadX509KeyPair(o.CertFile, o.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("govreport: client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

// bearer sends the token on every call.
type bearer struct {
	header string
	secure bool
}

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": b.header}, nil
}

// RequireTransportSecurity is true over TLS, so that grpc-go refuses to send
// the token should the connection ever be plaintext; without TLS the caller
// chose plaintext (a local server, a sidecar that terminates TLS).
func (b bearer) RequireTransportSecurity() bool { return b.secure }

// Close closes the connections.
func (c *Client) Close() error {
	var errs []error
	for _, conn := range c.conns {
		errs = append(errs, conn.Close())
	}
	return errors.Join(errs...)
}

// Stub returns the generated stub of the next server in turn, for calls the
// Client does not wrap. Errors from it are plain gRPC statuses.
func (c *Client) Stub() govreportv1.ReportExtractorClient {
	return c.stubs[(c.next.Add(1)-1)%uint32(len(c.stubs))]
}

// Validate checks a report, e.g. one typed in by hand; previous, if not nil,
// is the same agency's report for the year before (rule R7). The filed year
// (rule R9) is WithFiledYear's, or that of Options.Extract.
func (c *Client) Validate(ctx context.Context, report, previous *govreportv1.AnnualReport, opts ...CallOption) (*govreportv1.ValidationReport, error) {
	s := c.settings(opts)
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	resp, err := c.Stub().Validate(ctx, &govreportv1.ValidateRequest{
		Report: report, PreviousYearReport: previous, FiledYear: s.extract.GetFiledYear(),
	})
	if err != nil {
		return nil, asError(err)
	}
	return resp.GetValidation(), nil
}

// GetTemplate returns the labels and structure of a template version
// (TemplateVersion_TEMPLATE_VERSION_UNSPECIFIED: the 2021 template). Of
// the CallOptions, only WithTimeLimit applies.
func (c *Client) GetTemplate(ctx context.Context, version govreportv1.TemplateVersion, opts ...CallOption) (*govreportv1.TemplateDefinition, error) {
	s := c.settings(opts)
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	resp, err := c.Stub().GetTemplate(ctx, &govreportv1.GetTemplateRequest{Version: version})
	if err != nil {
		return nil, asError(err)
	}
	return resp.GetTemplate(), nil
}
