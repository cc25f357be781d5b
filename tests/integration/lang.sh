#!/bin/bash
# --lang python|node|bash|sh with code from -c, from a FILE and from stdin (-).
source "$(dirname "$0")/../helpers/lib.sh"

declare -A CODE=(
  [python]='import sys; print("py", 6 * 7); print("err", file=sys.stderr); sys.exit(3)'
  [node]='console.log("node", 6 * 7); console.error("err"); process.exit(3)'
  [bash]='echo "bash $((6 * 7))"; echo err >&2; [[ -n $BASH_VERSION ]] && exit 3'
  [sh]='echo "sh $((6 * 7))"; echo err >&2; exit 3'
)
declare -A WANT=([python]="py 42" [node]="node 42" [bash]="bash 42" [sh]="sh 42")

for lang in python node bash sh; do
  case $lang in
    python) [ -x /usr/bin/python3 ] || { echo "no python3, not testing it" >&2; continue; } ;;
    node) [ -x /usr/bin/node ] || [ -x /usr/local/bin/node ] || { echo "no node, not testing it" >&2; continue; } ;;
  esac
  code=${CODE[$lang]}
  run_ward run --lang "$lang" -c "$code"
  expect_eq "$lang -c: exit code" "$RC" 3
  expect_eq "$lang -c: stdout" "$OUT" "${WANT[$lang]}"
  expect_eq "$lang -c: stderr" "$ERR" err

  printf '%s\n' "$code" >"$T_TMP/prog.$lang"
  run_ward run --lang "$lang" "$T_TMP/prog.$lang"
  expect_eq "$lang FILE: exit code" "$RC" 3
  expect_eq "$lang FILE: stdout" "$OUT" "${WANT[$lang]}"

  T_STDIN="$T_TMP/prog.$lang" run_ward run --lang "$lang" -
  expect_eq "$lang -: exit code" "$RC" 3
  expect_eq "$lang -: stdout" "$OUT" "${WANT[$lang]}"

  run_json --lang "$lang" -c "$code"
  expect_status exit
  expect_eq "$lang --json: exit_code" "$(j .exit_code)" 3
done

# The host file is read by ward: the sandbox does not need to see its path.
mkdir "$T_TMP/hidden"
echo 'import os; print(os.path.exists("'"$T_TMP"'/hidden"))' >"$T_TMP/hidden/p.py"
run_ward run --lang python "$T_TMP/hidden/p.py"
expect_eq "FILE's directory not mounted" "$OUT" False

# Code with quotes, newlines and non-ASCII arrives unchanged.
code=$'s = "it\'s \\"quoted\\" \u00e9"\nprint(s)\nprint(len(s))'
run_ward run --lang python -c "$code"
expect_eq "quoting kept" "$OUT" "it's \"quoted\" é
15"

# Languages take limits like any run.
run_json --lang python --wall-time 1s -c 'import time; time.sleep(10)'
expect_status timeout
run_json --lang node --memory 64M --wall-time 10s -c 'const a = []; for (;;) a.push(Buffer.alloc(1 << 20, 1));'
expect_match "node under 64M" "$(j .status)" '^(memory_limit|signal|exit)$'
expect_ne "node under 64M: did not succeed" "$(j .status)" ok

# Code from stdin: the program's own stdin is then empty, not the code.
printf 'import sys\nprint(repr(sys.stdin.read()))\n' >"$T_TMP/stdin.py"
T_STDIN="$T_TMP/stdin.py" run_ward run --lang python -
expect_eq "stdin consumed by the code" "$OUT" "''"

# A syntax error is the interpreter's exit, not a ward error.
run_ward run --lang python -c 'def ('
expect_eq "python syntax error: exit code" "$RC" 1
expect_match "python syntax error: message" "$ERR" "SyntaxError"

expect_no_cgroups
done_testing
