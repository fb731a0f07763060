package sqlstore

// SetIndexLimits shrinks the audit index's chunks and merge steps, so that
// a test reaches merges of many steps with little data. Tests that use it
// must not run in parallel with others of the package.
func SetIndexLimits(chunkKeys, stepKeys int) (restore func()) {
	c, s := indexChunkKeys, indexStepKeys
	indexChunkKeys, indexStepKeys = chunkKeys, stepKeys
	return func() { indexChunkKeys, indexStepKeys = c, s }
}

// SetSubjectHash replaces the index's hash of subject ids, so that a test
// can make subjects collide. The same caveat as SetIndexLimits applies.
func SetSubjectHash(f func(string) uint64) (restore func()) {
	old := subjectHash
	subjectHash = f
	return func() { subjectHash = old }
}

// SetBackfillRun sets how many entries one step of the audit index's
// backfill covers. The same caveat as SetIndexLimits applies.
func SetBackfillRun(n int) (restore func()) {
	old := indexBackfillRun
	indexBackfillRun = n
	return func() { indexBackfillRun = old }
}

// SetWarmPage sets how many lookups one query of the cache's warm-up
// reads. The same caveat as SetIndexLimits applies.
func SetWarmPage(n int) (restore func()) {
	old := warmPage
	warmPage = n
	return func() { warmPage = old }
}
