#!/usr/bin/env bash
# Records the allocator options of a real OTP 25 node in the format
# `alloclab flags --format erlang` prints, so the two compare byte for byte.
#
#   scripts/record-flags-golden.sh N [FLAG...]
#       starts `erl +S N +SDcpu N FLAG...` and prints, for temp_alloc ..
#       driver_alloc, test_alloc, mseg_alloc, alloc_util and sys_alloc, the
#       {options, [...]} list of every instance that
#       erlang:system_info({allocator, A}) reports, one Erlang term per
#       allocator:
#           {binary_alloc,[
#            {instance,0,[{options,[{e,true},...]}]},
#            ...
#           ]}.
#       ({A,false}. for a disabled allocator; alloc_util's instance holds
#       its options list itself, as in the runtime).
#   scripts/record-flags-golden.sh --all [DIR]
#       re-records every case of DIR/cases.txt (default
#       cmd/alloclab/testdata/flags) into DIR/NAME.erl. A case line is
#       "NAME N [FLAG...]"; '#' starts a comment line.
#
# +SDcpu N makes the dirty CPU schedulers (which cap +Mdai) equal to N, the
# runtime's default on a machine with at least N logical CPUs and alloclab's
# default, also when N exceeds this machine's CPUs (N > CPUs oversubscribes
# the machine but works). ERL_FLAGS, ERL_AFLAGS and ERL_ZFLAGS are ignored.
# Needs erl (OTP 25.2.3 for the committed goldens); ERL overrides the
# command.
set -euo pipefail
set -f # flags are split on blanks but never globbed
unset ERL_FLAGS ERL_AFLAGS ERL_ZFLAGS
ERL=${ERL:-erl}

# The Erlang side: print every section as alloclab prints it.
read -r -d '' PROG <<'EOF' || true
Sections = [temp_alloc, sl_alloc, std_alloc, ll_alloc, eheap_alloc, ets_alloc,
            fix_alloc, literal_alloc, binary_alloc, driver_alloc, test_alloc,
            mseg_alloc, alloc_util, sys_alloc],
Inst = fun (alloc_util, {instance, I, Opts}) -> {instance, I, Opts};
           (_, {instance, I, Info}) -> {instance, I, [lists:keyfind(options, 1, Info)]}
       end,
Print = fun (A) ->
    case erlang:system_info({allocator, A}) of
        false -> io:format("{~w,false}.~n", [A]);
        L when is_list(L) ->
            Lines = [io_lib:format(" ~w", [Inst(A, X)]) || X <- lists:keysort(2, L)],
            io:format("{~w,[~n~s~n]}.~n", [A, lists:join(",\n", Lines)])
    end
end,
lists:foreach(Print, Sections),
halt().
EOF

record() { # N FLAG...
    local n=$1
    shift
    "$ERL" -noshell +S "$n" +SDcpu "$n" "$@" -eval "$PROG" </dev/null
}

if [ "${1:-}" = "--all" ]; then
    dir=${2:-$(cd "$(dirname "$0")/.." && pwd)/cmd/alloclab/testdata/flags}
    count=0
    while read -r name n flags; do
        case $name in '' | '#'*) continue ;; esac
        # shellcheck disable=SC2086 # the flags are meant to be split
        out=$(record "$n" $flags)
        case $out in
            '{temp_alloc,'*) ;;
            *) echo "record-flags-golden: $name: erl +S $n $flags failed: $out" >&2; exit 1 ;;
        esac
        printf '%s\n' "$out" >"$dir/$name.erl"
        count=$((count + 1))
    done <"$dir/cases.txt"
    echo "record-flags-golden: recorded $count cases in $dir" >&2
    exit 0
fi

if [ $# -lt 1 ]; then
    echo "usage: $0 N [FLAG...] | $0 --all [DIR]" >&2
    exit 2
fi
record "$@"
