%% leak_lab: the binary-leak lab's scenarios on a real node, for
%% cmd/alloclab/leak_erl_test.go. The same programs as refc's scenarios
%% (../../../../refc/scenario_*.go), measured the way
%% ../shared/docs/recon-refc-facts.md Appendix C does: traffic, sleep
%% 1.5 s, erlang:memory(binary), bin_leak(3) (recon 2.5.6's algorithm,
%% below, as recon is not installed), sleep 1 s, erlang:memory(binary).
%%
%% Run: erl -noshell -pa DIR -run leak_lab main SCENARIO KEY=VALUE... -s init stop
%% Prints one "key value..." line per measurement.
-module(leak_lab).
-export([main/1, session/2, keeper/1, sleeper/1, bin_leak/1]).

main([Scenario | KVs]) ->
    Ps = maps:from_list([begin [K, V] = string:split(KV, "="), {K, list_to_integer(V)} end || KV <- KVs]),
    %% A quiet baseline: the output path warmed up, boot's garbage
    %% collected and its frees applied.
    out(start, [list_to_atom(Scenario)]),
    [erlang:garbage_collect(P) || P <- processes()],
    timer:sleep(500),
    [erlang:garbage_collect(P) || P <- processes()],
    timer:sleep(500),
    B0 = erlang:memory(binary),
    out(baseline, [B0]),
    Extra = run(Scenario, Ps),
    timer:sleep(1500),
    out(binary_before, [erlang:memory(binary) - B0]),
    [out(K, V) || {K, V} <- Extra],
    Leak = bin_leak(3),
    out(bin_leak, [V || {_, V, _} <- Leak]),
    out(bin_leak_who, [initial(I) || {_, _, I} <- Leak]),
    timer:sleep(1000),
    out(binary_after, [erlang:memory(binary) - B0]),
    halt().

out(K, Vs) -> io:format("~s~s~n", [K, [[" ", io_lib:format("~w", [V])] || V <- Vs]]).

initial(Info) ->
    case lists:keyfind(initial_call, 1, Info) of
        {initial_call, {_, F, _}} -> F;
        _ -> none
    end.

%% recon:bin_leak/1 (recon 2.5.6, facts §2.1).
bin_leak(N) ->
    Procs = [try
                 {ok, {_, Pre, Id}} = proc_attrs(P),
                 erlang:garbage_collect(P),
                 {ok, {_, Post, _}} = proc_attrs(P),
                 {P, length(Pre) - length(Post), Id}
             catch _:_ -> {P, 0, []}
             end || P <- processes()],
    Top = lists:sublist(lists:reverse(lists:sort([{V, P, I} || {P, V, I} <- Procs])), N),
    [{P, -V, I} || {V, P, I} <- Top].

proc_attrs(P) ->
    case process_info(P, [binary, registered_name, current_function, initial_call]) of
        [{binary, Bin}, {registered_name, Name}, Cur, Init] ->
            {ok, {P, Bin, [Name || is_atom(Name)] ++ [Cur, Init]}};
        undefined -> {error, undefined}
    end.

%% §5.1: N sessions, M rounds of SIZE-byte binaries, a HEADER-byte copy kept.
run("sessions", #{"n" := N, "m" := M, "size" := Size}) ->
    Ss = [spawn(?MODULE, session, [<<>>, 0]) || _ <- lists:seq(1, N)],
    Self = self(),
    spawn(fun() ->
        [[S ! {data, binary:copy(<<R>>, Size)} || S <- Ss] || R <- lists:seq(1, M)],
        Self ! done,
        receive stop -> ok end
    end),
    receive done -> ok end,
    timer:sleep(100),
    Refs = [length(element(2, process_info(S, binary))) || S <- Ss],
    [{session_refs, [lists:min(Refs), lists:max(Refs)]}];
%% §5.3: COUNT binaries of SIZE bytes, a SLICE-byte field of each stored in
%% ETS (copy=1: binary:copy/1 first) by a one-off parser.
run("slices", #{"count" := Count, "size" := Size, "slice" := Slice} = Ps) ->
    Copy = maps:get("copy", Ps, 0),
    Self = self(),
    Keeper = spawn(?MODULE, keeper, [Self]),
    T = receive {table, Tab} -> Tab end,
    {Parser, Ref} = spawn_monitor(fun() ->
        [begin
             B = binary:copy(<<I>>, Size),
             <<F0:Slice/binary, _/binary>> = B,
             F = case Copy of 1 -> binary:copy(F0); 0 -> F0 end,
             ets:insert(T, {I, F})
         end || I <- lists:seq(1, Count)]
    end),
    receive {'DOWN', Ref, process, Parser, _} -> ok end,
    [{ets_memory_bytes, [ets:info(T, memory) * erlang:system_info(wordsize)]}, {keeper, [Keeper]}];
%% §2.3/§5.5: N × SIZE bytes sent to a process that does not receive.
run("backlog", #{"n" := N, "size" := Size}) ->
    S = spawn(?MODULE, sleeper, [infinity]),
    timer:sleep(10),
    [S ! {data, binary:copy(<<I>>, Size)} || I <- lists:seq(1, N)],
    timer:sleep(10),
    [{listed_before_gc, [length(element(2, process_info(S, binary)))]}].

session(_H, N) ->
    receive
        {data, B} -> <<H2:16/binary, _/binary>> = B, session(H2, N + 1)
    end.

keeper(Parent) ->
    T = ets:new(slices, [public]),
    Parent ! {table, T},
    receive stop -> ok end.

sleeper(Ms) -> timer:sleep(Ms).
