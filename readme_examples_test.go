package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// readmeExample is one GraphQL operation (or curl request) of README.md.
type readmeExample struct {
	line    int    // README line where it starts, for messages
	text    string // the operation, comments removed
	comment string // the comment after it on its last line
	curl    []string
}

// as is the demo account a trailing comment says sends the example.
func (x readmeExample) as() string {
	if m := asPhone.FindStringSubmatch(x.comment); m != nil {
		return m[1]
	}
	return ""
}

var asPhone = regexp.MustCompile(`\bas (1\d{10})\b`)

// readmeExamples returns README.md's ```graphql operations and its curl
// requests to /graphql, in the order they appear.
func readmeExamples(t *testing.T) []readmeExample {
	t.Helper()
	raw, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var out []readmeExample
	lines := strings.Split(string(raw), "\n")
	curl := regexp.MustCompile("`(curl [^`]*/graphql[^`]*)`")
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) == "```graphql" {
			start := i + 1
			for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
			}
			out = append(out, splitOperations(t, lines[start:i], start+1)...)
			continue
		}
		for _, m := range curl.FindAllStringSubmatch(lines[i], -1) {
			out = append(out, readmeExample{line: i + 1, curl: shellWords(t, m[1])})
		}
	}
	return out
}

// splitOperations cuts a block into operations at the top level and drops
// comments, keeping the one on an operation's last line.
func splitOperations(t *testing.T, block []string, firstLine int) []readmeExample {
	t.Helper()
	var out []readmeExample
	var cur *readmeExample
	depth := 0
	for n, line := range block {
		inString := false
		for i := 0; i < len(line); i++ {
			c := line[i]
			switch {
			case inString && c == '\\':
				cur.text += line[i : i+2]
				i++
				continue
			case c == '"':
				inString = !inString
			case !inString && c == '#':
				if cur != nil && depth == 0 && cur.comment == "" && strings.TrimSpace(line[:i]) != "" {
					cur.comment = strings.TrimSpace(line[i+1:]) // on the line the operation ended
				}
				i = len(line)
				continue
			}
			if cur == nil || depth == 0 && cur.text != "" && strings.HasSuffix(strings.TrimSpace(cur.text), "}") {
				if c == ' ' || c == '\t' {
					continue
				}
				out = append(out, readmeExample{line: firstLine + n})
				cur = &out[len(out)-1]
			}
			if !inString {
				switch c {
				case '{', '(', '[':
					depth++
				case '}', ')', ']':
					depth--
				}
			}
			cur.text += line[i : i+1]
		}
		if cur != nil {
			cur.text += "\n"
		}
	}
	if depth != 0 {
		t.Fatalf("README.md line %d: unbalanced braces in a graphql block", firstLine)
	}
	return out
}

// shellWords splits a command as sh does for quotes and backslashes.
func shellWords(t *testing.T, cmd string) []string {
	t.Helper()
	var words []string
	var w strings.Builder
	inWord := false
	for i := 0; i < len(cmd); i++ {
		switch c := cmd[i]; {
		case c == ' ':
			if inWord {
				words, inWord = append(words, w.String()), false
				w.Reset()
			}
		case c == '\'':
			end := strings.IndexByte(cmd[i+1:], '\'')
			if end < 0 {
				t.Fatalf("unterminated ' in %s", cmd)
			}
			w.WriteString(cmd[i+1 : i+1+end])
			i, inWord = i+1+end, true
		case c == '"':
			for i++; i < len(cmd) && cmd[i] != '"'; i++ {
				if cmd[i] == '\\' && i+1 < len(cmd) {
					i++
				}
				w.WriteByte(cmd[i])
			}
			inWord = true
		default:
			w.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	return words
}
