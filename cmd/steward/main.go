// Command steward runs the Steward privacy engine and its operator tools.
// This package only wires things: it reads flags and the environment,
// opens a store, and hands the pieces to the packages that own them.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		var ex exitError
		if errors.As(err, &ex) {
			os.Exit(int(ex))
		}
		fmt.Fprintln(os.Stderr, "steward:", err)
		os.Exit(1)
	}
}

// exitError ends the process with a status after the command printed its
// own report (audit verify finding tampering, for instance).
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// env carries what every command may use from its surroundings.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

const usage = `steward — a privacy engine that stores personal data encrypted per person.

Usage:
  steward serve                 run the HTTP API (embedded SQLite in ./steward-data by default)
  steward tenant create|list    manage tenants
  steward key create|list|revoke  manage a tenant's API keys
  steward keys rotate           give every tenant a new key and re-wrap subject keys
  steward audit verify          recompute every tenant's audit log against its signed checkpoint
  steward subject create|get|find|delete   call the API (needs STEWARD_TOKEN)
  steward policy init|validate|schema  print the default policy, check a policy file, print its JSON Schema
  steward bench                 measure create / get / find over HTTP
  steward version

Run "steward COMMAND -h" for a command's flags. Every flag can also be set
as an environment variable: --master-key-file is STEWARD_MASTER_KEY_FILE.
A flag given on the command line wins over the environment.
`

// run is the whole program, callable from tests.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	e := &env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitError(2)
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return runServe(ctx, e, rest)
	case "tenant":
		return runTenant(ctx, e, rest)
	case "key":
		return runKey(ctx, e, rest)
	case "keys":
		return runKeys(ctx, e, rest)
	case "audit":
		return runAudit(ctx, e, rest)
	case "subject":
		return runSubject(ctx, e, rest)
	case "policy":
		return runPolicy(ctx, e, rest)
	case "bench":
		return runBench(ctx, e, rest)
	case "version":
		fmt.Fprintln(stdout, "steward", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprintf(stderr, "steward: unknown command %q\n\n%s", cmd, usage)
	return exitError(2)
}

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"
