package main

// The gateway's gRPC side retries as every govreport client does (service_config.json): a
// worker killed while it reads the document makes the server answer WORKER_FAILED
// (UNAVAILABLE), the gateway sends the document again, and the HTTP caller gets its 200.

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestRetryWhenTheWorkerDies(t *testing.T) {
	server := startServer(t, "--workers", "1")
	gw := startGateway(t, server.Addr)
	base := "http://" + gw.Addr
	// The worker has done its imports and is idle.
	warm := postJSON(t, base+"/v1/extract", map[string]any{
		"content":  base64.StdEncoding.EncodeToString([]byte("not a report")),
		"filename": "warm.txt",
	})
	if warm.Status != 400 {
		t.Fatalf("warm-up: status %d: %s", warm.Status, warm.Body)
	}
	workers := workerPids(server.cmd.Process.Pid)
	if len(workers) != 1 {
		t.Fatalf("workers %v, want one", workers)
	}
	idle := cpuTicks(t, workers[0])

	answered := make(chan response, 1)
	go func() {
		defer close(answered) // also when postJSON fails (t.Fatal ends this goroutine)
		answered <- postJSON(t, base+"/v1/extract", map[string]any{
			"content":  base64.StdEncoding.EncodeToString(twelvePages(t)),
			"filename": "doomed.zip",
		})
	}()
	// Killed while it reads the pages, not before: it has used CPU time since it was idle.
	deadline := time.Now().Add(time.Minute)
	for cpuTicks(t, workers[0]) < idle+20 {
		if time.Now().After(deadline) {
			t.Fatal("the worker never started on the document")
		}
		select {
		case r, ok := <-answered:
			t.Fatalf("answered (%v) before the worker could be killed: %d", ok, r.Status)
		case <-time.After(50 * time.Millisecond):
		}
	}
	if err := syscall.Kill(workers[0], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	r, ok := <-answered
	if !ok {
		t.Fatal("curl failed")
	}
	if r.Status != 200 {
		t.Fatalf("status %d after the worker died, want 200 (retried): %s", r.Status, r.Body)
	}
	var got struct {
		Extraction struct {
			Document struct {
				PageCount int    `json:"pageCount"`
				Format    string `json:"format"`
			} `json:"document"`
			Report struct {
				Metadata struct {
					Agency string `json:"agency"`
				} `json:"metadata"`
			} `json:"report"`
		} `json:"extraction"`
	}
	if err := json.Unmarshal(r.Body, &got); err != nil {
		t.Fatal(err)
	}
	x := got.Extraction
	if x.Document.PageCount != 12 || x.Document.Format != "DOCUMENT_FORMAT_PAGE_SET" || x.Report.Metadata.Agency != "示例县卫生健康局" {
		t.Errorf("extraction: %+v", x)
	}
	if slices.Contains(workerPids(server.cmd.Process.Pid), workers[0]) {
		t.Errorf("worker %d still there", workers[0])
	}
}

// twelvePages is the Go client's three test pages four times over, as a page set (a zip).
func twelvePages(t *testing.T) []byte {
	t.Helper()
	dir := filepath.Join(repoRoot(t), "clients", "go", "govreport", "testdata", "pages")
	var out bytes.Buffer
	archive := zip.NewWriter(&out)
	for i := range 12 {
		name := []string{"第1页.png", "第2页.jpg", "第3页.png"}[i%3]
		page, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		w, err := archive.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("%04d-%s", i+1, name), Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(page); err != nil {
			t.Fatal(err)
		}
	}
	if err := archive.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// workerPids are the server's worker processes: its children started by multiprocessing's
// spawn (the resource tracker left out).
func workerPids(server int) []int {
	var pids []int
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", server))
	for _, task := range tasks {
		children, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", server, task.Name()))
		for _, field := range strings.Fields(string(children)) {
			pid, err := strconv.Atoi(field)
			if err != nil {
				continue
			}
			cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
			if bytes.Contains(cmdline, []byte("spawn_main")) && !slices.Contains(pids, pid) {
				pids = append(pids, pid)
			}
		}
	}
	slices.Sort(pids)
	return pids
}

// cpuTicks is the CPU time a process (all its threads) has used, in clock ticks.
func cpuTicks(t *testing.T, pid int) int64 {
	t.Helper()
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return utime + stime
}
