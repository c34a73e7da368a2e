"""Hand-written expected edges for Go and C control flow (and a little data flow)."""

from __future__ import annotations

from graph_helpers import facts


def go(body: str, params: str = "n int"):
    return facts(f"package main\nfunc f({params}) int {{\n{body}\n}}\n", "f", "go")


def c(body: str, params: str = "int n"):
    return facts(f"int f({params}) {{\n{body}\n}}\n", "f", "c")


# ---- Go -----------------------------------------------------------------------------------------------------

def test_go_if_with_initializer_and_else():
    f = go("\tif x := n * 2; x > 3 {\n\t\treturn x\n\t} else {\n\t\treturn 0\n\t}")
    assert ("L3a", "L3b", "next") in f.edges() and ("L3b", "L4", "true") in f.edges()
    assert ("L3b", "L6", "false") in f.edges() and ("L3a", "L4", "x") in f.dd()


def test_go_three_clause_for_continue_goes_to_update():
    f = go("\tfor i := 0; i < n; i++ {\n\t\tif i == 2 {\n\t\t\tcontinue\n\t\t}\n\t\tn--\n\t}\n\treturn n")
    kinds = {f.kind(l): l for l in f.ids}
    update = kinds["loop_update"]
    assert ("L5", update, "continue") in f.edges() and (update, "L3b", "next") in f.edges()
    assert ("L3b", "L9", "false") in f.edges()


def test_go_endless_for_has_no_false_edge():
    f = go("\tfor {\n\t\tn++\n\t}")
    assert not any(k == "false" for _, _, k in f.edges())
    assert ("L3", "EXIT", "no_exit") in f.edges(hidden=())


def test_go_range_binds_key_and_value_on_true():
    f = go("\ts := 0\n\tfor _, v := range xs {\n\t\ts += v\n\t}\n\treturn s", "xs []int")
    assert f.kind("L4a") == "loop_iter" and f.kind("L4b") == "loop_next"
    assert ("L4b", "L5", "v") in f.dd() and f.reaching("L7", "s") == {"L3", "L5"}


def test_go_switch_default_last_and_fallthrough():
    f = go("\tswitch n {\n\tdefault:\n\t\tn = 9\n\tcase 1:\n\t\tn = 2\n\t\tfallthrough\n\tcase 2:\n\t\tn = 3\n\t}\n"
           "\treturn n")
    edges = f.edges()
    assert ("L3", "L6", "next") in edges and ("L6", "L7", "case_match") in edges
    assert ("L6", "L9", "case_fail") in edges and ("L9", "L10", "case_match") in edges
    assert ("L9", "L5", "case_fail") in edges   # default runs when every case fails, wherever it is written
    assert ("L8", "L10", "fallthrough") in edges
    assert f.reaching("L12", "n") == {"L5", "L10"}


def test_go_type_switch_binds_alias_on_match():
    f = go("\tswitch v := x.(type) {\n\tcase int:\n\t\treturn v\n\t}\n\treturn 0", "x interface{}")
    assert ("L4", "L5", "v") in f.dd() and ("L4", "L7", "case_fail") in f.edges()


def test_go_select_without_default_blocks():
    f = go("\tselect {\n\tcase m := <-ch:\n\t\treturn m\n\tcase <-done:\n\t\treturn 0\n\t}", "ch, done chan int")
    assert ("L4", "L5", "m") in f.dd()
    assert ("L4", "L6", "case_fail") in f.edges()
    assert not any(u == "L6" and k == "case_fail" for u, _, k in f.edges())


def test_go_labelled_break_and_goto():
    f = go("outer:\n\tfor {\n\t\tfor {\n\t\t\tbreak outer\n\t\t}\n\t}\nagain:\n\tn--\n\tif n > 0 {\n\t\tgoto again\n\t}\n"
           "\treturn n")
    assert ("L6", "L9", "break") in f.edges()
    assert ("L12", "L9", "goto") in f.edges()


def test_go_panic_is_raise_to_exit_and_defer_is_a_node():
    f = go("\tdefer cleanup()\n\tif n < 0 {\n\t\tpanic(\"negative\")\n\t}\n\treturn n")
    assert f.kind("L3") == "defer" and f.kind("L5") == "raise"
    assert ("L5", "EXIT", "raise") in f.edges() and ("L4", "L5", "true") in f.cd()


def test_go_method_named_by_receiver_and_params_defined_at_entry():
    f = facts("package main\ntype T struct{}\nfunc (t *T) M(a int) int {\n\treturn a\n}\n", "T.M", "go")
    assert ("L3", "L4", "a") in f.dd()


# ---- C ------------------------------------------------------------------------------------------------------

def test_c_if_else_if_else():
    f = c("  if (n > 0) return 1;\n  else if (n < 0) return -1;\n  else return 0;")
    assert ("L2", "L2", "true") not in f.edges()
    assert ("L2a", "L2b", "true") in f.edges() and ("L2a", "L3a", "false") in f.edges()
    assert ("L3a", "L4", "false") in f.edges()


def test_c_for_with_declaration_continue_and_break():
    f = c("  int s = 0;\n  for (int i = 0; i < n; i++) {\n    if (i == 3) continue;\n    if (i == 7) break;\n"
          "    s += i;\n  }\n  return s;")
    update = next(l for l in f.ids if f.kind(l) == "loop_update")
    assert ("L4b", update, "continue") in f.edges() and ("L5b", "L8", "break") in f.edges()
    assert f.reaching("L8", "s") == {"L2", "L6"}


def test_c_while_loop_back_and_false_exit():
    f = c("  while (n > 1) n /= 2;\n  return n;")
    assert ("L2a", "L2b", "true") in f.edges() and ("L2b", "L2a", "loop_back") in f.edges()
    assert ("L2a", "L3", "false") in f.edges() and ("L2b", "L2b", "n") in f.dd()


def test_c_do_while_runs_body_first():
    f = c("  do {\n    n--;\n  } while (n > 0);\n  return n;")
    test = next(l for l in f.ids if f.kind(l) == "condition")
    assert ("L1", "L3", "next") in f.edges()
    assert ("L3", test, "next") in f.edges() and (test, "L3", "true") in f.edges()
    assert (test, "L5", "false") in f.edges()


def test_c_switch_fall_through_and_default():
    f = c("  int r = 0;\n  switch (n) {\n  case 1: r = 1;\n  case 2: r = 2; break;\n  default: r = 3;\n  }\n  return r;")
    edges = f.edges()
    assert ("L4a", "L5a", "case_fail") in edges and ("L5a", "L6", "case_fail") in edges
    assert ("L4b", "L5b", "fallthrough") in edges
    assert ("L5c", "L8", "break") in edges
    assert f.reaching("L8", "r") == {"L5b", "L6"}


def test_c_switch_without_default_can_skip_all_cases():
    f = c("  switch (n) {\n  case 1: n = 5; break;\n  }\n  return n;")
    assert ("L3a", "L5", "case_fail") in f.edges()
    assert f.reaching("L5", "n") == {"L1", "L3b"}


def test_c_goto_backwards_forms_a_loop():
    f = c("again:\n  n--;\n  if (n > 0) goto again;\n  return n;")
    assert ("L4b", "L2", "goto") in f.edges() and ("L2", "L3", "next") in f.edges()
    assert ("L4a", "L4b", "true") in f.cd()


def test_c_endless_for_gets_no_exit_edge():
    f = c("  for (;;) n++;")
    assert ("L2a", "EXIT", "no_exit") in f.edges(hidden=()) or any(
        k == "no_exit" for _, _, k in f.edges(hidden=()))
    assert not any(k == "false" for _, _, k in f.edges())


def test_c_pointer_and_field_stores_read_base_only():
    f = c("  int *p = &n;\n  *p = 3;\n  return n;")
    assert f.reaching("L4", "n") == {"L1"} and ("L2", "L3", "p") in f.dd()


def test_c_code_after_return_is_unreachable():
    cfg = c("  return n;\n  n++;").cfg
    assert [n.text for n in cfg.unreachable] == ["n++;"]


def test_c_compound_assignment_uses_and_defines():
    f = c("  int s = 1;\n  s *= n;\n  return s;")
    assert f.dd() == {("L2", "L3", "s"), ("L1", "L3", "n"), ("L3", "L4", "s")}
