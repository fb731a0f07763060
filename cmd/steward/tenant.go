package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"
)

// withStore opens the store for an operator command.
func withStore(ctx context.Context, e *env, sf *storeFlags, fn func(st *openedStore) error) error {
	log, err := newLogger(e, "warn")
	if err != nil {
		return err
	}
	st, err := sf.open(ctx, log)
	if err != nil {
		return err
	}
	defer st.close()
	return fn(st)
}

func runTenant(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		fmt.Fprintln(e.stderr, "usage: steward tenant create --name NAME | steward tenant list")
		return exitError(2)
	}
	fs := newFlags(e, "tenant "+args[0])
	var sf storeFlags
	sf.register(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	switch args[0] {
	case "create":
		name := fs.String("name", "", "the tenant's name (required)")
		keyName := fs.String("key-name", "default", "name of the first API key")
		if err := parse(e, fs, args[1:]); err != nil {
			return err
		}
		if *name == "" {
			return fmt.Errorf("--name is required")
		}
		return withStore(ctx, e, &sf, func(st *openedStore) error {
			t, err := st.CreateTenant(ctx, *name)
			if err != nil {
				return err
			}
			k, token, err := st.CreateAPIKey(ctx, t.ID, *keyName)
			if err != nil {
				return err
			}
			if *asJSON {
				return printJSON(e, map[string]any{"id": t.ID, "name": t.Name, "api_key": token, "api_key_id": k.ID})
			}
			fmt.Fprintf(e.stdout, "tenant   %s (%s)\napi key  %s\n\nThe API key is shown only this once; store it now.\n", t.ID, t.Name, token)
			return nil
		})
	case "list":
		if err := parse(e, fs, args[1:]); err != nil {
			return err
		}
		return withStore(ctx, e, &sf, func(st *openedStore) error {
			ts, err := st.Tenants(ctx)
			if err != nil {
				return err
			}
			if *asJSON {
				return printJSON(e, ts)
			}
			w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tNAME\tCREATED")
			for _, t := range ts {
				fmt.Fprintf(w, "%s\t%s\t%s\n", t.ID, t.Name, t.CreatedAt.Format(time.RFC3339))
			}
			return w.Flush()
		})
	}
	return fmt.Errorf("unknown tenant command %q", args[0])
}
