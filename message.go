package steward

import (
	"slices"
	"time"
)

// Direction says who wrote a message.
type Direction string

// Message directions, seen from the tenant.
const (
	Inbound  Direction = "inbound"  // From the subject to the tenant.
	Outbound Direction = "outbound" // From the tenant to the subject.
)

// Channels a conversation can run over.
var Channels = []string{"email", "chat", "phone", "sms", "web", "letter", "other"}

// Message is one message of a conversation between a tenant and a subject.
// Its body is encrypted with the subject's data key and erased with it.
type Message struct {
	ID        string    `json:"id"`
	SubjectID string    `json:"subject_id"`
	Direction Direction `json:"direction"`
	Channel   string    `json:"channel"`
	Body      string    `json:"body"`
	SentAt    time.Time `json:"sent_at"`
	CreatedAt time.Time `json:"created_at"`
	// RedactedCardNumbers counts card numbers removed from the body before
	// it was stored.
	RedactedCardNumbers int `json:"redacted_card_numbers"`
}

// MessageInput is the body of a request that records a message.
type MessageInput struct {
	Direction Direction `json:"direction"`
	Channel   string    `json:"channel"`
	Body      string    `json:"body"`
	SentAt    time.Time `json:"sent_at"`
}

// Message validates the input, redacts card numbers and returns the message
// to store.
func (in *MessageInput) Message(subjectID string, now time.Time) (*Message, error) {
	if in.Direction != Inbound && in.Direction != Outbound {
		return nil, Errorf(EInvalid, "direction", "direction must be inbound or outbound")
	}
	if !slices.Contains(Channels, in.Channel) {
		return nil, Errorf(EInvalid, "channel", "channel must be one of email, chat, phone, sms, web, letter, other")
	}
	body, n := RedactCardNumbers(in.Body)
	body, err := normalizeText("body", body, MaxMessageLen+redactionGrowth(n), true)
	if err != nil {
		return nil, err
	}
	if body == "" {
		return nil, Errorf(EInvalid, "body", "body must not be empty")
	}
	sent := in.SentAt
	if sent.IsZero() {
		sent = now
	}
	if sent.After(now.Add(clockSkew)) {
		return nil, Errorf(EInvalid, "sent_at", "sent_at lies in the future")
	}
	return &Message{
		SubjectID: subjectID, Direction: in.Direction, Channel: in.Channel, Body: body,
		SentAt: sent.UTC().Truncate(time.Microsecond), CreatedAt: now, RedactedCardNumbers: n,
	}, nil
}
