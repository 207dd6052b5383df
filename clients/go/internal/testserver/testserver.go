// Package testserver runs the real govreport server (the Python one) for
// tests, on a free loopback port.
package testserver

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
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
	// MetricsAddr is the host:port of the Prometheus metrics, when the
	// server was started with --metrics-port.
	MetricsAddr string
	cmd         *exec.Cmd
	logs        *syncBuffer
	done        chan error

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

	// The first line is "govreport listening on HOST:PORT", the second
	// (with --metrics-port) "govreport metrics on HOST:PORT"; keep reading
	// after them so that the server never blocks on a full pipe. Wait
	// closes the pipe once the server exits, which ends the reading even if
	// a worker process of it still holds its end.
	wanted := 1
	if slices.Contains(args, "--metrics-port") {
		wanted = 2
	}
	first := make(chan string, wanted)
	go func() {
		lines := bufio.NewScanner(stdout)
		for n := 0; n < wanted && lines.Scan(); n++ {
			first <- lines.Text()
		}
		close(first)
		for lines.Scan() {
		}
	}()
	go func() { s.done <- cmd.Wait() }()
	timeout := time.After(startTimeout)
	for _, prefix := range []string{"govreport listening on ", "govreport metrics on "}[:wanted] {
		select {
		case line, ok := <-first:
			if !ok || !strings.HasPrefix(line, prefix) {
				_ = s.Stop()
				return nil, fmt.Errorf("testserver: unexpected line %q, want %q…; server log:\n%s", line, prefix, s.Logs())
			}
			address := strings.TrimSpace(strings.TrimPrefix(line, prefix))
			if s.Addr == "" {
				s.Addr = address
			} else {
				s.MetricsAddr = address
			}
		case <-timeout:
			_ = s.Stop()
			return nil, fmt.Errorf("testserver: no address after %s; server log:\n%s", startTimeout, s.Logs())
		}
	}
	return s, nil
}

// Metric is the value of a sample of the server's /metrics, e.g.
// "govreport_worker_failures_total"; 0 when it is not there (yet).
func (s *Server) Metric(sample string) (float64, error) {
	if s.MetricsAddr == "" {
		return 0, errors.New("testserver: the server was started without --metrics-port")
	}
	resp, err := http.Get("http://" + s.MetricsAddr + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(body)) {
		name, value, ok := strings.Cut(strings.TrimSpace(line), " ")
		if ok && name == sample {
			return strconv.ParseFloat(value, 64)
		}
	}
	return 0, nil
}

// Workers are the pids of the server's worker processes: its children
// started by multiprocessing's spawn (the resource tracker left out).
func (s *Server) Workers() []int {
	pid := s.cmd.Process.Pid
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return nil
	}
	var workers []int
	for _, task := range tasks {
		children, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", pid, task.Name()))
		if err != nil {
			continue
		}
		for _, field := range strings.Fields(string(children)) {
			child, err := strconv.Atoi(field)
			if err != nil {
				continue
			}
			cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", child))
			if err == nil && bytes.Contains(cmdline, []byte("spawn_main")) && !slices.Contains(workers, child) {
				workers = append(workers, child)
			}
		}
	}
	slices.Sort(workers)
	return workers
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

// CPUTicks is the CPU time process pid (all its threads) has used, in clock
// ticks: a worker whose ticks rise is reading a document.
func CPUTicks(pid int) (int64, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The fields after the command name, which is in parentheses and may hold spaces.
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	if len(fields) < 13 {
		return 0, fmt.Errorf("testserver: /proc/%d/stat has %d fields", pid, len(fields))
	}
	utime, err := strconv.ParseInt(fields[11], 10, 64)
	if err != nil {
		return 0, err
	}
	stime, err := strconv.ParseInt(fields[12], 10, 64)
	if err != nil {
		return 0, err
	}
	return utime + stime, nil
}

// WaitBusy waits until one of the server's workers has used ticks more CPU
// time than when it was called (it is reading a document) and returns them
// all, or fails after timeout. A test that kills a worker "mid-call" waits
// for this rather than for a fixed time, which a busy machine would outlast.
func (s *Server) WaitBusy(ticks int64, timeout time.Duration) ([]int, error) {
	workers := s.Workers()
	idle := make(map[int]int64, len(workers))
	for _, pid := range workers {
		idle[pid], _ = CPUTicks(pid)
	}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		for _, pid := range workers {
			if now, err := CPUTicks(pid); err == nil && now >= idle[pid]+ticks {
				return workers, nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil, fmt.Errorf("testserver: no worker of %v got busy within %s", workers, timeout)
}
