"""Hand-written expected edges for C++ control flow and data flow: the C statements, range-for, try / catch /
throw, functions in namespaces, classes and templates, and lambdas as their own graphs."""

from __future__ import annotations

import textwrap

from graph_helpers import Facts, facts, graphs_of


def cpp(body: str, params: str = "int n"):
    return facts(f"int f({params}) {{\n{textwrap.dedent(body).strip(chr(10))}\n}}\n", "f", "cpp")


def test_cpp_has_the_c_statements():
    f = cpp("""
        int t = 0;
        for (int i = 0; i < n; i++) {
            if (i % 2) continue;
            t += i;
        }
        switch (t) { case 1: t = 2; break; default: t = 3; }
        return t;
        """)
    kinds = {f.kind(label) for label in f.ids}
    assert {"loop_update", "condition", "match", "case", "jump", "return"} <= kinds
    assert ("L4b", "L3c", "continue") in f.edges() and ("L3c", "L3b", "next") in f.edges()
    assert ("L7d", "L8", "break") in f.edges() and ("L7b", "L7e", "case_fail") in f.edges()
    assert f.reaching("L8", "t") == {"L7c", "L7e"}


def test_cpp_range_for_binds_the_element_on_true():
    f = cpp("""
        int s = 0;
        for (const auto& x : v) {
            s += x;
        }
        return s;
        """, "std::vector<int> v")
    assert f.kind("L3a") == "loop_iter" and f.kind("L3b") == "loop_next"
    assert ("L3a", "L3b", "next") in f.edges() and ("L3b", "L4", "true") in f.edges()
    assert ("L4", "L3b", "loop_back") in f.edges() and ("L3b", "L6", "false") in f.edges()
    assert ("L3b", "L4", "x") in f.dd() and ("L1", "L3a", "v") in f.dd()
    assert f.reaching("L6", "s") == {"L2", "L4"}
    assert f.text("L3b") == "for (const auto& x : v)"


def test_cpp_range_for_binds_structured_bindings_and_break_leaves():
    f = cpp("""
        for (auto& [k, v] : m) {
            if (v > n) break;
            n = k;
        }
        return n;
        """, "std::map<int, int> m, int n")
    assert ("L2b", "L3a", "v") in f.dd() and ("L2b", "L4", "k") in f.dd()
    assert ("L3b", "L6", "break") in f.edges()


def test_cpp_try_catch_throw():
    f = cpp("""
        int r = 0;
        try {
            r = g(n);
            if (r < 0) throw std::runtime_error("negative");
        } catch (const std::invalid_argument& e) {
            r = 1;
        } catch (...) {
            r = 2;
        }
        return r;
        """)
    edges = f.edges()
    assert f.kind("L3") == "try" and f.kind("L6") == "except" and f.kind("L8") == "except"
    assert ("L3", "L4", "next") in edges and ("L3", "L6", "exception") in edges
    assert ("L5b", "L6", "raise") in edges   # the throw goes to the first catch
    assert ("L4", "L6") in f.may_raise() and ("L5a", "L6") in f.may_raise()
    assert ("L6", "L7", "true") in edges and ("L6", "L8", "false") in edges
    assert ("L8", "L9", "true") in edges and not any(u == "L8" and k == "false" for u, _, k in edges)
    assert f.reaching("L11", "r") == {"L4", "L7", "L9"}
    assert f.kind("L5b") == "raise"
    assert ("L3", "L7", "exception") not in f.cd() and ("L6", "L7", "true") in f.cd()


def test_cpp_catch_binds_its_parameter_and_unmatched_exceptions_leave():
    f = cpp("""
        try {
            n = g(n);
        } catch (std::exception& e) {
            log(e);
            throw;
        }
        return n;
        """)
    assert ("L4", "L5", "e") in f.dd()
    assert ("L4", "EXIT", "false") in f.edges()   # no clause matched: the exception goes on
    assert ("L6", "EXIT", "raise") in f.edges()   # `throw;` in a handler leaves the try
    assert f.kind("L6") == "raise"


def test_cpp_nested_try_sends_unmatched_exceptions_to_the_outer_handler():
    f = cpp("""
        try {
            try {
                n = g(n);
            } catch (int e) {
                n = e;
            }
        } catch (...) {
            n = 0;
        }
        return n;
        """)
    assert ("L5", "L8", "false") in f.edges()   # inner catch does not match: outer catch
    assert ("L6", "L8") in f.may_raise()   # the inner handler's body is inside the outer try
    assert ("L3", "L8") in f.may_raise()


def test_cpp_throw_outside_a_try_ends_the_function():
    f = cpp("""
        if (n < 0) throw n;
        return n;
        """)
    assert ("L2b", "EXIT", "raise") in f.edges() and ("L2a", "L2b", "true") in f.cd()


def test_cpp_declarations_define_with_or_without_initializer():
    f = cpp("""
        std::string s;
        int a{n}, b = a, c;
        std::vector<int> out(n);
        auto [p, q] = pair(a, b);
        if (int z = p; z > q) c = z;
        while (int k = n--) c += k;
        return s.size() + out[0] + c;
        """)
    assert ("L3", "L8", "c") in f.dd() and ("L2", "L8", "s") in f.dd()
    assert ("L1", "L4", "n") in f.dd() and ("L4", "L8", "out") in f.dd()
    assert ("L5", "L6a", "p") in f.dd() and ("L6a", "L6b", "z") in f.dd()
    assert ("L7a", "L7b", "k") in f.dd()


def test_cpp_qualified_names_and_members_are_not_variables():
    f = cpp("""
        std::cout << n;
        v.push_back(n);
        return v.size();
        """, "std::vector<int>& v, int n")
    assert f.cfg.node(f.ids["L2"]).uses == ("n",)
    assert f.cfg.node(f.ids["L3"]).uses == ("v", "n")


def test_cpp_functions_in_namespaces_classes_and_templates():
    names = [g.name for g in graphs_of("""
        namespace geo {
        struct Point {
            int x;
            Point(int v) : x(v) {}
            bool operator<(const Point& o) const { return x < o.x; }
            int get() const;
            ~Point() {}
        };
        template <typename T> T twice(T a) { return a * 2; }
        namespace { int hidden() { return 1; } }
        }
        int geo::Point::get() const { return x; }
        extern "C" { int plain(int q) { return q; } }
        int& first(std::vector<int>& v) { return v[0]; }
        """, "cpp")]
    assert names == ["geo::Point::Point", "geo::Point::operator<", "geo::Point::~Point", "geo::twice",
                     "geo::hidden", "geo::Point::get", "plain", "first"]


def test_cpp_constructor_initializers_read_the_parameters():
    cfg = next(g for g in graphs_of("struct P {\n  int x;\n  P(int v) : x(v) {\n    x += 1;\n  }\n};\n", "cpp")
               if g.name == "P::P")
    f = Facts(cfg)
    assert f.text("L3b") == ": x(v)" and ("L3a", "L3b", "v") in f.dd()
    assert ("L3b", "L4", "next") in f.edges()


def test_cpp_lambdas_get_their_own_graph():
    cfgs = graphs_of("""
        int f(int n) {
            int k = 2;
            auto add = [k, &n, m = n + 1](int y) {
                auto inner = [=]() { return y; };
                return k + y + m + inner();
            };
            return add(3);
        }
        """, "cpp")
    assert [g.name for g in cfgs] == ["f", "f::<lambda>@L3:15", "f::<lambda>@L3:15::<lambda>@L4:21"]
    outer, lam, inner = (Facts(g) for g in cfgs)
    assert lam.cfg.params == ("y", "k", "n", "m")
    assert ("L3", "L5", "k") in lam.dd() and ("L3", "L5", "m") in lam.dd() and ("L4", "L5", "inner") in lam.dd()
    # the statement that makes the lambda reads its captures and init-captures, not its body
    assert outer.cfg.node(outer.ids["L3"]).uses == ("k", "n")
    assert inner.reaching("L4b", "y") == set()   # a default capture binds nothing at ENTRY


def test_cpp_function_try_block_and_coroutine_return():
    f = facts("int f(int n) try {\n  return g(n);\n} catch (...) {\n  return 0;\n}\n", "f", "cpp")
    assert f.kind("L1b") == "try" and ("L1b", "L3", "exception") in f.edges()
    assert f.kind("L3") == "except" and ("L2", "L3") in f.may_raise()
    assert ("L4", "EXIT", "return") in f.edges()
    co = facts("task<int> f(int n) {\n  co_yield n;\n  co_return n + 1;\n}\n", "f", "cpp")
    assert co.kind("L2") == "yield" and ("L3", "EXIT", "return") in co.edges()


def test_cpp_typeid_of_a_builtin_type_is_not_a_syntax_error():
    from codeforge.graphs import build

    graphs = build("bool f(boost::any a) {\n  return a.type() == typeid(int);\n}\n", "cpp", "pdg")
    assert [g.name for g in graphs] == ["f"]
    assert all(n.kind.value != "error" for n in graphs[0].cfg.nodes)
