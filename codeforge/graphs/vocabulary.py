"""The closed vocabularies of the graphs: languages, graph kinds, node kinds, edge kinds and their one-letter
codes in the text form, and the output formats of the graphs commands.

Every node and edge that codeforge.graphs produces carries one of these values; the JSON export writes their
`.value`. AST graphs are the exception by design: an AST node's kind is the tree-sitter node type, which is
closed by the grammar of its language (tree-sitter-python, -go, -c, -cpp), not by this module.
"""

from __future__ import annotations

from enum import Enum

from ..vocabulary import Language  # noqa: F401  (the graphs' languages: every Language)


class GraphKind(str, Enum):
    ast = "ast"
    cfg = "cfg"
    cdg = "cdg"
    dfg = "dfg"
    pdg = "pdg"


class GraphChoice(str, Enum):
    """Graph text in training rows and feedback prompts (codeforge.graphs.prompt_text): none, a kind, or the
    shuffled control arm (PDG text with each program's edges rewired at random)."""

    none = "none"
    ast = "ast"
    cfg = "cfg"
    cdg = "cdg"
    dfg = "dfg"
    pdg = "pdg"
    shuffled = "shuffled"


class ScopeKind(str, Enum):
    """What a graph is built for: each has its own ENTRY and EXIT."""

    module = "module"
    function = "function"
    class_body = "class"
    lambda_ = "lambda"


class NodeKind(str, Enum):
    ENTRY = "entry"
    EXIT = "exit"
    STATEMENT = "statement"          # a simple statement: assignment, call, import, pass, ...
    CONDITION = "condition"          # if / elif / while / C and Go loop conditions: true and false edges
    LOOP_ITER = "loop_iter"          # Python `for`, Go `range`, C++ range-for: the iterable, evaluated once
    LOOP_NEXT = "loop_next"          # the same loops: take the next item and bind the target
    LOOP_INIT = "loop_init"          # C / C++ / Go three-clause `for`: the init clause
    LOOP_UPDATE = "loop_update"      # C / C++ / Go three-clause `for`: the update clause
    TRY = "try"                      # a branch: normal flow into the body, exceptional flow to the handlers
    EXCEPT = "except"                # one `except` / `catch` clause: does the exception match (and bind it)
    FINALLY = "finally"              # synthetic: entry of the copy of a `finally` body for one kind of exit
    WITH = "with"                    # evaluate the context managers, call __enter__, bind the targets
    WITH_EXIT = "with_exit"          # synthetic: call __exit__ (once per kind of exit)
    UNBIND = "unbind"                # synthetic: the implicit `del e` at the end of `except E as e`
    MATCH = "match"                  # `match` subject, C / C++ / Go `switch` tag, Go `select`
    CASE = "case"                    # one case pattern (Python) or case label (Go, C, C++)
    GUARD = "guard"                  # a `case ... if guard`
    ASSERT = "assert"
    RETURN = "return"
    RAISE = "raise"                  # Python `raise`, Go `panic(...)`, C++ `throw`
    JUMP = "jump"                    # break, continue, goto, fallthrough
    LABEL = "label"                  # Go / C / C++ labelled statement
    DEFER = "defer"                  # Go `defer`: registers the call; the call itself runs at return
    YIELD = "yield"                  # a statement with a `yield` or C++ `co_yield` (a suspension point)
    AWAIT = "await"                  # a statement with an `await` (a suspension point)
    DEFINITION = "definition"        # Python def / class / lambda as a binding in the enclosing graph
    ERROR = "error"                  # source tree-sitter could not parse (only with allow_errors)


SYNTHETIC_NODE_KINDS = frozenset({NodeKind.ENTRY, NodeKind.EXIT, NodeKind.FINALLY, NodeKind.WITH_EXIT,
                                  NodeKind.UNBIND})


class EdgeKind(str, Enum):
    # control flow
    NEXT = "next"
    TRUE = "true"
    FALSE = "false"
    LOOP_BACK = "loop_back"
    BREAK = "break"
    CONTINUE = "continue"
    RETURN = "return"
    RAISE = "raise"                  # an explicit raise / throw / failed assert / panic, to its handler or EXIT
    EXCEPTION = "exception"          # a `try` / `with` / `except ... as` header branching to exceptional flow
    MAY_RAISE = "may_raise"          # implicit: a statement inside a protected region may raise
    CASE_MATCH = "case_match"
    CASE_FAIL = "case_fail"
    SUPPRESS = "suppress"            # a context manager's __exit__ swallowed the exception
    GOTO = "goto"
    FALLTHROUGH = "fallthrough"
    NO_EXIT = "no_exit"              # synthetic: a loop that never exits, linked to EXIT for post-dominance
    # dependence
    DATA = "data"                    # def -> use, with the variable
    # syntax
    CHILD = "child"


CONTROL_EDGE_KINDS = frozenset(EdgeKind) - {EdgeKind.DATA, EdgeKind.CHILD}


# The one-letter code of an edge in the text and table forms (codeforge.graphs.text); `next` has none, and
# `may_raise` and `no_exit` edges are left out of those forms.
EDGE_CODES = {EdgeKind.NEXT: "", EdgeKind.TRUE: "T", EdgeKind.FALSE: "F", EdgeKind.LOOP_BACK: "L",
              EdgeKind.BREAK: "B", EdgeKind.CONTINUE: "C", EdgeKind.RETURN: "R", EdgeKind.RAISE: "X",
              EdgeKind.EXCEPTION: "E", EdgeKind.CASE_MATCH: "M", EdgeKind.CASE_FAIL: "N", EdgeKind.SUPPRESS: "S",
              EdgeKind.GOTO: "G", EdgeKind.FALLTHROUGH: "D"}

# How to read the text and table forms; `graphs show --help` and the README print it. No square brackets:
# command help is rich markup.
LEGEND = """\
How to read the text and table forms: one line per statement.
  L12            the node that starts on line 12; L12a, L12b, ... when several start on one line, in the
                 order they run. ENTRY and EXIT are the function's own; a function's ENTRY carries its
                 def line (L4), where its parameters are defined.
  cf:L13,L15F    control flow successors (cfg)
  cd:L11T        control dependences: runs when L11 takes its true branch (cdg, pdg)
  dd:x@L9        data dependence: reads the x defined at L9 (dfg, pdg)
  !error         source that does not parse (with --allow-errors)
Edge codes, the letter after a label: T true, F false, L loop back, B break, C continue, R return,
X raise, E exception, M case match, N case fail, S suppress, G goto, D fallthrough; none: next.
So L3bL is a loop back to the second node of line 3, L5cC a continue to the third node of line 5, EXITR a
return, L20M a case that matches, entering line 20."""


class ShowFormat(str, Enum):
    """How `graphs show` prints the graphs."""

    table = "table"  # one rich table per function, for the terminal
    text = "text"  # the linearised form (codeforge.graphs.text), with each statement's code
    json = "json"  # the graph JSON (codeforge.graphs.export)
    dot = "dot"  # Graphviz


class RowFormat(str, Enum):
    """What `graphs build` writes per task."""

    sft = "sft"  # one training row: prompt, graph, solution
    qa = "qa"  # that row, then question / answer rows about the graph
