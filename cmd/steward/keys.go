package main

import (
	"context"
	"fmt"
)

func runKeys(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] != "rotate" {
		fmt.Fprintln(e.stderr, "usage: steward keys rotate [--json]")
		return exitError(2)
	}
	fs := newFlags(e, "keys rotate")
	var sf storeFlags
	sf.register(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(e, fs, args[1:]); err != nil {
		return err
	}
	return withStore(ctx, e, &sf, func(st *openedStore) error {
		last := -1
		rep, err := st.RotateTenantKeys(ctx, func(done, total int) {
			if *asJSON {
				return
			}
			pct := 100
			if total > 0 {
				pct = done * 100 / total
			}
			if pct/10 != last/10 {
				last = pct
				fmt.Fprintf(e.stderr, "re-wrapped %d of %d subject keys (%d%%)\n", done, total, pct)
			}
		})
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(e, rep)
		}
		fmt.Fprintf(e.stdout, "rotated %d tenant keys; re-wrapped %d subject keys\n", rep.Tenants, rep.SubjectsRewrapped)
		return nil
	})
}
