package main

import (
	"context"
	"fmt"

	"github.com/stewardhq/steward/keyring"
)

func runKeys(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] != "rotate" {
		fmt.Fprintln(e.stderr, "usage: steward keys rotate [--master] [--json]")
		return exitError(2)
	}
	fs := newFlags(e, "keys rotate")
	var sf storeFlags
	sf.register(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	master := fs.Bool("master", false, "rotate the master key instead: re-wrap every tenant key under a new master key file")
	if err := parse(e, fs, args[1:]); err != nil {
		return err
	}
	if *master {
		return rotateMaster(ctx, e, &sf, *asJSON)
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

// rotateMaster writes a new master key beside the old one, re-wraps every
// tenant key, index key and the audit signing key under it in one
// transaction, and then moves the new key file over the old one. A running
// server keeps serving: the keys it has unwrapped stay valid, and it reloads
// the key file when it meets a key wrapped by the new master key. If the
// command stops between the commit and the move, the next start finishes it.
func rotateMaster(ctx context.Context, e *env, sf *storeFlags, asJSON bool) error {
	if sf.masterKey != "" {
		return fmt.Errorf("--master needs the master key in a file (--master-key-file), not in STEWARD_MASTER_KEY: the new key has to be written somewhere")
	}
	return withStore(ctx, e, sf, func(st *openedStore) error {
		next, created, err := keyring.LoadOrCreateMasterFile(sf.masterPath()+nextSuffix, true)
		if err != nil {
			return err
		}
		rep, err := st.RotateMaster(ctx, next)
		if err != nil {
			return err
		}
		if err := sf.finishMasterRotation(); err != nil {
			return err
		}
		if asJSON {
			return printJSON(e, map[string]any{"rotated": true, "new_key_file": created, "report": rep, "master_key_file": sf.masterPath()})
		}
		fmt.Fprintf(e.stdout, "master key rotated: re-wrapped %d tenant keys and %d index keys; the new key is in %s (back it up; the old one no longer opens the store)\n",
			rep.TenantKeys, rep.IndexKeys, sf.masterPath())
		return nil
	})
}
