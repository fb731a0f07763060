package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"
)

// benchConn is a minimal HTTP/1.1 client on one keep-alive connection,
// for the measured phases only. net/http's client hands every request to
// two goroutines per connection and allocates headers and a request per
// call; on a machine whose few cores bench shares with the server, that
// overhead would be measured as the server's. benchConn writes a request
// with one system call and parses the answer in the calling goroutine,
// reusing its buffers. It understands what a Go net/http server sends:
// Content-Length or chunked bodies, and Connection: close.
type benchConn struct {
	addr     string // host:port to dial.
	header   []byte // "Host: …\r\nAuthorization: …\r\n…", the same on every request.
	deadline time.Time

	conn net.Conn
	br   *bufio.Reader
	wbuf []byte
	stop func() bool // Unregisters the context watch of conn.
}

func newBenchConn(addr, host, token string, deadline time.Time) *benchConn {
	h := "Host: " + host + "\r\nAuthorization: Bearer " + token + "\r\nAccept: application/json\r\n"
	return &benchConn{addr: addr, header: []byte(h), deadline: deadline}
}

// errMalformed reports an answer benchConn cannot parse.
var errMalformed = errors.New("malformed HTTP answer")

// roundTrip sends one request and reads the answer's body into resp. A body
// is sent as JSON. Any error closes the connection; the next call dials a
// new one.
func (c *benchConn) roundTrip(ctx context.Context, method string, target, body []byte, resp *bytes.Buffer) (int, error) {
	if c.conn == nil {
		if err := c.dial(ctx); err != nil {
			return 0, err
		}
	}
	b := append(c.wbuf[:0], method...)
	b = append(b, ' ')
	b = append(b, target...)
	b = append(b, " HTTP/1.1\r\n"...)
	b = append(b, c.header...)
	if body != nil {
		b = append(b, "Content-Type: application/json\r\nContent-Length: "...)
		b = strconv.AppendInt(b, int64(len(body)), 10)
		b = append(b, "\r\n\r\n"...)
		b = append(b, body...)
	} else {
		b = append(b, "\r\n"...)
	}
	c.wbuf = b
	if _, err := c.conn.Write(b); err != nil {
		return 0, c.fail(err)
	}
	status, keep, err := c.readAnswer(resp)
	if err != nil {
		return 0, c.fail(err)
	}
	if !keep {
		c.close()
	}
	return status, nil
}

func (c *benchConn) dial(ctx context.Context) error {
	d := net.Dialer{Timeout: 5 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", c.addr)
	if err != nil {
		return err
	}
	// One deadline for the whole phase bounds every read and write
	// without a timer per request; cancelling ctx expires it at once.
	conn.SetDeadline(c.deadline)
	c.stop = context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	c.conn = conn
	if c.br == nil {
		c.br = bufio.NewReaderSize(conn, 16<<10)
	} else {
		c.br.Reset(conn)
	}
	return nil
}

func (c *benchConn) fail(err error) error {
	c.close()
	return err
}

func (c *benchConn) close() {
	if c.conn != nil {
		c.stop()
		c.conn.Close()
		c.conn = nil
	}
}

// readAnswer reads a status line, headers and body.
func (c *benchConn) readAnswer(resp *bytes.Buffer) (status int, keep bool, err error) {
	line, err := c.br.ReadSlice('\n')
	if err != nil {
		return 0, false, err
	}
	// "HTTP/1.1 200 OK\r\n"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return 0, false, errMalformed
	}
	status, err = strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, false, errMalformed
	}
	keep = line[7] == '1'
	length, chunked := -1, false
	for {
		line, err = c.br.ReadSlice('\n')
		if err != nil {
			return 0, false, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return 0, false, errMalformed
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(value)); err != nil || length < 0 {
				return 0, false, errMalformed
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			if bytes.EqualFold(value, []byte("close")) {
				keep = false
			}
		}
	}
	resp.Reset()
	switch {
	case chunked:
		err = c.readChunked(resp)
	case length >= 0:
		err = c.readN(resp, length)
	case status == 204 || status == 304 || status/100 == 1:
	default:
		// No length: the body runs to the end of the connection.
		_, err = resp.ReadFrom(c.br)
		keep = false
	}
	return status, keep, err
}

// readChunked reads a chunked body and its (ignored) trailer.
func (c *benchConn) readChunked(resp *bytes.Buffer) error {
	for {
		line, err := c.br.ReadSlice('\n')
		if err != nil {
			return err
		}
		line = bytes.TrimRight(line, "\r\n")
		if i := bytes.IndexByte(line, ';'); i >= 0 {
			line = line[:i]
		}
		n, err := strconv.ParseInt(string(bytes.TrimSpace(line)), 16, 64)
		if err != nil || n < 0 {
			return errMalformed
		}
		if n == 0 {
			for { // Trailer lines up to an empty one.
				line, err := c.br.ReadSlice('\n')
				if err != nil {
					return err
				}
				if len(bytes.TrimRight(line, "\r\n")) == 0 {
					return nil
				}
			}
		}
		if err := c.readN(resp, int(n)); err != nil {
			return err
		}
		if _, err := c.br.Discard(2); err != nil {
			return fmt.Errorf("chunk end: %w", err)
		}
	}
}

// readN appends exactly n body bytes to resp without allocating once resp
// has grown to the size of the answers.
func (c *benchConn) readN(resp *bytes.Buffer, n int) error {
	resp.Grow(n)
	b := resp.AvailableBuffer()[:n]
	if _, err := io.ReadFull(c.br, b); err != nil {
		return err
	}
	resp.Write(b)
	return nil
}
