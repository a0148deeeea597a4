package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// bsonDoc builds a BSON document of string elements, in order.
func bsonDoc(pairs ...string) []byte {
	var body bytes.Buffer
	for i := 0; i+1 < len(pairs); i += 2 {
		body.WriteByte(0x02)
		body.WriteString(pairs[i])
		body.WriteByte(0)
		_ = binary.Write(&body, binary.LittleEndian, int32(len(pairs[i+1])+1))
		body.WriteString(pairs[i+1])
		body.WriteByte(0)
	}
	body.WriteByte(0)
	doc := make([]byte, 4, 4+body.Len())
	binary.LittleEndian.PutUint32(doc, uint32(4+body.Len()))
	return append(doc, body.Bytes()...)
}

// opMsgBytes builds an OP_MSG with the given flags and sections (each already encoded).
func opMsgBytes(requestID int32, flags uint32, sections ...[]byte) []byte {
	var msg bytes.Buffer
	msg.Write(make([]byte, headerLen))
	_ = binary.Write(&msg, binary.LittleEndian, flags)
	for _, s := range sections {
		msg.Write(s)
	}
	raw := msg.Bytes()
	binary.LittleEndian.PutUint32(raw[0:4], uint32(len(raw)))
	binary.LittleEndian.PutUint32(raw[4:8], uint32(requestID))
	binary.LittleEndian.PutUint32(raw[12:16], opMsg)
	return raw
}

func bodySection(doc []byte) []byte { return append([]byte{0}, doc...) }

func sequenceSection(id string, docs ...[]byte) []byte {
	var s bytes.Buffer
	s.WriteByte(1)
	size := 4 + len(id) + 1
	for _, d := range docs {
		size += len(d)
	}
	_ = binary.Write(&s, binary.LittleEndian, int32(size))
	s.WriteString(id)
	s.WriteByte(0)
	for _, d := range docs {
		s.Write(d)
	}
	return s.Bytes()
}

func parse(t *testing.T, raw []byte) *wireMessage {
	t.Helper()
	m, err := readMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSerialKeyNamesTheCollectionOfReadModifyWriteCommands(t *testing.T) {
	cases := map[string]struct {
		raw  []byte
		want string
	}{
		"update": {opMsgBytes(1, 0, bodySection(bsonDoc("update", "days", "$db", "stats"))), "days"},
		"findAndModify": {
			opMsgBytes(1, 0, bodySection(bsonDoc("findAndModify", "counters", "$db", "x"))), "counters",
		},
		"lower-case findandmodify": {opMsgBytes(1, 0, bodySection(bsonDoc("findandmodify", "c"))), "c"},
		"updates sent as a document sequence before the body": {
			opMsgBytes(1, 0,
				sequenceSection("updates", bsonDoc("q", "x"), bsonDoc("u", "y")),
				bodySection(bsonDoc("update", "members", "$db", "chat"))),
			"members",
		},
		"a find passes freely":    {opMsgBytes(1, 0, bodySection(bsonDoc("find", "days"))), ""},
		"an insert passes freely": {opMsgBytes(1, 0, bodySection(bsonDoc("insert", "days"))), ""},
		"a command named update in a later field": {
			opMsgBytes(1, 0, bodySection(bsonDoc("find", "x", "update", "y"))), "",
		},
		"a truncated body": {
			func() []byte {
				raw := opMsgBytes(1, 0, bodySection(bsonDoc("update", "days")))
				binary.LittleEndian.PutUint32(raw[headerLen+5:], 9999) // the body claims more than there is
				return raw
			}(), "",
		},
		"not an OP_MSG": {
			func() []byte {
				raw := opMsgBytes(1, 0, bodySection(bsonDoc("update", "days")))
				binary.LittleEndian.PutUint32(raw[12:16], 2004) // OP_QUERY
				return raw
			}(), "",
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if got := parse(t, c.raw).serialKey(); got != c.want {
				t.Fatalf("serialKey() = %q, want %q", got, c.want)
			}
		})
	}
}

func TestReadMessageRefusesImpossibleLengths(t *testing.T) {
	for _, length := range []uint32{0, 15, maxMessage + 1} {
		raw := make([]byte, headerLen)
		binary.LittleEndian.PutUint32(raw, length)
		if _, err := readMessage(bytes.NewReader(raw)); err == nil {
			t.Fatalf("length %d accepted", length)
		}
	}
	if _, err := readMessage(bytes.NewReader(opMsgBytes(1, 0)[:10])); err == nil {
		t.Fatal("a cut header accepted")
	}
}

// fakeStore answers every request after a pause and records how many were in flight at once, per
// collection named by the request.
type fakeStore struct {
	mu       sync.Mutex
	inFlight map[string]int
	peak     map[string]int
	total    atomic.Int32
	peakAll  atomic.Int32
}

func (s *fakeStore) serve(t *testing.T, conn net.Conn) {
	defer conn.Close()
	for {
		m, err := readMessage(conn)
		if err != nil {
			return
		}
		key := commandName(m)
		s.mu.Lock()
		s.inFlight[key]++
		s.peak[key] = max(s.peak[key], s.inFlight[key])
		s.mu.Unlock()
		n := s.total.Add(1)
		for p := s.peakAll.Load(); n > p && !s.peakAll.CompareAndSwap(p, n); p = s.peakAll.Load() {
		}
		time.Sleep(20 * time.Millisecond)
		s.total.Add(-1)
		s.mu.Lock()
		s.inFlight[key]--
		s.mu.Unlock()
		if m.moreToCome() {
			continue
		}
		if _, err := conn.Write(opMsgBytes(2, 0, bodySection(bsonDoc("ok", "1")))); err != nil {
			return
		}
	}
}

// commandName tells the test's requests apart: the collection an update changes, or "other".
func commandName(m *wireMessage) string {
	if key := m.serialKey(); key != "" {
		return "changes:" + key
	}
	return "other"
}

func startRelay(t *testing.T, store *fakeStore) string {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &relay{
		logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		dial: func(context.Context) (net.Conn, error) {
			client, server := net.Pipe()
			go store.serve(t, server)
			return client, nil
		},
	}
	done := make(chan error, 1)
	go func() { done <- r.serve(ctx, listener) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return listener.Addr().String()
}

func roundTrip(t *testing.T, addr string, request []byte) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Error(err)
		return
	}
	defer conn.Close()
	if _, err := conn.Write(request); err != nil {
		t.Error(err)
		return
	}
	if _, err := readMessage(conn); err != nil {
		t.Error(err)
	}
}

func TestRelayRunsUpdatesOfOneCollectionOneAtATime(t *testing.T) {
	store := &fakeStore{inFlight: map[string]int{}, peak: map[string]int{}}
	addr := startRelay(t, store)
	var wg sync.WaitGroup
	for i := 0; i < 6; i++ {
		for _, doc := range [][]byte{
			bsonDoc("update", "days"),
			bsonDoc("findAndModify", "days"),
			bsonDoc("update", "members"),
			bsonDoc("find", "days"),
		} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				roundTrip(t, addr, opMsgBytes(int32(i), 0, bodySection(doc)))
			}()
		}
	}
	wg.Wait()
	if store.peak["changes:days"] != 1 || store.peak["changes:members"] != 1 {
		t.Fatalf("updates of one collection overlapped: %v", store.peak)
	}
	if store.peak["other"] < 2 {
		t.Fatalf("reads were held back: %v", store.peak)
	}
	if store.peakAll.Load() < 3 {
		t.Fatalf("nothing ran in parallel: peak %d", store.peakAll.Load())
	}
}

func TestRelayExpectsNoReplyToARequestSentWithoutWaiting(t *testing.T) {
	store := &fakeStore{inFlight: map[string]int{}, peak: map[string]int{}}
	addr := startRelay(t, store)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// An unacknowledged update, then a normal request: the only reply is the second one's.
	if _, err := conn.Write(opMsgBytes(1, flagMoreToCome, bodySection(bsonDoc("update", "days")))); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write(opMsgBytes(2, 0, bodySection(bsonDoc("find", "days")))); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := readMessage(conn); err != nil {
		t.Fatal(err)
	}
}
