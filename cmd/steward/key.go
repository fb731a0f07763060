package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"
)

func runKey(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		fmt.Fprintln(e.stderr, "usage: steward key create|list|revoke --tenant ID [--key KEY_ID] [--name NAME]")
		return exitError(2)
	}
	fs := newFlags(e, "key "+args[0])
	var sf storeFlags
	sf.register(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	tenant := fs.String("tenant", "", "tenant id (required)")
	name := fs.String("name", "default", "key name (create)")
	keyID := fs.String("key", "", "key id (revoke)")
	if err := parse(e, fs, args[1:]); err != nil {
		return err
	}
	if *tenant == "" {
		return fmt.Errorf("--tenant is required")
	}
	return withStore(ctx, e, &sf, func(st *openedStore) error {
		switch args[0] {
		case "create":
			k, token, err := st.CreateAPIKey(ctx, *tenant, *name)
			if err != nil {
				return err
			}
			if *asJSON {
				return printJSON(e, map[string]any{"id": k.ID, "tenant_id": k.TenantID, "name": k.Name, "api_key": token})
			}
			fmt.Fprintf(e.stdout, "key      %s (%s)\napi key  %s\n\nThe API key is shown only this once; store it now.\n", k.ID, k.Name, token)
			return nil
		case "list":
			ks, err := st.APIKeys(ctx, *tenant)
			if err != nil {
				return err
			}
			if *asJSON {
				return printJSON(e, ks)
			}
			w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tNAME\tCREATED\tREVOKED")
			for _, k := range ks {
				revoked := "-"
				if k.RevokedAt != nil {
					revoked = k.RevokedAt.Format(time.RFC3339)
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", k.ID, k.Name, k.CreatedAt.Format(time.RFC3339), revoked)
			}
			return w.Flush()
		case "revoke":
			if *keyID == "" {
				return fmt.Errorf("--key is required")
			}
			if err := st.RevokeAPIKey(ctx, *tenant, *keyID); err != nil {
				return err
			}
			if *asJSON {
				return printJSON(e, map[string]any{"id": *keyID, "revoked": true})
			}
			fmt.Fprintf(e.stdout, "revoked %s\n", *keyID)
			return nil
		}
		return fmt.Errorf("unknown key command %q", args[0])
	})
}
