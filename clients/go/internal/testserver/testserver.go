// Package testserver runs the real govreport server (the Python one) for
// tests, on a free loopback port.
package testserver

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// startTimeout is how long the server may take to print its address; its
// worker processes import the PDF and OCR stacks, slow on a cold CI disk.
const startTimeout = 90 * time.Second

// Server is a running govreport server.
type Server struct {
	// Addr is host:port.
	Addr string
	cmd  *exec.Cmd
	logs *syncBuffer
	done chan error

	stopOnce sync.Once
	stopErr  error
}

// RepoRoot is the govreport repository this client lives in, found by
// walking up from the working directory (tests run in their package's).
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "proto", "govreport", "v1", "service.proto")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("testserver: not inside the govreport repository (no proto/govreport/v1/service.proto above the working directory)")
		}
		dir = parent
	}
}

// Binary is the govreport executable: $GOVREPORT_BIN, or the repository's
// .venv/bin/govreport.
func Binary() (string, error) {
	if bin := os.Getenv("GOVREPORT_BIN"); bin != "" {
		return bin, nil
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, ".venv", "bin", "govreport"), nil
}

// Start runs `govreport serve --host 127.0.0.1 --port 0 ARGS...` and waits
// for its address. A missing executable is an error, never a reason to skip.
func Start(args ...string) (*Server, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("testserver: no govreport server at %s (%v): run `make -C <repo> setup` to create the venv, or set GOVREPORT_BIN", bin, err)
	}
	cmd := exec.Command(bin, append([]string{"serve", "--host", "127.0.0.1", "--port", "0", "--log-level", "WARNING"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	s := &Server{cmd: cmd, logs: &syncBuffer{}, done: make(chan error, 1)}
	cmd.Stderr = s.logs
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("testserver: %s: %w", bin, err)
	}

	// The first line is "govreport listening on HOST:PORT"; keep reading
	// after it so that the server never blocks on a full pipe. Wait closes
	// the pipe once the server exits, which ends the reading even if a
	// worker process of it still holds its end.
	first := make(chan string, 1)
	go func() {
		lines := bufio.NewScanner(stdout)
		if lines.Scan() {
			first <- lines.Text()
		}
		close(first)
		for lines.Scan() {
		}
	}()
	go func() { s.done <- cmd.Wait() }()
	select {
	case line, ok := <-first:
		const prefix = "govreport listening on "
		if ok && strings.HasPrefix(line, prefix) {
			s.Addr = strings.TrimSpace(strings.TrimPrefix(line, prefix))
			return s, nil
		}
		_ = s.Stop()
		return nil, fmt.Errorf("testserver: unexpected first line %q; server log:\n%s", line, s.Logs())
	case <-time.After(startTimeout):
		_ = s.Stop()
		return nil, fmt.Errorf("testserver: no address after %s; server log:\n%s", startTimeout, s.Logs())
	}
}

// Stop sends SIGTERM and waits for the server to exit; it kills it if it
// does not within 20 seconds. Calling it again returns the same.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case s.stopErr = <-s.done:
		case <-time.After(20 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done // Wait returns: the process is gone
			s.stopErr = fmt.Errorf("testserver: killed after SIGTERM went unanswered; log:\n%s", s.Logs())
		}
	})
	return s.stopErr
}

// Logs is what the server wrote to stderr so far.
func (s *Server) Logs() string { return s.logs.String() }

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
