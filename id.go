package steward

import (
	"bytes"
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"strings"
	"sync"
	"time"
)

var idEncoding = base32.NewEncoding("0123456789abcdefghijklmnopqrstuv").WithPadding(base32.NoPadding)

// lastID is the newest id this process made. Listings promise creation
// order and sort by id, so ids made within one millisecond must still
// ascend; random bits alone would order them by chance.
var lastID struct {
	sync.Mutex
	b [16]byte
}

// NewID returns prefix_ followed by 26 characters: 48 bits of millisecond
// time and 80 random bits, encoded so that ids sort by creation time. Within
// one millisecond (or if the clock steps back) an id is the previous one
// plus a random step, so the ids of one process always ascend and stay
// unpredictable.
func NewID(prefix string) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(time.Now().UnixMilli())<<16)
	rand.Read(b[6:])
	lastID.Lock()
	if bytes.Compare(b[:], lastID.b[:]) <= 0 {
		var step [4]byte
		rand.Read(step[:])
		b = addStep(lastID.b, uint64(binary.BigEndian.Uint32(step[:]))+1)
	}
	lastID.b = b
	lastID.Unlock()
	return prefix + "_" + idEncoding.EncodeToString(b[:])
}

// addStep adds n to b read as a 128-bit big-endian number.
func addStep(b [16]byte, n uint64) [16]byte {
	lo := binary.BigEndian.Uint64(b[8:])
	sum := lo + n
	binary.BigEndian.PutUint64(b[8:], sum)
	if sum < lo {
		binary.BigEndian.PutUint64(b[:8], binary.BigEndian.Uint64(b[:8])+1)
	}
	return b
}

// ValidID reports whether s has the shape of an id with the given prefix.
// Handlers check ids before they reach storage so garbage never does.
func ValidID(prefix, s string) bool {
	rest, ok := strings.CutPrefix(s, prefix+"_")
	if !ok || len(rest) != 26 {
		return false
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'v') {
			return false
		}
	}
	return true
}

// IDAt returns the smallest id with the given prefix that NewID could have
// made at time t. Listings take it as a cursor, to start at a point in time.
func IDAt(prefix string, t time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(t.UnixMilli())<<16)
	return prefix + "_" + idEncoding.EncodeToString(b[:])
}

// IDTime returns the creation time encoded in an id made by NewID.
func IDTime(prefix, id string) (time.Time, bool) {
	if !ValidID(prefix, id) {
		return time.Time{}, false
	}
	b, err := idEncoding.DecodeString(id[len(prefix)+1:])
	if err != nil || len(b) != 16 {
		return time.Time{}, false
	}
	return time.UnixMilli(int64(binary.BigEndian.Uint64(b[:8]) >> 16)), true
}
