#!/bin/bash
# static-banned: functions ward's C must not call (STYLE.md, habit 8). One
# line per hit, "file:line: name(): why: the line", and the test fails.
#
#   everywhere      strcpy stpcpy strcat strncat sprintf vsprintf gets:
#                   unbounded writes (use snprintf, memcpy with a checked
#                   length); atoi atol atoll: no error or range check (use
#                   parse_uint64 and friends, src/basic/parse.h); system
#                   popen: a shell between ward and the command.
#   src/jail/, src/supervise/
#                   exit(: code there runs in forked or cloned children
#                   (the sandbox's init, the program before execve, probes),
#                   where exit() would run the parent's atexit handlers and
#                   flush its stdio buffers a second time: _exit only.
#   src/            getenv(: ward runs privileged and its environment comes
#                   from the caller; secure_getenv() if one is ever needed.
#
# Comments, string literals and character literals are blanked out before
# matching (a C-aware awk pass that keeps line numbers), so "no atoi" in a
# comment or "exit(" in a message does not count; a call split across a
# macro or a line break between the name and "(" is not seen.
. "$(dirname "$0")/lib.sh"

need awk mawk
mapfile -t files < <(c_files)
[ ${#files[@]} -gt 0 ] || { echo "static-banned: no C files found under $SRC" >&2; exit 1; }
cd "$SRC" || exit 1

awk '
# Blanks comments and literals of one line, carrying the state of an open
# /* comment (or a // comment continued with a backslash) to the next.
function strip(s,    out, i, n, c, d, q) {
  out = ""; n = length(s); i = 1
  while (i <= n) {
    c = substr(s, i, 1); d = substr(s, i, 2)
    if (in_block) {
      if (d == "*/") { in_block = 0; out = out "  "; i += 2 } else { out = out " "; i++ }
    } else if (in_line) {
      out = out " "; i++
    } else if (d == "/*") {
      in_block = 1; out = out "  "; i += 2
    } else if (d == "//") {
      in_line = 1; out = out "  "; i += 2
    } else if (c == "\"" || c == "\047") {
      q = c; out = out q; i++
      while (i <= n && substr(s, i, 1) != q) {
        if (substr(s, i, 1) == "\\") { out = out " "; i++ }
        out = out " "; i++
      }
      if (i <= n) { out = out q; i++ }
    } else {
      out = out c; i++
    }
  }
  # A // comment ends with its line unless the line ends with a backslash.
  if (in_line && substr(s, n, 1) != "\\") in_line = 0
  return out
}
# rule NAMES WHY: reports each call of a name in NAMES (a regex
# alternation) on this line. A name counts only as itself, not as the tail
# of snprintf or _exit.
function rule(names, why,    rest, name, line) {
  rest = code
  while (match(rest, "(^|[^A-Za-z0-9_])(" names ")[ \t]*\\(")) {
    name = substr(rest, RSTART, RLENGTH)
    sub(/^[^A-Za-z]/, "", name); sub(/[ \t]*\($/, "", name)
    line = $0; sub(/^[ \t]+/, "", line)
    printf "%s:%d: %s(): %s: %s\n", FILENAME, FNR, name, why, line
    hits++
    rest = substr(rest, RSTART + RLENGTH)
  }
}
FNR == 1 { in_block = 0; in_line = 0 }
{
  code = strip($0)
  rule("strcpy|stpcpy|strcat|strncat|sprintf|vsprintf|gets", "unbounded write; use snprintf or a checked memcpy")
  rule("atoi|atol|atoll", "no error or range check; use parse_uint64 (src/basic/parse.h)")
  rule("system|popen", "runs a shell; fork and execve")
  if (FILENAME ~ /^src\/(jail|supervise)\//)
    rule("exit", "code here runs in forked children; use _exit")
  if (FILENAME ~ /^src\//)
    rule("getenv", "privileged code, the environment is the caller'\''s; use secure_getenv")
}
END { exit hits > 0 }
' "${files[@]}"
rc=$?
if [ $rc -ne 0 ]; then
  echo "static-banned: banned calls found (see tests/static/banned.sh for each rule's reason)" >&2
  exit 1
fi
echo "static-banned: ${#files[@]} files, no banned call"
