package sqlstore

// SetIndexLimits shrinks the audit index's chunks and merge steps, so that
// a test reaches merges of many steps with little data. Tests that use it
// must not run in parallel with others of the package.
func SetIndexLimits(chunkKeys, stepKeys int) (restore func()) {
	c, s := indexChunkKeys, indexStepKeys
	indexChunkKeys, indexStepKeys = chunkKeys, stepKeys
	return func() { indexChunkKeys, indexStepKeys = c, s }
}
