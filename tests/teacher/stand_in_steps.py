"""Stand-ins for ``llamafactory-cli train`` and ``lm_eval`` in the smoke test on Ray.

The real commands run in ``test_teacher_e2e.py``; here the subject is where and when each
teacher's steps ran. ``train`` writes ``where.json`` (the GPUs Ray gave the job, start and
end times) into the output directory; with ``meet=DIR:N`` it first waits (up to two
minutes) until N trainings have started, each leaving a file in DIR, so trainings that run
side by side overlap however slowly a loaded machine starts them, and trainings that run
one after another do not. ``eval`` writes a results file whose score is read from the
trained "model", so each teacher gets its own score.

    python stand_in_steps.py train [meet=DIR:N] RECIPE key=value ...
    python stand_in_steps.py eval --model M --model_args pretrained=DIR --tasks T --output_path P
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> None:
    if argv[0] == "train":
        values = dict(a.split("=", 1) for a in argv[1:] if "=" in a)
        out = Path(values["output_dir"])
        out.mkdir(parents=True, exist_ok=True)
        started = time.time()
        if "meet" in values:
            place, parties = values["meet"].rsplit(":", 1)
            Path(place).mkdir(parents=True, exist_ok=True)
            (Path(place) / str(os.getpid())).touch()
            deadline = time.monotonic() + 120
            while len(list(Path(place).iterdir())) < int(parties) and time.monotonic() < deadline:
                time.sleep(0.05)
        time.sleep(0.5)
        where = {"cuda": os.environ.get("CUDA_VISIBLE_DEVICES"), "start": started, "end": time.time()}
        (out / "where.json").write_text(json.dumps(where))
        (out / "score").write_text(str(len(values["dataset"]) / 100))
        return
    args = argv[1:]
    out = Path(args[args.index("--output_path") + 1])
    model = dict(kv.split("=", 1) for kv in args[args.index("--model_args") + 1].split(","))["pretrained"]
    tasks = args[args.index("--tasks") + 1].split(",")
    score_file = Path(model) / "score"
    score = float(score_file.read_text()) if score_file.is_file() else 0.1
    out.mkdir(parents=True, exist_ok=True)
    (out / "results_stand_in.json").write_text(
        json.dumps({"results": {t: {"acc,none": score} for t in tasks}})
    )


if __name__ == "__main__":
    main(sys.argv[1:])
