"""Hand-written expected edges, control dependences and reaching definitions for tricky Python snippets."""

from __future__ import annotations

from graph_helpers import facts


def test_straight_line_and_params_defined_at_entry():
    f = facts("""
        def f(a, b=1):
            c = a + b
            return c
    """)
    assert f.edges() == {("L1", "L2", "next"), ("L2", "L3", "next"), ("L3", "EXIT", "return")}
    assert f.dd() == {("L1", "L2", "a"), ("L1", "L2", "b"), ("L2", "L3", "c")}


def test_if_elif_else_edges_and_control_dependence():
    f = facts("""
        def f(x):
            if x > 0:
                y = 1
            elif x < 0:
                y = -1
            else:
                y = 0
            return y
    """)
    assert f.edges() == {("L1", "L2", "next"), ("L2", "L3", "true"), ("L2", "L4", "false"),
                         ("L4", "L5", "true"), ("L4", "L7", "false"), ("L3", "L8", "next"),
                         ("L5", "L8", "next"), ("L7", "L8", "next"), ("L8", "EXIT", "return")}
    assert f.cd() == {("L2", "L3", "true"), ("L2", "L4", "false"), ("L4", "L5", "true"), ("L4", "L7", "false")}
    assert f.reaching("L8", "y") == {"L3", "L5", "L7"}


def test_if_without_else_keeps_earlier_definition_reaching():
    f = facts("""
        def f(x):
            y = 0
            if x:
                y = 1
            return y
    """)
    assert f.reaching("L5", "y") == {"L2", "L4"}
    assert ("L3", "L5", "false") in f.edges()


def test_while_loop_back_edge_false_exit_and_self_dependence():
    f = facts("""
        def f(n):
            i = 0
            while i < n:
                i += 1
            return i
    """)
    assert f.edges() == {("L1", "L2", "next"), ("L2", "L3", "next"), ("L3", "L4", "true"),
                         ("L4", "L3", "loop_back"), ("L3", "L5", "false"), ("L5", "EXIT", "return")}
    assert f.cd() == {("L3", "L4", "true"), ("L3", "L3", "true")}
    assert f.reaching("L3", "i") == {"L2", "L4"}
    assert ("L4", "L4", "i") in f.dd()


def test_while_true_has_no_false_exit_and_break_leaves():
    f = facts("""
        def f():
            while True:
                x = g()
                if x:
                    break
            return x
    """)
    edges = f.edges()
    assert ("L2", "L6", "false") not in edges
    assert not any(u == "L2" and k == "false" for u, _, k in edges)
    assert ("L5", "L6", "break") in edges
    assert f.reaching("L6", "x") == {"L3"}
    # The only way out is the break, so it post-dominates the loop: the loop body depends on `if x` being
    # false (another iteration), and nothing depends on the break branch.
    assert f.cd() == {("L4", "L2", "false"), ("L4", "L3", "false"), ("L4", "L4", "false")}


def test_endless_loop_gets_no_exit_edge_and_post_dominator_tree():
    f = facts("""
        def f():
            n = 0
            while True:
                n += 1
    """)
    assert ("L3", "EXIT", "no_exit") in f.edges(hidden=())
    assert ("L3", "L4", "true") in f.cd()
    assert ("L2", "L3", "next") in f.edges()


def test_code_after_return_is_unreachable_and_listed():
    cfg = facts("""
        def f():
            return 1
            x = 2
    """).cfg
    assert [n.text for n in cfg.unreachable] == ["x = 2"]
    assert len(cfg.nodes) == 3


def test_for_splits_iterable_and_next_item_and_binds_on_true_edge():
    f = facts("""
        def f(xs):
            t = 0
            for x in xs:
                t += x
            return t
    """)
    assert f.kind("L3a") == "loop_iter" and f.kind("L3b") == "loop_next"
    assert f.edges() == {("L1", "L2", "next"), ("L2", "L3a", "next"), ("L3a", "L3b", "next"),
                         ("L3b", "L4", "true"), ("L4", "L3b", "loop_back"), ("L3b", "L5", "false"),
                         ("L5", "EXIT", "return")}
    assert ("L1", "L3a", "xs") in f.dd()
    assert ("L3b", "L4", "x") in f.dd()
    assert f.reaching("L5", "t") == {"L2", "L4"}
    # The iterable is evaluated once: it is not inside the loop.
    assert not any(b == "L3a" for _, b, _ in f.cd())


def test_for_else_runs_only_without_break():
    f = facts("""
        def f(xs):
            for x in xs:
                if x:
                    break
            else:
                return None
            return x
    """)
    edges = f.edges()
    assert ("L2b", "L6", "false") in edges
    assert ("L4", "L7", "break") in edges
    assert ("L6", "L7", "next") not in edges
    assert ("L2b", "L6", "false") in f.cd()


def test_loop_target_after_empty_loop_may_be_previous_definition():
    f = facts("""
        def f(xs):
            x = None
            for x in xs:
                pass
            return x
    """)
    assert f.reaching("L5", "x") == {"L2", "L3b"}


def test_continue_goes_to_loop_header():
    f = facts("""
        def f(xs):
            for x in xs:
                if x:
                    continue
                g(x)
    """)
    assert ("L4", "L2b", "continue") in f.edges()
    assert ("L5", "L2b", "loop_back") in f.edges()
    assert ("L3", "L5", "false") in f.cd()


def test_nested_loops_break_only_leaves_inner():
    f = facts("""
        def f(a, b):
            for x in a:
                for y in b:
                    break
                h()
    """)
    assert ("L4", "L5", "break") in f.edges()
    assert ("L3b", "L5", "false") in f.edges()


def test_while_else_with_break():
    f = facts("""
        def f(n):
            while n:
                if n == 3:
                    break
                n -= 1
            else:
                n = 100
            return n
    """)
    edges = f.edges()
    assert ("L2", "L7", "false") in edges and ("L4", "L8", "break") in edges
    assert f.reaching("L8", "n") == {"L1", "L5", "L7"}


def test_try_except_is_a_branch_and_body_statements_may_raise():
    f = facts("""
        def f():
            try:
                a = g()
                b = h()
            except ValueError:
                a = 0
            return a
    """)
    edges = f.edges()
    assert ("L2", "L3", "next") in edges and ("L2", "L5", "exception") in edges
    assert ("L5", "L6", "true") in edges and ("L5", "EXIT", "false") in edges
    assert ("L3", "L5") in f.may_raise() and ("L4", "L5") in f.may_raise()
    # Control dependence: the body depends on the try branch, not on each other.
    assert ("L2", "L4", "next") in f.cd() and not any(a == "L3" for a, _, _ in f.cd())
    assert f.reaching("L7", "a") == {"L3", "L6"}
    # A handler sees the state before a raising statement and its may-definitions.
    assert f.reaching("L5", "a") == {"L3"}


def test_unmatched_exception_goes_to_outer_handler():
    f = facts("""
        def f():
            try:
                try:
                    g()
                except KeyError:
                    pass
            except ValueError:
                pass
    """)
    assert ("L5", "L7", "false") in f.edges()
    assert ("L4", "L5") in f.may_raise()


def test_bare_except_has_no_false_edge():
    f = facts("""
        def f():
            try:
                g()
            except:
                h()
    """)
    assert not any(u == "L4" and k == "false" for u, _, k in f.edges())


def test_try_else_runs_after_body_only():
    f = facts("""
        def f():
            try:
                x = g()
            except E:
                x = None
            else:
                y = x
            return x
    """)
    edges = f.edges()
    assert ("L3", "L7", "next") in edges
    assert ("L5", "L8", "next") in edges and ("L5", "L7", "next") not in edges
    assert f.reaching("L7", "x") == {"L3"}


def test_except_as_binds_on_match_and_is_unbound_after_handler():
    f = facts("""
        def f():
            try:
                g()
            except ValueError as e:
                h(e)
            return e
    """)
    assert ("L4a", "L5", "e") in f.dd()
    assert f.kind("L4b") == "unbind" or f.kind("L4c") == "unbind"
    assert f.reaching("L6", "e") == set()


def test_return_inside_try_finally_runs_finally_then_exits():
    f = facts("""
        def f():
            try:
                return g()
            finally:
                cleanup()
            after()
    """)
    edges = f.edges()
    # The return copy of the finally body leads to EXIT only: `after()` is unreachable.
    assert [n.text for n in f.cfg.unreachable] == ["after()"]
    finally_return = next(l for l in f.ids if f.kind(l) == "finally" and "return" in f.text(l))
    assert ("L3", finally_return, "return") in edges
    copies = [l for l in f.ids if f.text(l) == "cleanup()"]
    assert any((c, "EXIT", "return") in edges for c in copies)
    assert not any((c, "EXIT", "next") in edges for c in copies)


def test_finally_copies_per_exit_kind_have_no_impossible_paths():
    f = facts("""
        def f(xs):
            for x in xs:
                try:
                    if x:
                        break
                    if g(x):
                        continue
                    h()
                finally:
                    done()
            return 1
    """)
    edges = f.edges()
    kinds = {f.text(l) for l in f.ids if f.kind(l) == "finally"}
    assert {"finally (break)", "finally (continue)", "finally (raise)"} <= kinds
    copies = [l for l in f.ids if f.text(l) == "done()"]
    outs = {(k, v) for u, v, k in edges if u in copies}
    assert ("break", "L11") in outs and ("continue", "L2b") in outs and ("raise", "EXIT") in outs
    assert ("loop_back", "L2b") in outs
    assert len(copies) == 4


def test_finally_normal_path_continues():
    f = facts("""
        def f():
            try:
                a = 1
            finally:
                b = 2
            return a + b
    """)
    normal = next(l for l in f.ids if f.text(l) == "b = 2" and (l, "L6", "next") in f.edges())
    assert f.reaching("L6", "b") == {normal}


def test_exception_finally_copy_reraises_to_exit():
    f = facts("""
        def f():
            try:
                g()
            finally:
                h()
    """)
    copy = next(l for l in f.ids if f.text(l) == "finally (raise)")
    assert ("L2", copy, "exception") in f.edges()
    assert ("L3", copy) in f.may_raise()


def test_raise_goes_to_handler_and_raise_outside_try_to_exit():
    f = facts("""
        def f(x):
            try:
                if x:
                    raise ValueError(x)
            except ValueError:
                return 1
            raise KeyError
    """)
    edges = f.edges()
    assert ("L4", "L5", "raise") in edges
    assert ("L7", "EXIT", "raise") in edges


def test_assert_has_raise_edge_and_controls_the_rest():
    f = facts("""
        def f(x):
            assert x > 0, "positive"
            return x
    """)
    assert ("L2", "EXIT", "raise") in f.edges() and ("L2", "L3", "true") in f.edges()
    assert ("L2", "L3", "true") in f.cd()


def test_with_keeps_body_binds_target_and_has_exit_node():
    f = facts("""
        def f(p):
            with open(p) as fh:
                data = fh.read()
            return data
    """)
    exits = [l for l in f.ids if f.kind(l) == "with_exit"]
    assert ("L1", "L2a", "p") in f.dd() or ("L1", "L2", "p") in f.dd()
    header = next(l for l in f.ids if f.kind(l) == "with")
    assert (header, "L3", "next") in f.edges()
    assert (header, "L3", "fh") in f.dd()
    normal = next(l for l in exits if f.text(l) == "with exit")
    assert ("L3", normal, "next") in f.edges() and (normal, "L4", "next") in f.edges()
    raising = next(l for l in exits if f.text(l) == "with exit (raise)")
    assert (raising, "L4", "suppress") in f.edges() and (raising, "EXIT", "raise") in f.edges()
    assert f.reaching("L4", "data") == {"L3"}


def test_async_with_and_async_for_keep_bodies():
    f = facts("""
        async def f(s):
            async with s as c:
                async for x in c:
                    await g(x)
    """)
    assert f.kind("L4") == "await"
    assert any(v == "L4" for _, v, _ in f.edges())
    assert ("L3b", "L4", "x") in f.dd()


def test_return_inside_with_calls_exit_before_leaving():
    f = facts("""
        def f(m):
            with m:
                return 1
    """)
    copy = next(l for l in f.ids if f.text(l) == "with exit (return)")
    assert ("L3", copy, "return") in f.edges() and (copy, "EXIT", "return") in f.edges()


def test_match_case_guard_and_captures():
    f = facts("""
        def f(p):
            match p:
                case (x, 0) if x > 1:
                    return x
                case [y, *rest]:
                    return rest
                case _:
                    return None
    """)
    edges = f.edges()
    assert ("L2", "L3a", "next") in edges
    assert ("L3a", "L3b", "case_match") in edges and ("L3b", "L4", "true") in edges
    assert ("L3a", "L5", "case_fail") in edges and ("L3b", "L5", "false") in edges
    assert ("L5", "L6", "case_match") in edges and ("L5", "L7", "case_fail") in edges
    assert ("L7", "L8", "case_match") in edges
    assert not any(u == "L7" and k == "case_fail" for u, _, k in edges)
    assert ("L3a", "L3b", "x") in f.dd() and ("L3a", "L4", "x") in f.dd()
    assert ("L5", "L6", "rest") in f.dd()
    assert ("L1", "L2", "p") in f.dd()


def test_match_value_pattern_reads_name_and_unmatched_falls_through():
    f = facts("""
        def f(c, Color):
            match c:
                case Color.RED:
                    x = 1
            return c
    """)
    assert ("L1", "L3", "Color") in f.dd()
    assert ("L3", "L5", "case_fail") in f.edges()


def test_walrus_in_condition_defines_and_in_or_is_may_definition():
    f = facts("""
        def f(a):
            n = 0
            if (n := len(a)) > 3:
                pass
            if a or (n := 5):
                pass
            return n
    """)
    assert f.reaching("L5", "n") == {"L3"}
    assert f.reaching("L7", "n") == {"L3", "L5"}


def test_walrus_in_comprehension_binds_enclosing_function():
    f = facts("""
        def f(xs):
            last = None
            ys = [last := x for x in xs]
            return last
    """)
    assert f.reaching("L4", "last") == {"L2", "L3"}
    assert ("L1", "L3", "xs") in f.dd()


def test_comprehension_variable_does_not_leak_or_shadow():
    f = facts("""
        def f(xs):
            x = 10
            ys = [x * 2 for x in xs]
            return x
    """)
    assert f.reaching("L4", "x") == {"L2"}
    assert not any(var == "x" and b == "L3" for _, b, var in f.dd())


def test_comprehension_reads_outer_names_in_its_body():
    f = facts("""
        def f(xs, k):
            return [x + k for x in xs if x > k]
    """)
    assert f.dd() == {("L1", "L2", "xs"), ("L1", "L2", "k")}


def test_augmented_assignment_uses_and_defines():
    f = facts("""
        def f():
            s = 1
            s += 2
            return s
    """)
    assert f.dd() == {("L2", "L3", "s"), ("L3", "L4", "s")}


def test_unpacking_and_starred_targets():
    f = facts("""
        def f(t):
            a, (b, *c) = t
            return a, b, c
    """)
    assert f.dd() == {("L1", "L2", "t"), ("L2", "L3", "a"), ("L2", "L3", "b"), ("L2", "L3", "c")}


def test_del_kills_definition():
    f = facts("""
        def f(x):
            y = x
            del y
            return y
    """)
    assert f.reaching("L4", "y") == set()


def test_attribute_and_subscript_stores_read_the_base_only():
    f = facts("""
        def f(o, a, i):
            o.x = 1
            a[i] = 2
            return o, a
    """)
    assert ("L1", "L2", "o") in f.dd() and ("L1", "L3", "a") in f.dd() and ("L1", "L3", "i") in f.dd()
    assert f.reaching("L4", "a") == {"L1"}


def test_global_and_nonlocal_are_declarations():
    from graph_helpers import graphs_of

    cfgs = {c.name: c for c in graphs_of("""
        x = 0
        def f():
            global x
            x = 1
        def g():
            y = 0
            def h():
                nonlocal y
                y += 1
            return h
    """)}
    assert cfgs["f"].names()["global"] == {"x"} and "x" not in cfgs["f"].names()["local"]
    assert cfgs["g.h"].names()["nonlocal"] == {"y"}
    assert cfgs["g"].names()["local"] == {"y", "h"}


def test_nested_def_and_class_are_bindings_with_their_own_graphs():
    from graph_helpers import graphs_of

    cfgs = graphs_of("""
        def outer(d=1):
            @deco(d)
            def inner(a=d):
                return a
            class K(Base):
                z = 1
                def m(self):
                    return self.z
            return inner, K
    """)
    names = [c.name for c in cfgs]
    assert names == ["<module>", "outer", "outer.inner", "outer.K", "outer.K.m"]
    outer = next(c for c in cfgs if c.name == "outer")
    from graph_helpers import Facts

    f = Facts(outer)
    assert f.kind("L2") == "definition" and f.kind("L5") == "definition"
    assert ("L1", "L2", "d") in f.dd()          # decorator and default read d where the def is written
    assert ("L2", "L9", "inner") in f.dd() and ("L5", "L9", "K") in f.dd()


def test_lambda_has_its_own_graph_and_defaults_are_read_outside():
    from graph_helpers import Facts, graphs_of

    cfgs = graphs_of("""
        def f(k):
            g = lambda x, y=k: x + y + k
            return g
    """)
    names = [c.name for c in cfgs]
    assert "f.<lambda>@L2:8" in names
    lam = Facts(next(c for c in cfgs if c.name.startswith("f.<lambda>")))
    assert lam.dd() == {("L2a", "L2b", "x"), ("L2a", "L2b", "y")}
    f = Facts(next(c for c in cfgs if c.name == "f"))
    assert ("L1", "L2", "k") in f.dd()


def test_class_body_graph_and_scope():
    from graph_helpers import Facts, graphs_of

    cfgs = graphs_of("""
        class C:
            a = 1
            b = a + 1
    """)
    c = Facts(next(x for x in cfgs if x.name == "C"))
    assert c.dd() == {("L2", "L3", "a")}


def test_yield_statement_kind_and_generator_finally():
    f = facts("""
        def gen(xs):
            try:
                for x in xs:
                    yield x
            finally:
                close()
    """)
    assert f.kind("L4") == "yield"
    assert any(u == "L4" for u, _ in f.may_raise())


def test_module_level_graph():
    f = facts("""
        import os
        x = os.getcwd()
        if __name__ == "__main__":
            print(x)
    """, name="<module>")
    assert ("L1", "L2", "os") in f.dd() and ("L2", "L4", "x") in f.dd()
    assert ("L3", "L4", "true") in f.cd()


def test_two_statements_on_one_line_get_distinct_ids():
    f = facts("""
        def f():
            a = 1; b = a
            return b
    """)
    assert f.dd() == {("L2a", "L2b", "a"), ("L2b", "L3", "b")}


def test_except_star_clause():
    f = facts("""
        def f():
            try:
                g()
            except* ValueError as eg:
                h(eg)
    """)
    assert ("L4a", "L5", "eg") in f.dd()


def test_return_in_finally_overrides_and_break_in_finally():
    f = facts("""
        def f():
            try:
                return 1
            finally:
                return 2
    """)
    returns = [l for l in f.ids if f.text(l) == "return 2"]
    assert returns and all((r, "EXIT", "return") in f.edges() for r in returns)


def test_nested_try_finally_inside_handler_routes_return_through_both():
    f = facts("""
        def f():
            try:
                try:
                    return g()
                finally:
                    a()
            finally:
                b()
    """)
    edges = f.edges()
    a_copy = next(l for l in f.ids if f.text(l) == "a()" and any(u == l and k == "return" for u, _, k in edges))
    b_targets = {v for u, v, k in edges if u == a_copy and k == "return"}
    assert all(f.kind(t) == "finally" for t in b_targets)


def test_conditional_expression_walrus_is_may_definition():
    f = facts("""
        def f(c):
            v = 0
            w = (v := 1) if c else 2
            return v
    """)
    assert f.reaching("L4", "v") == {"L2", "L3"}


def test_import_binds_first_component_or_alias():
    f = facts("""
        import os.path
        import numpy as np
        from a.b import c as d, e
        print(os, np, d, e)
    """, name="<module>")
    assert f.dd() == {("L1", "L4", "os"), ("L2", "L4", "np"), ("L3", "L4", "d"), ("L3", "L4", "e")}


def test_break_inside_try_inside_loop_routes_through_finally_and_else_skipped():
    f = facts("""
        def f(xs):
            for x in xs:
                try:
                    break
                finally:
                    g()
            else:
                h()
    """)
    copy = next(l for l in f.ids if f.text(l) == "finally (break)")
    assert ("L4", copy, "break") in f.edges()
    g_break = next(l for l in f.ids if f.text(l) == "g()" and (copy, l, "next") in f.edges())
    assert all(v != "L8" for u, v, k in f.edges() if u == g_break)
