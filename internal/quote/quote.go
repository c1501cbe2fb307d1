// Package quote quotes strings read from files for error messages.
package quote

import (
	"strconv"
	"unicode/utf8"
)

// Width is the most bytes that String's literal takes.
const Width = 72

// String returns s as a Go string literal, like strconv.Quote, cut at a
// character boundary so that the literal takes at most Width bytes and
// followed by the full length when it was cut: a hostile file's names and
// values can be megabytes long, or invalid UTF-8 that quotes to four bytes
// a byte, and an error message is one line a person reads.
func String(s string) string {
	q, n := `""`, 0 // the literal of s[:n]
	for n < len(s) {
		_, size := utf8.DecodeRuneInString(s[n:]) // 1 for an invalid byte
		next := strconv.Quote(s[:n+size])
		if len(next) > Width {
			break
		}
		q, n = next, n+size
	}
	if n < len(s) {
		q += "… (" + strconv.Itoa(len(s)) + " bytes)"
	}
	return q
}
