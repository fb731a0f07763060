package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/httpapi"
)

// runSubject calls the HTTP API like an integrator would, with the token
// from STEWARD_TOKEN (never a flag, so it stays out of process listings).
func runSubject(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		fmt.Fprintln(e.stderr, "usage: steward subject create|get|find|delete …   (STEWARD_TOKEN holds the API key)")
		return exitError(2)
	}
	verb := args[0]
	fs := newFlags(e, "subject "+verb)
	url := fs.String("url", "http://127.0.0.1:8080", "Steward's base URL")
	asJSON := fs.Bool("json", false, "print JSON")
	var in steward.SubjectInput
	var email, username, name, kind, source string
	switch verb {
	case "create":
		fs.StringVar(&email, "email", "", "email address")
		fs.StringVar(&username, "username", "", "username")
		fs.StringVar(&name, "name", "", "full name")
		fs.StringVar(&kind, "kind", string(steward.KindEndUser), "end_user, customer_contact or personnel")
		fs.StringVar(&source, "source", string(steward.SourceRegistration), "where the data came from")
	case "find":
		fs.StringVar(&email, "email", "", "email address to look up")
		fs.StringVar(&username, "username", "", "username to look up")
	}
	if err := parse(e, fs, args[1:]); err != nil {
		return err
	}
	token := e.getenv("STEWARD_TOKEN")
	if token == "" {
		return fmt.Errorf("set STEWARD_TOKEN to an API key (steward tenant create prints one)")
	}
	c := httpapi.NewClient(*url, token, &http.Client{Timeout: 30 * time.Second})
	show := func(v any, text string) error {
		if *asJSON {
			return printJSON(e, v)
		}
		fmt.Fprintln(e.stdout, text)
		return nil
	}
	id := fs.Arg(0)
	needID := func() error {
		if id == "" || fs.NArg() != 1 {
			return fmt.Errorf("usage: steward subject %s SUBJECT_ID", verb)
		}
		return nil
	}
	switch verb {
	case "create":
		in.Kind, in.Source = steward.SubjectKind(kind), steward.Source(source)
		if email != "" {
			in.Email = &steward.Field[string]{Value: email}
		}
		if username != "" {
			in.Username = &steward.Field[string]{Value: username}
		}
		if name != "" {
			in.Name = &steward.Field[string]{Value: name}
		}
		s, err := c.CreateSubject(ctx, in, "")
		if err != nil {
			return err
		}
		return show(s, s.ID)
	case "get":
		if err := needID(); err != nil {
			return err
		}
		s, err := c.Subject(ctx, id)
		if err != nil {
			return err
		}
		return show(s, describe(s))
	case "find":
		var s *steward.Subject
		var err error
		switch {
		case email != "" && username == "":
			s, err = c.FindSubjectByEmail(ctx, email)
		case username != "" && email == "":
			s, err = c.FindSubjectByUsername(ctx, username)
		default:
			return fmt.Errorf("give exactly one of --email or --username")
		}
		if err != nil {
			return err
		}
		return show(s, describe(s))
	case "delete":
		if err := needID(); err != nil {
			return err
		}
		r, err := c.EraseSubject(ctx, id)
		if err != nil {
			return err
		}
		return show(r, fmt.Sprintf("erased %s at %s (receipt %s)", r.SubjectID, r.ErasedAt.Format(time.RFC3339), r.ID))
	}
	return fmt.Errorf("unknown subject command %q", verb)
}

// describe prints a subject for a person at a terminal.
func describe(s *steward.Subject) string {
	out := fmt.Sprintf("id        %s\nkind      %s\n", s.ID, s.Kind)
	p := s.Profile
	if p.Name != nil {
		out += fmt.Sprintf("name      %s  (%s)\n", p.Name.Value, p.Name.Source)
	}
	if p.Username != nil {
		out += fmt.Sprintf("username  %s  (%s)\n", p.Username.Value, p.Username.Source)
	}
	if p.Email != nil {
		out += fmt.Sprintf("email     %s  (%s)\n", p.Email.Value, p.Email.Source)
	}
	if p.BillingAddress != nil {
		a := p.BillingAddress.Value
		out += fmt.Sprintf("billing   %s, %s %s, %s  (%s)\n", a.Line1, a.PostalCode, a.City, a.Country, p.BillingAddress.Source)
	}
	for k, v := range p.Attributes {
		out += fmt.Sprintf("%-9s %s  (%s)\n", k, v.Value, v.Source)
	}
	return out + fmt.Sprintf("created   %s", s.CreatedAt.Format(time.RFC3339))
}
