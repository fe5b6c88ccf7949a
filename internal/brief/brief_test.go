package brief

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestQuoteKeepsShortValuesWhole(t *testing.T) {
	for _, s := range []string{"", "garbage", strings.Repeat("a", Max), "nul\x00byte"} {
		got := Quote(s)
		if strings.Contains(got, "…") {
			t.Errorf("Quote(%q) = %s: cut a value of %d bytes", s, got, len(s))
		}
	}
}

func TestQuoteCutsLongValuesAndSaysTheirLength(t *testing.T) {
	s := "tcp://" + strings.Repeat("a", 100000) + ":1"
	got := Quote(s)
	if len(got) > Max+40 {
		t.Errorf("Quote of %d bytes is %d bytes long: %s", len(s), len(got), got)
	}
	if !strings.HasPrefix(got, `"tcp://aaa`) || !strings.HasSuffix(got, `"… (100008 bytes)`) {
		t.Errorf("Quote = %s, want the start, an ellipsis and the full length", got)
	}
}

func TestQuoteNeverSplitsACharacter(t *testing.T) {
	s := strings.Repeat("é", Max) // two bytes each: Max falls on a boundary
	for _, s := range []string{s, "x" + s} {
		got := Quote(s)
		head, _, _ := strings.Cut(got, "…")
		if strings.Contains(head, `\x`) || !utf8.ValidString(head) {
			t.Errorf("Quote(%d bytes of é) = %s: split a character", len(s), head)
		}
	}
}

func TestShowQuotesOnlyWhatNeedsIt(t *testing.T) {
	for s, want := range map[string]string{
		"tcp://127.0.0.1:5555":  "tcp://127.0.0.1:5555",
		"tcp://127.0.0.1:5555 ": `"tcp://127.0.0.1:5555 "`,
		"":                      `""`,
		"ipc://nul\x00":         `"ipc://nul\x00"`,
		`say "hi"`:              `"say \"hi\""`,
		"\xff":                  `"\xff"`,
	} {
		if got := Show(s); got != want {
			t.Errorf("Show(%q) = %s, want %s", s, got, want)
		}
	}
	if got := Show(strings.Repeat("a", Max+1)); !strings.Contains(got, "…") {
		t.Errorf("Show of %d bytes = %s, want it cut", Max+1, got)
	}
}
