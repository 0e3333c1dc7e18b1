"""Prints `make mutate`'s score per module from mutmut's results in mutants/: killed, survived, the rest."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code


def main(root: Path = Path("mutants")) -> int:
    rows = []
    for meta in sorted(root.rglob("*.py.meta")):
        results = json.loads(meta.read_text())["exit_code_by_key"]
        if not results:
            continue
        counts = Counter(status_by_exit_code[code] for code in results.values())
        killed = counts["killed"] + counts["timeout"]
        tested = killed + counts["survived"]
        score = f"{100 * killed / tested:.0f}%" if tested else "-"
        others = ", ".join(
            f"{n} {s}" for s, n in sorted(counts.items()) if s not in ("killed", "timeout", "survived")
        )
        rows.append((str(meta.relative_to(root))[: -len(".meta")], killed, counts["survived"], score, others))
    if not rows:
        print("no mutation results under mutants/: run `make mutate`", file=sys.stderr)
        return 1
    print(f"{'module':40} {'killed':>7} {'survived':>9} {'score':>6}  other")
    for module, killed, survived, score, others in rows:
        print(f"{module:40} {killed:>7} {survived:>9} {score:>6}  {others}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
