package policy

import "fmt"

// suggest returns "; did you mean X?" when one candidate is a likely typo
// of s, and "" otherwise. A hint is cheap and turns a rejected policy into a
// one-character fix.
func suggest(s string, candidates []string) string {
	if len(s) > 64 { // Nothing that long is a typo of a short key.
		return ""
	}
	best, bestDist := "", min(3, len(s)/3+1)+1
	for _, c := range candidates {
		if d := editDistance(s, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	if best == "" || best == s {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", best)
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
