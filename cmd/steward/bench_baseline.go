package main

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"time"
)

// baselinePath is the one route of the baseline server.
const baselinePath = "/baseline"

// baselineServer is the baseline phase's target: a trivial Go JSON handler
// on loopback, served by net/http inside bench itself. Loaded by the same
// clients as the other phases, it measures what this machine can do for any
// Go HTTP server at that many clients, so that figures from machines of
// different speeds can be set side by side (the issue's own reference: about
// 60,000 requests/s at 16 clients). Its handler's CPU is bench's own, so
// the phase reports no server CPU, and bench's includes the handler's.
type baselineServer struct {
	srv *http.Server
	ln  net.Listener
	tgt *benchTarget
}

func startBaselineServer() (*baselineServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+baselinePath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		json.NewEncoder(w).Encode(struct {
			ID string `json:"id"`
			OK bool   `json:"ok"`
		}{"baseline", true})
	})
	b := &baselineServer{srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, ln: ln}
	go b.srv.Serve(ln)
	b.tgt = &benchTarget{}
	if err := b.tgt.setURL("http://" + ln.Addr().String()); err != nil {
		b.close()
		return nil, err
	}
	return b, nil
}

func (b *baselineServer) close() error {
	if err := b.srv.Close(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
