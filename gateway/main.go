// Command govreport-gateway serves the govreport gRPC API as HTTP/JSON (grpc-gateway v2) for
// systems without gRPC: POST /v1/extract, POST /v1/validate, GET /v1/templates/{version}
// (and GET /v1/template), and GET /healthz. See docs/http.md.
//
//	govreport-gateway [-listen :8080] [-upstream 127.0.0.1:50051] [-upstream-tls-ca F ...]
//	govreport-gateway probe [URL]      GET /healthz, exit 0 when 200 (the image's HEALTHCHECK)
//
// Every flag has a GOVREPORT_GATEWAY_* variable (GOVREPORT_UPSTREAM for -upstream); a flag
// given on the command line wins. On start it prints "govreport-gateway listening on ADDR"
// (the port chosen, with -listen :0) on stdout; on SIGTERM or SIGINT it stops taking
// connections and lets the requests in flight finish (up to -shutdown-grace).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// version is set at build time (-ldflags "-X main.version=...").
var version = "dev"

const (
	mib = 1 << 20
	// defaultMaxMessage is the gRPC message limit both ways: the server's own default.
	defaultMaxMessage = 64 * mib
	// defaultMaxBody holds a 64 MiB document as JSON: base64 makes it 4/3 as large (85.4 MiB),
	// with room for the other fields.
	defaultMaxBody = 96 * mib
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// probe is `govreport-gateway probe [URL]`: GET URL (default /healthz on the port of
// $GOVREPORT_GATEWAY_LISTEN, else 8080, on 127.0.0.1); exit 0 on 200, else 1. It is the image's
// HEALTHCHECK: the image has no shell and no curl.
func probe(args []string, stdout, stderr io.Writer) int {
	url := ""
	if len(args) > 0 {
		url = args[0]
	} else {
		port := "8080"
		if _, p, err := net.SplitHostPort(env("GOVREPORT_GATEWAY_LISTEN", ":8080")); err == nil && p != "" && p != "0" {
			port = p
		}
		url = "http://127.0.0.1:" + port + "/healthz"
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		fmt.Fprintf(stderr, "govreport-gateway probe: %v\n", err)
		return 1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	fmt.Fprintf(stdout, "%s %s\n", resp.Status, strings.TrimSpace(string(body)))
	if resp.StatusCode != http.StatusOK {
		return 1
	}
	return 0
}

// env returns the variable's value, or def when it is unset or empty.
func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// parseBytes reads "67108864", "64MiB", "96MB" or "1GiB".
func parseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	units := []struct {
		suffix string
		factor int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1}}
	factor := int64(1)
	for _, u := range units {
		if strings.HasSuffix(t, u.suffix) {
			t, factor = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.factor
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("not a size in bytes: %q (e.g. 67108864 or 64MiB)", s)
	}
	return n * factor, nil
}

type byteSize struct{ n int64 }

func (b *byteSize) String() string { return strconv.FormatInt(b.n, 10) }
func (b *byteSize) Set(s string) error {
	n, err := parseBytes(s)
	if err != nil {
		return err
	}
	b.n = n
	return nil
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "probe" {
		return probe(args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("govreport-gateway", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config
	fs.StringVar(&cfg.listen, "listen", env("GOVREPORT_GATEWAY_LISTEN", ":8080"),
		"HTTP listen address ($GOVREPORT_GATEWAY_LISTEN); :0 picks a free port")
	fs.StringVar(&cfg.upstream, "upstream", env("GOVREPORT_UPSTREAM", "127.0.0.1:50051"),
		"the govreport gRPC server: host:port or a gRPC target such as dns:///govreport-headless:50051 ($GOVREPORT_UPSTREAM)")
	fs.BoolVar(&cfg.tls, "upstream-tls", env("GOVREPORT_UPSTREAM_TLS", "") == "1" || env("GOVREPORT_UPSTREAM_TLS", "") == "true",
		"TLS to the upstream with the system's CAs ($GOVREPORT_UPSTREAM_TLS=1); implied by -upstream-tls-ca")
	fs.StringVar(&cfg.tlsCA, "upstream-tls-ca", env("GOVREPORT_UPSTREAM_TLS_CA", ""),
		"PEM CA bundle the upstream's certificate must chain to ($GOVREPORT_UPSTREAM_TLS_CA)")
	fs.StringVar(&cfg.tlsCert, "upstream-tls-cert", env("GOVREPORT_UPSTREAM_TLS_CERT", ""),
		"client certificate for mutual TLS ($GOVREPORT_UPSTREAM_TLS_CERT)")
	fs.StringVar(&cfg.tlsKey, "upstream-tls-key", env("GOVREPORT_UPSTREAM_TLS_KEY", ""),
		"its private key ($GOVREPORT_UPSTREAM_TLS_KEY)")
	fs.StringVar(&cfg.tlsServerName, "upstream-tls-server-name", env("GOVREPORT_UPSTREAM_TLS_SERVER_NAME", ""),
		"the name the upstream's certificate must carry, when -upstream is an address ($GOVREPORT_UPSTREAM_TLS_SERVER_NAME)")
	fs.StringVar(&cfg.lbPolicy, "lb-policy", env("GOVREPORT_GATEWAY_LB_POLICY", "round_robin"),
		"gRPC load balancing over the upstream's addresses: round_robin or pick_first ($GOVREPORT_GATEWAY_LB_POLICY)")
	maxMessage := byteSize{defaultMaxMessage}
	maxBody := byteSize{defaultMaxBody}
	for _, b := range []struct {
		v   *byteSize
		env string
	}{{&maxMessage, "GOVREPORT_GATEWAY_MAX_MESSAGE_BYTES"}, {&maxBody, "GOVREPORT_GATEWAY_MAX_BODY_BYTES"}} {
		if s := os.Getenv(b.env); s != "" {
			if err := b.v.Set(s); err != nil {
				fmt.Fprintf(stderr, "govreport-gateway: %s: %v\n", b.env, err)
				return 2
			}
		}
	}
	fs.Var(&maxMessage, "max-message-bytes",
		"gRPC message limit to and from the upstream, also the retry buffer (default 64MiB; $GOVREPORT_GATEWAY_MAX_MESSAGE_BYTES)")
	fs.Var(&maxBody, "max-body-bytes",
		"largest HTTP request body; above it 413 (default 96MiB: a 64 MiB document in base64; $GOVREPORT_GATEWAY_MAX_BODY_BYTES)")
	durations := []struct {
		v    *time.Duration
		name string
		env  string
		def  time.Duration
		help string
	}{
		{&cfg.healthTimeout, "health-timeout", "GOVREPORT_GATEWAY_HEALTH_TIMEOUT", 5 * time.Second,
			"deadline of the upstream health check behind GET /healthz"},
		{&cfg.readTimeout, "read-timeout", "GOVREPORT_GATEWAY_READ_TIMEOUT", 5 * time.Minute,
			"most time to read one request, body included"},
		{&cfg.shutdownGrace, "shutdown-grace", "GOVREPORT_GATEWAY_SHUTDOWN_GRACE", 30 * time.Second,
			"after SIGTERM, how long requests in flight may still take"},
	}
	for _, d := range durations {
		def := d.def
		if s := os.Getenv(d.env); s != "" {
			v, err := time.ParseDuration(s)
			if err != nil {
				fmt.Fprintf(stderr, "govreport-gateway: %s: %v\n", d.env, err)
				return 2
			}
			def = v
		}
		fs.DurationVar(d.v, d.name, def, d.help+" ($"+d.env+")")
	}
	logLevel := fs.String("log-level", env("GOVREPORT_GATEWAY_LOG_LEVEL", "INFO"), "DEBUG, INFO, WARN or ERROR ($GOVREPORT_GATEWAY_LOG_LEVEL)")
	showVersion := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "govreport-gateway: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *showVersion {
		fmt.Fprintf(stdout, "govreport-gateway %s\n", version)
		return 0
	}
	cfg.maxMessage = int(maxMessage.n)
	cfg.maxBody = maxBody.n

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(stderr, "govreport-gateway: -log-level: %v\n", err)
		return 2
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))

	gw, err := newGateway(cfg, logger)
	if err != nil {
		fmt.Fprintf(stderr, "govreport-gateway: %v\n", err)
		return 2
	}
	defer gw.Close()

	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		fmt.Fprintf(stderr, "govreport-gateway: %v\n", err)
		return 1
	}
	srv := &http.Server{
		Handler:           gw,
		ReadHeaderTimeout: 30 * time.Second,
		ReadTimeout:       cfg.readTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	fmt.Fprintf(stdout, "govreport-gateway listening on %s\n", ln.Addr())
	logger.Info("listening", "addr", ln.Addr().String(), "upstream", cfg.upstream, "version", version)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		logger.Error("serve", "error", err.Error())
		return 1
	case <-ctx.Done():
	}
	logger.Info("stopping", "grace", cfg.shutdownGrace.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		logger.Warn("requests still in flight after the grace period were cut off", "error", err.Error())
		_ = srv.Close()
		return 1
	}
	logger.Info("stopped")
	return 0
}
