package sqlstore

// trimPage takes the limit+1 rows a listing query fetched and returns the
// page and the cursor of the next one ("" on the last page): fetching one
// row more than asked is how a listing knows whether more follow.
func trimPage[T any](rows []T, limit int, cursor func(T) string) ([]T, string) {
	if len(rows) <= limit {
		return rows, ""
	}
	rows = rows[:limit]
	return rows, cursor(rows[limit-1])
}
