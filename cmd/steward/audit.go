package main

import (
	"context"
	"fmt"
)

func runAudit(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprintln(e.stderr, "usage: steward audit verify [--json]")
		return exitError(2)
	}
	fs := newFlags(e, "audit verify")
	var sf storeFlags
	sf.register(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(e, fs, args[1:]); err != nil {
		return err
	}
	return withStore(ctx, e, &sf, func(st *openedStore) error {
		vs, err := st.VerifyAudit(ctx)
		if err != nil {
			return err
		}
		bad := 0
		for _, v := range vs {
			if !v.OK {
				bad++
			}
		}
		if *asJSON {
			if err := printJSON(e, map[string]any{"ok": bad == 0, "tenants": vs}); err != nil {
				return err
			}
		} else {
			for _, v := range vs {
				if v.OK {
					fmt.Fprintf(e.stdout, "ok    %s  %d entries\n", v.TenantID, v.Size)
				} else {
					fmt.Fprintf(e.stdout, "BAD   %s  first bad entry %d: %s\n", v.TenantID, v.FirstBadIndex, v.Problem)
				}
			}
		}
		if bad > 0 {
			fmt.Fprintf(e.stderr, "audit verify: %d of %d tenant logs failed verification\n", bad, len(vs))
			return exitError(1)
		}
		return nil
	})
}
