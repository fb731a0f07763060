package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/stewardhq/steward/policy"
)

const policyUsage = "usage: steward policy init | steward policy validate [--json] FILE | steward policy schema"

// runPolicy prints the default policy, checks a policy file, or prints the
// policy's JSON Schema. None of these touches a store: an operator edits
// and validates the document before anything serves it.
func runPolicy(_ context.Context, e *env, args []string) error {
	if len(args) == 0 {
		fmt.Fprintln(e.stderr, policyUsage)
		return exitError(2)
	}
	fs := newFlags(e, "policy "+args[0])
	switch args[0] {
	case "init":
		if err := parse(e, fs, args[1:]); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			fmt.Fprintln(e.stderr, policyUsage)
			return exitError(2)
		}
		b, err := policy.Marshal(policy.Default())
		if err != nil {
			return err
		}
		_, err = e.stdout.Write(b)
		return err
	case "schema":
		if err := parse(e, fs, args[1:]); err != nil {
			return err
		}
		_, err := e.stdout.Write(policy.Schema())
		return err
	case "validate":
		asJSON := fs.Bool("json", false, "print the problems as a JSON list")
		files, err := parseInterspersed(e, fs, args[1:])
		if err != nil {
			return err
		}
		if len(files) != 1 {
			fmt.Fprintln(e.stderr, policyUsage)
			return exitError(2)
		}
		return validatePolicy(e, files[0], *asJSON)
	}
	fmt.Fprintf(e.stderr, "steward: unknown policy command %q\n%s\n", args[0], policyUsage)
	return exitError(2)
}

// parseInterspersed parses flags given before or after the positional
// arguments ("validate FILE --json" as well as "validate --json FILE").
func parseInterspersed(e *env, fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parse(e, fs, args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Args()[0])
		args = fs.Args()[1:]
	}
}

// validatePolicy prints every problem of the file as "PATH: message" (or a
// JSON list) and exits 1 when there is any; otherwise it prints "valid" and
// lists the document's recorded assumptions on standard error, so the
// values nobody has confirmed stay visible.
func validatePolicy(e *env, name string, asJSON bool) error {
	b, err := readPolicyFile(e, name)
	if err != nil {
		return err
	}
	d, ps := policy.Check(b)
	if asJSON {
		if ps == nil {
			ps = []policy.Problem{}
		}
		if err := printJSON(e, ps); err != nil {
			return err
		}
	} else {
		for _, p := range ps {
			fmt.Fprintln(e.stdout, p)
		}
		if len(ps) == 0 {
			fmt.Fprintln(e.stdout, "valid")
		}
	}
	if len(ps) > 0 {
		fmt.Fprintf(e.stderr, "policy validate: %s has %d problem%s; the policy is refused whole\n", name, len(ps), plural(len(ps)))
		return exitError(1)
	}
	if !asJSON && len(d.Assumptions) > 0 {
		fmt.Fprintf(e.stderr, "%d assumption%s to confirm (delete each from \"assumptions\" once confirmed):\n", len(d.Assumptions), plural(len(d.Assumptions)))
		for _, a := range d.Assumptions {
			fmt.Fprintf(e.stderr, "  %s: %s\n", a.Ref, a.Note)
		}
	}
	return nil
}

// readPolicyFile reads the named file, or standard input for "-", reading
// one byte past the limit so the decoder reports an oversized document.
func readPolicyFile(e *env, name string) ([]byte, error) {
	var r io.Reader = e.stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, fmt.Errorf("policy validate: %w", err)
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, policy.MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("policy validate: read %s: %w", name, err)
	}
	return b, nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
