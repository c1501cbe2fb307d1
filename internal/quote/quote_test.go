package quote

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestString(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", `""`},
		{"U_h", `"U_h"`},
		{"a\nb", `"a\nb"`},
		{strings.Repeat("x", 70), strconv.Quote(strings.Repeat("x", 70))},
		{strings.Repeat("x", 71), `"` + strings.Repeat("x", 70) + `"… (71 bytes)`},
		{strings.Repeat("é", 40), `"` + strings.Repeat("é", 35) + `"… (80 bytes)`},
		{strings.Repeat("\xc2", 100), `"` + strings.Repeat(`\xc2`, 17) + `"… (100 bytes)`},
	} {
		if got := String(c.in); got != c.want {
			t.Errorf("String(%.20q…) = %s, want %s", c.in, got, c.want)
		}
	}
	for _, s := range []string{strings.Repeat("\x00", 1<<20), strings.Repeat("日本", 1000), strings.Repeat("\"\\", 500)} {
		got := String(s)
		lit := got[:strings.LastIndexByte(got, '"')+1]
		if len(lit) > Width || !utf8.ValidString(got) {
			t.Errorf("String gave a %d-byte literal: %s", len(lit), got)
		}
		if u, err := strconv.Unquote(lit); err != nil || !strings.HasPrefix(s, u) {
			t.Errorf("the literal %s is not a quoted prefix of the input (%v)", lit, err)
		}
	}
}
