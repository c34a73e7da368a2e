"""Training rows: `{"prompt", "completion", "kind", "task_id", "source"}`, text that trl's SFTTrainer trains on
with the loss on the completion only.

Prompts are built exactly as `codeforge bench` builds them for the same model (codeforge.models.prompts), so
an adapter is benchmarked on the format it learned:
- chat models: the chat template of the evalplus instruction, then the prefill that opens the answer's code
  block; the completion is the program, the closing fence and the end-of-turn token.
- base models: the task's prompt; the completion is what follows it in the program (the whole program when
  the prompt does not open the function, as MBPP's), then the end-of-text token.

Graph formats (`--graph KIND --graph-format qa|plan`):
- qa: beside the code rows, question/answer rows about each training program's graph (which definitions reach
  a line, which conditions decide whether a line runs, which lines can run next), answered from the graph
  (codeforge.graphs.text.question_answers). Bench prompts carry no graph.
- plan: the completion first writes the program's graph text as comments (`# PDG of the solution ...` then one
  comment line per statement, line numbers those of the program without the comments), then the code.
- shuffled: PDG text whose edges are rewired at random per program (same nodes, same edge count and kinds),
  and QA answers moved to other questions of the same program: the same rows and tokens with the structure
  taken out, the control arm.

Feedback rows: the prompt bench builds for another round (the task, the failed program, what went wrong),
the completion the fixed program. With a graph kind, the failed program's graph text follows the feedback.

Preference rows (`--method dpo`): `{"prompt", "chosen", "rejected", ...}`, the prompt and both answers written
as a code row (round 0) or a feedback row (a chain round) writes them, the feedback as bench showed it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

from ..graphs.prompt_text import (GraphChoice, feedback_with_graph, functions, graph_heading, graph_kind,
                                  graph_text)
from ..graphs.text import question_answers
from ..i18n import _
from ..models.prompts import COMMENT, FENCE_TAGS, base_feedback_prompt, chat_feedback_prompt, chat_prompt
from .config import GraphFormat
from .pairs import Preference
from .sources import Pair, Program, Repair


class RowKind:
    code = "code"
    plan = "plan"
    qa = "qa"
    feedback = "feedback"
    pair = "pair"
    preference = "preference"  # passing vs failing answer to the task's prompt
    feedback_preference = "feedback_preference"  # passing vs failing answer to a feedback prompt


@dataclass(frozen=True)
class Format:
    """How this model is prompted: `render` turns chat messages into the prompt text with the generation
    prompt added (the tokenizer's chat template); None for a base model."""

    render: Optional[Callable[[list], str]]
    eos: str

    @property
    def chat(self) -> bool:
        return self.render is not None


def _commented(text: str, mark: str, indent: str = "") -> str:
    return "".join(f"{indent}{mark} {line}".rstrip() + "\n" for line in text.splitlines())


def _lang(task) -> str:
    return task.language.value


def _with_newline(text: str) -> str:
    return text if text.endswith("\n") else text + "\n"


def _base_completion(task, code: str) -> tuple[str, bool]:
    """What a base model writes after the task's prompt to give `code`, and whether that continues a function
    the prompt opened (else it is the whole program)."""
    if task.prompt_opens_function and task.prompt.strip():
        at = code.find(task.prompt)
        if at >= 0:
            return code[at + len(task.prompt):], True
    opened = _opened(task)
    if opened and code.startswith(opened):
        return code[len(opened):], True
    return code, False


def _opened(task) -> str:
    """The start of the code that a prompt of a whole program gives beside the prompt itself (a test file's
    header, which a go-unittest prompt ends with); "" for every other task."""
    opened = task.code_from_completion("")
    if task.prompt_opens_function or not opened or opened == task.prompt or not task.prompt.endswith(opened):
        return ""
    return opened


def _base_row(task, prompt: str, code: str) -> tuple[str, str, bool]:
    """(prompt, completion, whether it continues a function the prompt opened) for a base model: when the code
    does not start as the prompt's end does (a reference test written its own way), the prompt stops before that
    opened start and the completion is the whole code."""
    body, opens = _base_completion(task, code)
    opened = _opened(task)
    if opened and not opens and prompt.endswith(opened):
        return prompt[:-len(opened)], code, False
    return prompt, body, opens


def _body_indent(completion: str) -> str:
    for line in completion.splitlines():
        if line.strip():
            return line[:len(line) - len(line.lstrip())]
    return "    "


def code_row(program: Program, fmt: Format, plan: str = "") -> dict:
    task, lang = program.task, _lang(program.task)
    mark = COMMENT[lang]
    if fmt.chat:
        messages, prefill = chat_prompt(task.prompt, lang, task.ask())
        prompt = fmt.render(list(messages)) + prefill
        completion = _commented(plan, mark) + _with_newline(program.code) + "```" + fmt.eos
    else:
        prompt, body, opens = _base_row(task, task.prompt, program.code)
        completion = (_commented(plan, mark, _body_indent(body) if opens else "") + body + fmt.eos)
    return {"prompt": prompt, "completion": completion, "kind": RowKind.plan if plan else RowKind.code,
            "task_id": task.task_id, "source": program.source}


def qa_rows(program: Program, fmt: Format, choice: GraphChoice, seed: int) -> list[dict]:
    """Every question about the program's graph, with the graph's answer (moved to another question of the
    same program for `shuffled`)."""
    kind, lang = graph_kind(choice), _lang(program.task)
    pairs = [qa for f in functions(program.code, lang, kind) if f.cfg is not None
             for qa in question_answers(f.cfg, kind)]
    if choice is GraphChoice.shuffled and len(pairs) > 1:
        answers = [a for _question, a in pairs]
        random.Random(f"{seed}:{program.code}").shuffle(answers)
        pairs = [(q, a) for (q, _answer), a in zip(pairs, answers)]
    mark, tag = COMMENT[lang], FENCE_TAGS[lang]
    rows = []
    for question, answer in pairs:
        if fmt.chat:
            prompt = fmt.render([{"role": "user", "content": f"```{tag}\n{_with_newline(program.code)}```\n"
                                                            f"{question} (line numbers as in the program)"}])
            completion = answer + fmt.eos
        else:
            prompt = f"{_with_newline(program.code)}{mark} Question: {question}\n{mark} Answer:"
            completion = f" {answer}\n" + fmt.eos
        rows.append({"prompt": prompt, "completion": completion, "kind": RowKind.qa,
                     "task_id": program.task.task_id, "source": program.source})
    return rows


def feedback_row(repair: Repair, fmt: Format, choice: GraphChoice, seed: int) -> dict:
    task, lang = repair.task, _lang(repair.task)
    feedback = feedback_with_graph(repair.feedback, repair.failed, lang, choice, seed)
    if fmt.chat:
        messages, prefill = chat_feedback_prompt(task.prompt, lang, repair.failed, feedback, task.ask())
        prompt = fmt.render(list(messages)) + prefill
        completion = _with_newline(repair.fixed) + "```" + fmt.eos
    else:
        prompt, completion, _unused = _base_row(task, base_feedback_prompt(task.prompt, lang, repair.failed, feedback),
                                          repair.fixed)
        completion += fmt.eos
    return {"prompt": prompt, "completion": completion, "kind": RowKind.feedback, "task_id": task.task_id,
            "source": repair.source}


def pair_row(pair: Pair, fmt: Format) -> dict:
    if pair.messages:
        if not fmt.chat:
            raise ValueError(_("{source} line {line}: chat messages need a model with a chat template (this one "
                               "has none, or --base-only is set)").format(source=pair.source, line=pair.line))
        prompt = fmt.render(list(pair.messages))
    elif pair.asked and fmt.chat:  # a text task, asked as bench asks it
        prompt = fmt.render([{"role": "user", "content": pair.prompt}])
    else:
        prompt = pair.prompt
    return {"prompt": prompt, "completion": pair.completion + fmt.eos, "kind": RowKind.pair,
            "task_id": pair.task_id, "source": pair.source}


def preference_row(preference: Preference, fmt: Format) -> dict:
    p = preference
    if p.round == 0:
        chosen, rejected = (code_row(Program(p.task, code, p.source), fmt) for code in (p.chosen, p.rejected))
        kind = RowKind.preference
    else:  # the feedback is used as stored: any graph text bench added is in it already
        chosen, rejected = (feedback_row(Repair(p.task, p.failed, p.feedback, code, p.source), fmt,
                                         GraphChoice.none, 0) for code in (p.chosen, p.rejected))
        kind = RowKind.feedback_preference
    return {"prompt": chosen["prompt"], "chosen": chosen["completion"], "rejected": rejected["completion"],
            "kind": kind, "task_id": p.task.task_id, "source": p.source, "round": p.round}


@dataclass
class Built:
    rows: list[dict]
    skipped: list[tuple[str, str]]  # (task_id, why) of programs whose graph could not be built


def build_rows(programs: Sequence[Program], pairs: Sequence[Pair], repairs: Sequence[Repair], fmt: Format, *,
               graph: GraphChoice = GraphChoice.none, graph_format: GraphFormat = GraphFormat.qa,
               graph_ratio: float = 1.0, seed: int = 0) -> Built:
    """Every training row, in a fixed order (the trainer shuffles with its seed)."""
    rows, qa, skipped = [], [], []
    kind = graph_kind(graph)
    for program in programs:
        plan = ""
        if kind is not None:
            try:
                if graph_format is GraphFormat.plan:
                    plan = f"{graph_heading(graph)}\n{graph_text(program.code, _lang(program.task), graph, seed)}"
                else:
                    qa.extend(qa_rows(program, fmt, graph, seed))
            except Exception as exc:  # one program that cannot be graphed never stops the others
                skipped.append((program.task.task_id, f"{type(exc).__name__}: {exc}"))
                continue
        rows.append(code_row(program, fmt, plan))
    if qa:
        wanted = min(len(qa), round(graph_ratio * len(rows)))
        chosen = sorted(random.Random(seed).sample(range(len(qa)), wanted))
        rows.extend(qa[i] for i in chosen)
    rows.extend(feedback_row(r, fmt, graph, seed) for r in repairs)
    rows.extend(pair_row(p, fmt) for p in pairs)
    return Built(rows, skipped)
