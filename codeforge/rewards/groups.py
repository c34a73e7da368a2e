"""Groups of completions: GRPO learns from the differences inside each group of completions of one prompt, so
a group whose rewards are all equal gives it nothing."""

from __future__ import annotations

from typing import Optional, Sequence


def check_group_size(count: int, group_size: int) -> None:
    """ValueError naming the sizes that work, unless `group_size` divides `count` completions into whole groups."""
    if group_size < 1 or count % group_size:
        sizes = ", ".join(str(size) for size in range(1, count + 1) if count % size == 0)
        # untranslated: API check; codeforge finetune catches it and says it in its own words
        raise ValueError(f"a group size of {group_size} does not divide {count} completions into whole groups: "
                         f"use one of {sizes}")


def zero_variance_share(rewards: Sequence[Optional[float]], group_size: int) -> float:
    """The share of groups whose rewards are all equal (they give GRPO no gradient). Groups are consecutive
    runs of `group_size` rewards, as trl orders a step's completions (each prompt's completions together).
    Completions without a reward (None) are left out; a group with fewer than two rewards counts as equal."""
    check_group_size(len(rewards), group_size)
    if not rewards:
        return 0.0
    groups = [rewards[start:start + group_size] for start in range(0, len(rewards), group_size)]
    flat = sum(1 for group in groups if len({r for r in group if r is not None}) < 2)
    return flat / len(groups)
