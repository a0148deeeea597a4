package main

// FerretDB 1.x applies an update (the `update` and `findAndModify` commands) by reading the
// matching documents, changing them in memory and writing them back, with nothing holding the
// documents in between. Two concurrent `$inc`s on one document can therefore both read 5 and
// both write 6, and two `$addToSet`s can each drop the other's element. MongoDB applies each
// single-document update atomically, and the services count on it (counters, member lists,
// sequence numbers raised with `$max`).
//
// The command built here puts FerretDB behind a small MongoDB wire relay that runs the
// read-modify-write commands of one collection one at a time. Everything else passes through
// untouched and in parallel. The relay reads whole messages and follows the protocol's request
// and reply pairing, so it needs to understand only a message's header and, for OP_MSG, the name
// and first value of its command document.

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"
)

const (
	opMsg          = 2013
	headerLen      = 16
	maxMessage     = 48 << 20 // the protocol's largest message, with room to spare
	flagMoreToCome = 1 << 1
)

// A wire message: its header fields and the whole message as read.
type wireMessage struct {
	raw    []byte
	opCode int32
}

func readMessage(r io.Reader) (*wireMessage, error) {
	var header [headerLen]byte
	if _, err := io.ReadFull(r, header[:]); err != nil {
		return nil, err
	}
	length := int32(binary.LittleEndian.Uint32(header[0:4]))
	if length < headerLen || length > maxMessage {
		return nil, fmt.Errorf("message length %d out of range", length)
	}
	raw := make([]byte, length)
	copy(raw, header[:])
	if _, err := io.ReadFull(r, raw[headerLen:]); err != nil {
		return nil, err
	}
	return &wireMessage{raw: raw, opCode: int32(binary.LittleEndian.Uint32(header[12:16]))}, nil
}

// moreToCome says that no reply follows this message (a request sent without waiting, or one part
// of a streamed reply).
func (m *wireMessage) moreToCome() bool {
	return m.opCode == opMsg && len(m.raw) >= headerLen+4 &&
		binary.LittleEndian.Uint32(m.raw[headerLen:headerLen+4])&flagMoreToCome != 0
}

// serialKey names the collection a read-modify-write command changes, or "" for any other
// message. Collections of the same name in different databases share a key: they only wait for
// each other, which is harmless.
func (m *wireMessage) serialKey() string {
	if m.opCode != opMsg || len(m.raw) < headerLen+5 {
		return ""
	}
	sections := m.raw[headerLen+4:]
	for len(sections) > 0 {
		kind := sections[0]
		sections = sections[1:]
		if len(sections) < 4 {
			return ""
		}
		size := int(binary.LittleEndian.Uint32(sections[:4]))
		if size < 5 || size > len(sections) {
			return ""
		}
		if kind == 0 {
			return commandCollection(sections[:size])
		}
		if kind != 1 {
			return ""
		}
		sections = sections[size:]
	}
	return ""
}

// commandCollection reads a command document's first element: for `update` and `findAndModify`
// it is the collection's name, as a BSON string.
func commandCollection(doc []byte) string {
	body := doc[4:]
	if len(body) < 2 || body[0] != 0x02 { // a string element
		return ""
	}
	end := bytes.IndexByte(body[1:], 0)
	if end < 0 {
		return ""
	}
	name := string(body[1 : 1+end])
	if name != "update" && name != "findAndModify" && name != "findandmodify" {
		return ""
	}
	value := body[2+end:]
	if len(value) < 5 {
		return ""
	}
	n := int(binary.LittleEndian.Uint32(value[:4]))
	if n < 1 || 4+n > len(value) {
		return ""
	}
	return string(value[4 : 4+n-1])
}

// keyedLocks hands out one mutex per key, dropped again when nobody holds or waits for it.
type keyedLocks struct {
	mu    sync.Mutex
	locks map[string]*keyedLock
}

type keyedLock struct {
	sync.Mutex
	users int
}

func (k *keyedLocks) lock(key string) func() {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = map[string]*keyedLock{}
	}
	l, ok := k.locks[key]
	if !ok {
		l = &keyedLock{}
		k.locks[key] = l
	}
	l.users++
	k.mu.Unlock()
	l.Lock()
	return func() {
		l.Unlock()
		k.mu.Lock()
		l.users--
		if l.users == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
}

// relay accepts clients on listener and carries each one's messages to FerretDB, reached by dial.
type relay struct {
	dial   func(ctx context.Context) (net.Conn, error)
	logger *slog.Logger
	serial keyedLocks
}

func (r *relay) serve(ctx context.Context, listener net.Listener) error {
	var conns sync.WaitGroup
	defer conns.Wait()
	go func() {
		<-ctx.Done()
		_ = listener.Close()
	}()
	for {
		client, err := listener.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		conns.Add(1)
		go func() {
			defer conns.Done()
			r.carry(ctx, client)
		}()
	}
}

// carry passes one client's requests on one at a time, each followed by its replies: a driver
// waits for the reply to a request before it sends the next one on the same connection.
func (r *relay) carry(ctx context.Context, client net.Conn) {
	defer client.Close()
	server, err := r.dial(ctx)
	if err != nil {
		r.logger.Warn("relay cannot reach FerretDB", "err", err)
		return
	}
	defer server.Close()
	stop := context.AfterFunc(ctx, func() {
		_ = client.Close()
		_ = server.Close()
	})
	defer stop()
	for {
		request, err := readMessage(client)
		if err != nil {
			if !errors.Is(err, io.EOF) && ctx.Err() == nil {
				r.logger.Debug("relay: client connection ended", "err", err)
			}
			return
		}
		if err := r.exchange(request, client, server); err != nil {
			if ctx.Err() == nil {
				r.logger.Debug("relay: connection ended mid-request", "err", err)
			}
			return
		}
	}
}

func (r *relay) exchange(request *wireMessage, client, server net.Conn) error {
	if key := request.serialKey(); key != "" {
		unlock := r.serial.lock(key)
		defer unlock()
	}
	if _, err := server.Write(request.raw); err != nil {
		return err
	}
	if request.moreToCome() {
		return nil
	}
	for {
		reply, err := readMessage(server)
		if err != nil {
			return err
		}
		if _, err := client.Write(reply.raw); err != nil {
			return err
		}
		if !reply.moreToCome() {
			return nil
		}
	}
}

// dialUnix connects to FerretDB's socket, waiting for it to appear while FerretDB starts.
func dialUnix(path string, wait time.Duration) func(ctx context.Context) (net.Conn, error) {
	var dialer net.Dialer
	return func(ctx context.Context) (net.Conn, error) {
		deadline := time.Now().Add(wait)
		for {
			conn, err := dialer.DialContext(ctx, "unix", path)
			if err == nil || time.Now().After(deadline) || ctx.Err() != nil {
				return conn, err
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}
