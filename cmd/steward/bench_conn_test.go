package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestBenchConn checks the bench client against net/http's server: both
// body framings, error statuses, a server closing the connection, and
// that one connection carries many requests.
func TestBenchConn(t *testing.T) {
	big := strings.Repeat("x", 10_000) // Above net/http's buffer, so chunked.
	mux := http.NewServeMux()
	mux.HandleFunc("GET /small", func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("Authorization"); got != "Bearer tok" {
			http.Error(w, "auth "+got, http.StatusUnauthorized)
			return
		}
		io.WriteString(w, `{"id":"1"}`)
	})
	mux.HandleFunc("GET /big", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, big)
	})
	mux.HandleFunc("POST /echo", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", r.Header.Get("Content-Type"))
		w.WriteHeader(http.StatusCreated)
		w.Write(b)
	})
	mux.HandleFunc("GET /close", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		io.WriteString(w, "bye")
	})
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()

	addr := srv.Listener.Addr().String()
	c := newBenchConn(addr, addr, "tok", time.Now().Add(time.Minute))
	defer c.close()
	ctx := context.Background()
	var resp bytes.Buffer
	do := func(method, target, body string, wantStatus int, wantBody string) {
		t.Helper()
		var b []byte
		if body != "" {
			b = []byte(body)
		}
		status, err := c.roundTrip(ctx, method, []byte(target), b, &resp)
		if err != nil {
			t.Fatalf("%s %s: %v", method, target, err)
		}
		if status != wantStatus || resp.String() != wantBody {
			t.Fatalf("%s %s = %d %.40q, want %d %.40q", method, target, status, resp.String(), wantStatus, wantBody)
		}
	}
	for range 3 {
		do("GET", "/small", "", 200, `{"id":"1"}`)
		do("GET", "/big", "", 200, big)
		do("POST", "/echo", `{"a":1}`, 201, `{"a":1}`)
		do("GET", "/missing", "", 404, "404 page not found\n")
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for 12 requests, want 1", n)
	}
	do("GET", "/close", "", 200, "bye")
	do("GET", "/small", "", 200, `{"id":"1"}`)
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections after the server closed one, want 2", n)
	}
}

// cannedServer answers every GET on its connections with the same
// response without allocating, so that allocations counted in the test
// process are the client's.
func cannedServer(tb testing.TB, response string) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				buf := make([]byte, 4096)
				resp := []byte(response)
				n := 0
				for {
					m, err := conn.Read(buf[n:])
					if err != nil {
						return
					}
					n += m
					// Requests without a body end with an empty line.
					for {
						i := bytes.Index(buf[:n], []byte("\r\n\r\n"))
						if i < 0 {
							break
						}
						if _, err := conn.Write(resp); err != nil {
							return
						}
						n = copy(buf, buf[i+4:n])
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// TestBenchConnAllocs checks that a warmed-up request allocates nothing
// in bench.
func TestBenchConnAllocs(t *testing.T) {
	addr := cannedServer(t, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{\"id\":\"1\"}")
	c := newBenchConn(addr, addr, "tok", time.Now().Add(time.Minute))
	defer c.close()
	ctx := context.Background()
	var resp bytes.Buffer
	target := []byte("/v1/subjects/sub_x")
	if allocs := testing.AllocsPerRun(200, func() {
		if _, err := c.roundTrip(ctx, "GET", target, nil, &resp); err != nil {
			t.Fatal(err)
		}
	}); allocs > 0 {
		t.Errorf("%v allocations per request, want 0", allocs)
	}
}

// BenchmarkBenchConn measures the client's own cost per request against
// a server that does no work.
func BenchmarkBenchConn(b *testing.B) {
	addr := cannedServer(b, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{\"id\":\"1\"}")
	c := newBenchConn(addr, addr, "tok", time.Now().Add(time.Minute))
	defer c.close()
	ctx := context.Background()
	var resp bytes.Buffer
	target := []byte("/v1/subjects/sub_x")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.roundTrip(ctx, "GET", target, nil, &resp); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNetHTTPClient is the same with net/http's client, for
// comparison.
func BenchmarkNetHTTPClient(b *testing.B) {
	addr := cannedServer(b, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{\"id\":\"1\"}")
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	url := "http://" + addr + "/v1/subjects/sub_x"
	b.ReportAllocs()
	for b.Loop() {
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("Authorization", "Bearer tok")
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// TestBenchConnCancel checks that cancelling the context ends a request
// that waits on a server that does not answer.
func TestBenchConnCancel(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		conn, err := ln.Accept()
		if err == nil {
			defer conn.Close()
			io.Copy(io.Discard, conn) // Reads the request, never answers.
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	c := newBenchConn(ln.Addr().String(), "x", "tok", time.Now().Add(time.Minute))
	defer c.close()
	start := time.Now()
	var resp bytes.Buffer
	if _, err := c.roundTrip(ctx, "GET", []byte("/"), nil, &resp); err == nil {
		t.Fatal("roundTrip succeeded without an answer")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("cancel took %s", d)
	}
}
