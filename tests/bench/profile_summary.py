"""Summarise py-spy raw (collapsed-stack) output: where the operator's CPU time goes.

    python -m tests.bench.profile_summary .cache/bench/profile/operator-main.txt [--top 30]

Prints, as a share of all samples, the functions with the most inclusive time (the function or
anything it called) and the most self time (the function's own code), one per source location.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path


def summarise(text: str) -> tuple[int, Counter[str], Counter[str]]:
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in text.splitlines():
        stack, _, count = line.rstrip().rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        total += samples
        frames = [re.sub(r":\d+\)$", ")", frame) for frame in stack.split(";")]
        for frame in set(frames):
            inclusive[frame] += samples
        own[frames[-1]] += samples
    return total, inclusive, own


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--grep", default="", help="only frames whose text contains this")
    args = parser.parse_args(argv)
    total, inclusive, own = summarise("\n".join(f.read_text() for f in args.files))
    print(f"{total} samples")
    for title, counter in (("inclusive", inclusive), ("self", own)):
        print(f"--- {title}")
        shown = 0
        for frame, samples in counter.most_common():
            if args.grep not in frame:
                continue
            print(f"{100 * samples / max(total, 1):5.1f}%  {frame}")
            shown += 1
            if shown >= args.top:
                break
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
