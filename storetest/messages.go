package storetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stewardhq/steward"
)

func testMessages(t *testing.T, open Opener) {
	h := open(t)
	ctx := context.Background()
	a, _ := MustTenant(t, h.Store, "Acme")
	sub := MustSubject(t, h.Store, a, "talk@example.com", "Talker")
	sent := time.Date(2025, 1, 2, 3, 4, 5, 678901234, time.UTC)

	t.Run("OK", func(t *testing.T) {
		size := auditSize(t, h.Store, a.TenantID)
		m, err := (&steward.MessageInput{Direction: steward.Outbound, Channel: "letter", Body: "  Dear Talker,\n\tthanks.  ", SentAt: sent}).Message(sub.ID, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		out, replayed, err := h.Store.AddMessage(ctx, a, m, nil)
		if err != nil || replayed {
			t.Fatalf("add: replayed %v, %v", replayed, err)
		}
		if !steward.ValidID("msg", out.ID) || out.SubjectID != sub.ID || out.Body != "Dear Talker,\n\tthanks." || out.CreatedAt.IsZero() {
			t.Fatalf("added %+v", out)
		}
		msgs, next, err := h.Store.Messages(ctx, a, sub.ID, steward.Page{})
		if err != nil || next != "" || len(msgs) != 1 {
			t.Fatalf("list = %v, %q, %v", msgs, next, err)
		}
		got := msgs[0]
		if got.ID != out.ID || got.Direction != steward.Outbound || got.Channel != "letter" || got.Body != out.Body ||
			!got.SentAt.Equal(sent.Truncate(time.Microsecond)) || !got.CreatedAt.Equal(out.CreatedAt) {
			t.Fatalf("listed %+v, added %+v", got, out)
		}
		es := allEntries(t, h.Store, a.TenantID, sub.ID)
		add, list := es[len(es)-2], es[len(es)-1]
		if add.Index != size || add.Action != steward.ActionCreate || len(add.Fields) != 1 || add.Fields[0] != "messages."+out.ID {
			t.Fatalf("add audited as %+v", add)
		}
		if list.Action != steward.ActionList || len(list.Fields) != 1 || list.Fields[0] != "messages" {
			t.Fatalf("list audited as %+v", list)
		}
	})

	t.Run("CardNumbers", func(t *testing.T) {
		// The domain redacts; the store keeps only what is left.
		m := MustMessage(t, h.Store, a, sub.ID, "my card 4111 1111 1111 1111, or 5500-0000-0000-0004, order 12345")
		if m.RedactedCardNumbers != 2 {
			t.Fatalf("redacted %d card numbers, want 2", m.RedactedCardNumbers)
		}
		want := "my card " + steward.CardRedaction + ", or " + steward.CardRedaction + ", order 12345"
		msgs, _, err := h.Store.Messages(ctx, a, sub.ID, steward.Page{})
		if err != nil {
			t.Fatal(err)
		}
		last := msgs[len(msgs)-1]
		if m.Body != want || last.ID != m.ID || last.Body != want {
			t.Fatalf("stored %q, returned %q, want %q", last.Body, m.Body, want)
		}
	})

	t.Run("Pagination", func(t *testing.T) {
		other := MustSubject(t, h.Store, a, "quiet@example.com", "Quiet")
		var added []string
		for i := range 7 {
			added = append(added, MustMessage(t, h.Store, a, other.ID, "message "+string(rune('A'+i))).ID)
		}
		var got []string
		after := ""
		for pages := 1; ; pages++ {
			msgs, next, err := h.Store.Messages(ctx, a, other.ID, steward.Page{After: after, Limit: 3})
			if err != nil {
				t.Fatal(err)
			}
			if pages > 3 || len(msgs) > 3 {
				t.Fatalf("page %d has %d messages", pages, len(msgs))
			}
			for _, m := range msgs {
				got = append(got, m.ID)
				if m.SubjectID != other.ID || !strings.HasPrefix(m.Body, "message ") {
					t.Fatalf("listed %+v", m)
				}
			}
			if next == "" {
				break
			}
			after = next
		}
		// Oldest first, every message exactly once, even for messages
		// added within one millisecond.
		if !strictlyIncreasing(got) || strings.Join(got, ",") != strings.Join(added, ",") {
			t.Fatalf("listed %v, added %v", got, added)
		}
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		for _, p := range []steward.Page{{Limit: -1}, {Limit: steward.MaxPageLimit + 1}, {After: "garbage"}, {After: sub.ID}} {
			_, _, err := h.Store.Messages(ctx, a, sub.ID, p)
			wantCode(t, err, steward.EInvalid)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		_, _, err := h.Store.Messages(ctx, a, steward.NewID("sub"), steward.Page{})
		wantCode(t, err, steward.ENotFound)
		m, err := (&steward.MessageInput{Direction: steward.Inbound, Channel: "sms", Body: "hi"}).Message(steward.NewID("sub"), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = h.Store.AddMessage(ctx, a, m, nil)
		wantCode(t, err, steward.ENotFound)
	})
}
