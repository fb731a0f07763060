package steward_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stewardhq/steward"
)

func TestMessageInputMessage_OK(t *testing.T) {
	sent := time.Date(2025, 2, 28, 23, 59, 59, 999999999, time.FixedZone("EST", -5*3600))
	tests := []struct {
		name string
		in   steward.MessageInput
		want steward.Message
	}{
		{"Defaults", steward.MessageInput{Direction: steward.Inbound, Channel: "email", Body: "  Hello,\r\n\tthere \n"},
			steward.Message{Direction: steward.Inbound, Channel: "email", Body: "Hello,\r\n\tthere", SentAt: stored}},
		{"SentAtKept", steward.MessageInput{Direction: steward.Outbound, Channel: "letter", Body: "Dear Ada", SentAt: sent},
			steward.Message{Direction: steward.Outbound, Channel: "letter", Body: "Dear Ada", SentAt: sent.UTC().Truncate(time.Microsecond)}},
		{"SentAtSkew", steward.MessageInput{Direction: steward.Outbound, Channel: "sms", Body: "hi", SentAt: now.Add(5 * time.Minute)},
			steward.Message{Direction: steward.Outbound, Channel: "sms", Body: "hi", SentAt: now.Add(5 * time.Minute).Truncate(time.Microsecond)}},
		{"NFC", steward.MessageInput{Direction: steward.Inbound, Channel: "chat", Body: "Re\u0301my"},
			steward.Message{Direction: steward.Inbound, Channel: "chat", Body: "R\u00e9my", SentAt: stored}},
		{"Redacted", steward.MessageInput{Direction: steward.Inbound, Channel: "chat", Body: "card " + pan16 + "\nand 5555 5555 5555 4444, thanks"},
			steward.Message{Direction: steward.Inbound, Channel: "chat", Body: "card " + R + "\nand " + R + ", thanks", SentAt: stored, RedactedCardNumbers: 2}},
		{"OnlyACard", steward.MessageInput{Direction: steward.Inbound, Channel: "web", Body: pan16},
			steward.Message{Direction: steward.Inbound, Channel: "web", Body: R, SentAt: stored, RedactedCardNumbers: 1}},
		{"MaxLenRunes", steward.MessageInput{Direction: steward.Inbound, Channel: "other", Body: strings.Repeat("é", steward.MaxMessageLen)},
			steward.Message{Direction: steward.Inbound, Channel: "other", Body: strings.Repeat("é", steward.MaxMessageLen), SentAt: stored}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := tt.in.Message("sub_1", now)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			want.SubjectID, want.CreatedAt = "sub_1", now
			if m.ID != "" || m.SubjectID != want.SubjectID || m.Direction != want.Direction || m.Channel != want.Channel ||
				m.Body != want.Body || !m.SentAt.Equal(want.SentAt) || m.SentAt.Location() != time.UTC ||
				!m.CreatedAt.Equal(want.CreatedAt) || m.RedactedCardNumbers != want.RedactedCardNumbers {
				t.Errorf("Message() = %+v\nwant %+v", m, want)
			}
		})
	}
}

func TestMessageInputMessage_Channels(t *testing.T) {
	for _, c := range steward.Channels {
		in := steward.MessageInput{Direction: steward.Outbound, Channel: c, Body: "x"}
		if m, err := in.Message("sub_1", now); err != nil || m.Channel != c {
			t.Errorf("channel %q: %+v, %v", c, m, err)
		}
	}
}

func TestMessageInputMessage_Errors(t *testing.T) {
	ok := steward.MessageInput{Direction: steward.Inbound, Channel: "email", Body: "hello"}
	with := func(f func(*steward.MessageInput)) steward.MessageInput {
		in := ok
		f(&in)
		return in
	}
	tests := []struct {
		name  string
		in    steward.MessageInput
		field string
	}{
		{"DirectionMissing", with(func(in *steward.MessageInput) { in.Direction = "" }), "direction"},
		{"DirectionUnknown", with(func(in *steward.MessageInput) { in.Direction = "sideways" }), "direction"},
		{"DirectionCase", with(func(in *steward.MessageInput) { in.Direction = "Inbound" }), "direction"},
		{"ChannelMissing", with(func(in *steward.MessageInput) { in.Channel = "" }), "channel"},
		{"ChannelUnknown", with(func(in *steward.MessageInput) { in.Channel = "fax" }), "channel"},
		{"ChannelCase", with(func(in *steward.MessageInput) { in.Channel = "EMAIL" }), "channel"},
		{"BodyEmpty", with(func(in *steward.MessageInput) { in.Body = "" }), "body"},
		{"BodyBlank", with(func(in *steward.MessageInput) { in.Body = " \n\t\r\n" }), "body"},
		{"BodyTooLong", with(func(in *steward.MessageInput) { in.Body = strings.Repeat("a", steward.MaxMessageLen+1) }), "body"},
		{"BodyNUL", with(func(in *steward.MessageInput) { in.Body = "a\x00b" }), "body"},
		{"BodyEscape", with(func(in *steward.MessageInput) { in.Body = "\x1b[2Jhi" }), "body"},
		{"BodyBidi", with(func(in *steward.MessageInput) { in.Body = "pay \u202e0001" }), "body"},
		{"BodyInvalidUTF8", with(func(in *steward.MessageInput) { in.Body = "a\xffb" }), "body"},
		{"SentAtFuture", with(func(in *steward.MessageInput) { in.SentAt = now.Add(5*time.Minute + time.Nanosecond) }), "sent_at"},
		{"SentAtFarFuture", with(func(in *steward.MessageInput) { in.SentAt = now.AddDate(1, 0, 0) }), "sent_at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := tt.in.Message("sub_1", now)
			mustInvalid(t, err, tt.field)
			if m != nil {
				t.Errorf("got a message with the error: %+v", m)
			}
		})
	}
}
