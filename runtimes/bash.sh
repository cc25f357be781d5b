[[ ${_ward_run-} == 1 ]] && { _ward_run=; \builtin eval -- "$_ward_opts$_ward_code" {_ward_ctl}>&-; { _ward_leave "$?"; } 2>/dev/null; \return; }
# ^ Runs a cell when the driver sources this file. It is line 1 so that
# bash's messages give line numbers within the cell ("line 3: x: command
# not found"). The control socket is closed for the cell (bash keeps a
# close-on-exec copy and puts it back afterwards), so commands the cell
# runs never see it.

# ward's bash REPL driver (protocol: runtimes/README.md).
#
# Started as `bash /run/ward/driver.sh FD`. One bash process serves every
# cell, so variables, functions, aliases, options and the working
# directory persist.
#
# A cell is eval'd in a file sourced from the top level (this very file,
# line 1). Sourced code sees the global scope (`declare x` in a cell makes
# a global, unlike code in a function) and can still be left early, which
# is how an interrupt stops it: SIGINT's trap arms a DEBUG trap that, with
# extdebug, makes every further command of the cell simulate `return`,
# unwinding its functions and then the sourced file, loops included.
#
# Driver names all start with _ward_; its commands are prefixed with
# `builtin` where a cell could plausibly shadow them with a function.

_ward_fail() {
    builtin printf 'ward bash driver: %s\n' "$1" >&2
    builtin exit 2
}

[[ $# -eq 1 && $1 =~ ^[0-9]+$ ]] || _ward_fail "usage: driver.sh CONTROL_FD"

# The control socket moves to a high number, out of the way of the fds a
# cell opens with `exec {var}>...` (lowest free from 10 up).
_ward_ctl=$1
if ((_ward_ctl != 1000)) && { exec 1000<&"$_ward_ctl"; } 2>/dev/null; then
    eval "exec $_ward_ctl<&-"
    _ward_ctl=1000
fi
builtin set --  # cells start with no positional parameters

_ward_self=${BASH_SOURCE[0]}
[[ $_ward_self == /* ]] || _ward_self=$PWD/$_ward_self

_ward_header_max=64         # bytes in a header line, newline included
_ward_body_max=16777216     # bytes of code in one request
_ward_fast_read=65536       # above this, `head -c` reads the code
_ward_head=$(type -P head)  # found once: a cell may change PATH
_ward_count=0
_ward_flags=
_ward_opts=
_ward_aliases=on  # expand_aliases, on as in an interactive shell
_ward_in_cell=
_ward_interrupted=

_ward_send() {
    builtin printf '%s\n' "$1" >&"$_ward_ctl"
}

# After a cell's code (not reached when it is interrupted or returns):
# its status, and the options it leaves on for the next cell; the driver
# itself runs without them.
# shellcheck disable=SC2317 # called from line 1
_ward_leave() {
    _ward_rc=$1 _ward_flags=$-
    builtin set +euvx
}

# Reads the next request into _ward_op, _ward_id and _ward_code. Returns 1
# at end of input between requests; any malformed input ends the driver.
_ward_read_request() {
    local LC_ALL=C IFS='' line='' part n left chunk st  # C: lengths count bytes
    while :; do
        builtin read -r -n $((_ward_header_max - ${#line})) -u "$_ward_ctl" part
        st=$?
        line+=$part
        # A trapped SIGINT (between cells) interrupts read: read on.
        ((st > 128)) || break
    done
    if ((st != 0)); then
        [[ -z $line ]] && return 1
        _ward_fail "control socket closed in the middle of a header"
    fi
    ((${#line} < _ward_header_max)) || _ward_fail "request header longer than $_ward_header_max bytes"
    [[ $line =~ ^(cell|script)\ ([0-9]{1,18})\ ([0-9]{1,9})$ ]] || _ward_fail "malformed request header"
    _ward_op=${BASH_REMATCH[1]}
    _ward_id=$((10#${BASH_REMATCH[2]}))
    n=$((10#${BASH_REMATCH[3]}))
    ((n <= _ward_body_max)) || _ward_fail "request of $n bytes exceeds $_ward_body_max"
    _ward_code=
    if ((n > _ward_fast_read)) && [[ -n $_ward_head ]]; then
        # bash reads a socket a byte at a time; head reads exactly n
        # bytes in blocks (no more follow until `done`). The x keeps
        # trailing newlines; NUL bytes, which bash cannot hold, are dropped.
        { _ward_code=$("$_ward_head" -c "$n" <&"$_ward_ctl" && builtin printf x); } 2>/dev/null
        [[ $_ward_code == *x ]] || _ward_fail "cannot read a request of $n bytes"
        _ward_code=${_ward_code%x}
        return 0
    fi
    # read -N would wait forever for bytes it drops (NUL): read up to each
    # NUL instead, counting it as consumed when the chunk stops short.
    left=$n
    while ((left > 0)); do
        chunk=
        builtin read -r -d '' -n "$left" -u "$_ward_ctl" chunk
        st=$?
        if ((st != 0 && st <= 128)) && [[ -z $chunk ]]; then
            _ward_fail "control socket closed in the middle of a request"
        fi
        _ward_code+=$chunk
        if ((${#chunk} < left)) && ((st == 0)); then
            ((left -= ${#chunk} + 1))
        else
            ((left -= ${#chunk}))
        fi
    done
    return 0
}

# SIGINT while a cell runs: the foreground command has already had the
# signal (it goes to the whole process group); make the rest of the cell
# unwind. Between cells it is ignored.
# shellcheck disable=SC2317 # the INT trap
_ward_on_int() {
    [[ -n $_ward_in_cell ]] || return 0
    _ward_interrupted=1
    builtin shopt -s extdebug
    builtin set -o functrace
    builtin trap '_ward_skip' DEBUG
}

# The DEBUG trap after an interrupt: status 2 in a function or sourced file
# simulates `return` (extdebug). The driver's own code, at the top level
# of the main script or in _ward_ functions, runs on.
# shellcheck disable=SC2317 # the DEBUG trap
_ward_skip() {
    [[ -n $_ward_interrupted ]] || return 0
    [[ ${FUNCNAME[1]-} == _ward_* ]] && return 0
    ((${#BASH_SOURCE[@]} > 2)) && return 2
    return 0
}

_ward_end_cell() {
    builtin set +euvx
    local rc=${_ward_rc:-$1} status=ok flag
    _ward_in_cell=
    if [[ -n $_ward_interrupted ]]; then
        builtin trap - DEBUG
        builtin set +o functrace
        builtin shopt -u extdebug
        _ward_interrupted=
        status=interrupted
        rc=130
        _ward_send "{\"type\":\"error\",\"id\":$_ward_id,\"ename\":\"KeyboardInterrupt\",\"evalue\":\"interrupted by SIGINT\",\"traceback\":[]}"
    fi
    # errexit, nounset, verbose and xtrace come back for the next cell as
    # a prefix of its code, so that xtrace does not show the driver.
    _ward_opts=
    for flag in e u v x; do
        [[ $_ward_flags == *$flag* ]] && _ward_opts+=$flag
    done
    [[ -n $_ward_opts ]] && _ward_opts="builtin set -$_ward_opts; "
    # Aliases are on while a cell is parsed, off for the driver's code.
    if builtin shopt -q expand_aliases; then _ward_aliases=on; else _ward_aliases=off; fi
    builtin shopt -u expand_aliases
    _ward_send "{\"type\":\"done\",\"id\":$_ward_id,\"status\":\"$status\",\"execution_count\":$_ward_count,\"exit_code\":$rc}"
}

# `script`: the code runs as `bash FILE` would, in a fresh bash that
# replaces the driver, so its exit status is the program's. The file is
# under /tmp: /run/ward is read-only.
_ward_script() {
    local file=/tmp/ward-script-$$.sh
    builtin set -o noclobber
    { builtin printf '%s' "$_ward_code" >"$file"; } 2>/dev/null || _ward_fail "cannot write $file"
    builtin set +o noclobber
    builtin trap - INT
    exec {_ward_ctl}>&-
    builtin exec "$BASH" "$file"
}

builtin trap '_ward_on_int' INT
builtin shopt -u expand_aliases
_ward_send "{\"type\":\"ready\",\"language\":\"bash\",\"version\":\"${BASH_VERSINFO[0]}.${BASH_VERSINFO[1]}.${BASH_VERSINFO[2]}\"}"

while _ward_read_request; do
    if [[ $_ward_op == script ]]; then
        _ward_script
    fi
    _ward_count=$((_ward_count + 1))
    _ward_rc=
    _ward_in_cell=1
    _ward_run=1
    [[ $_ward_aliases == on ]] && builtin shopt -s expand_aliases
    # shellcheck source=/dev/null # line 1 of this file
    . "$_ward_self"
    { _ward_end_cell "$?"; } 2>/dev/null
done
builtin exit 0
