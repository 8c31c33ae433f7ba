%% alloclab_oracle_batch: replay many traces in one emulator through the
%% oracle's NIF (../shared/oracle/oracle.erl), so that a differential test
%% pays for one emulator boot instead of one per comparison.
%%
%% Started like ../shared/oracle/run starts the oracle (same emulator
%% flags), with `-s alloclab_oracle_batch main -extra JOBFILE`. JOBFILE has
%% one job per line: OUTFILE TRACE OPT... (tab separated; OPTs are the
%% oracle's -tPARAM VALUE pairs). For each job it checks that the super
%% carrier is in its start state, starts the test allocator, replays the
%% trace, writes the layout (or "error: MSG") to OUTFILE and the allocator's
%% own report (oracle:info/0) to OUTFILE.info, checks isolation
%% like the oracle does, stops the allocator, and checks that the super
%% carrier is back in its start state. Any other failure halts with status 3.
-module(alloclab_oracle_batch).
-export([main/0]).

main() ->
    Code = try run(init:get_plain_arguments())
           catch C:R:St ->
                   io:format(standard_error, "batch: ~p:~p~n~p~n", [C, R, St]),
                   3
           end,
    halt(Code).

run([JobFile]) ->
    logger:set_primary_config(level, error),
    {ok, Bin} = file:read_file(JobFile),
    Lines = [L || L <- binary:split(Bin, <<"\n">>, [global]), L =/= <<>>],
    M0 = oracle:mmap_state(),
    true = is_map(M0),
    lists:foreach(fun(L) -> job(L, M0) end, Lines),
    0.

job(Line, M0) ->
    [Out, Trace | Opts] = [binary_to_list(F) || F <- binary:split(Line, <<"\t">>, [global])],
    case oracle:mmap_state() of
        M0 -> ok;
        M -> exit({super_carrier_not_at_start, Trace, M})
    end,
    Result =
        case oracle:start(Opts) of
            ok ->
                R = case oracle:replay(Trace, -1) of
                        {ok, _, _, _, _} ->
                            case oracle:layout() of
                                {ok, Layout} ->
                                    {ok, Info} = oracle:info(),
                                    ok = file:write_file(Out ++ ".info", Info),
                                    case oracle:check_isolation(M0, oracle:mmap_state(), oracle:carriers()) of
                                        ok -> Layout;
                                        {error, Msg} -> exit({isolation, Trace, lists:flatten(Msg)})
                                    end;
                                {error, Msg} -> exit({layout, Trace, Msg})
                            end;
                        {error, Ln, Msg} -> iolist_to_binary(io_lib:format("error: ~w: ~s~n", [Ln, Msg]));
                        {error, Msg} -> exit({replay, Trace, Msg})
                    end,
                ok = oracle:stop(),
                R;
            {error, Msg} ->
                iolist_to_binary(io_lib:format("error: start: ~s~n", [Msg]))
        end,
    ok = file:write_file(Out, Result).
