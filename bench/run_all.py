"""Run every benchmark (`make bench`), print one table and write the figures to docs/PERFORMANCE.md.

Each benchmark runs as its own process against one PostgreSQL database
(`ptrx_bench`, created here and dropped at the end), so the population built by
the reminder benchmark is reused by the nightly one. The figures go between the
markers of docs/PERFORMANCE.md's "Figures" section; the rest of that file (the
method and the analysis) is written by hand.

Environment: BENCH_SECONDS (API seconds per endpoint, default 30), BENCH_RUNS
(repetitions, default 3), BENCH_PATIENTS (default 100000), BENCH_NO_DOC=1 to leave
docs/PERFORMANCE.md alone (trial runs). The results are kept in var/bench/results/;
`bench/run_all.py --doc-only` writes the figures again from them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import common

BENCHMARKS = ("plan_generation", "api_throughput", "reminder_sweep", "nightly")
DOC = common.ROOT / "docs" / "PERFORMANCE.md"
START_MARK = "<!-- bench:figures:start (written by bench/run_all.py) -->"
END_MARK = "<!-- bench:figures:end -->"
BUDGET_S = 600


def machine() -> dict[str, str]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = "unknown"
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=common.ROOT, capture_output=True, text=True, check=False,
    ).stdout.strip()  # fmt: skip
    wrk = shutil.which("wrk")
    wrk_version = (
        subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False).stdout.split("\n")[0]
        if wrk
        else "not installed"
    )
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": common.git_commit() + (" + uncommitted changes" if dirty else ""),
        "cpus": str(os.cpu_count()),
        "cpu": cpu,
        "memory": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
        "wrk": wrk_version.strip(),
        "load_before": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
    }


def service_versions() -> dict[str, str]:
    import psycopg
    import redis

    with psycopg.connect(f"{common.PG_SERVER}/postgres") as conn:
        row = conn.execute("SHOW server_version").fetchone()
        postgres = row[0] if row else "?"
    info = redis.Redis.from_url(common.REDIS_URL).info("server")
    return {"postgresql": str(postgres), "redis": str(info.get("redis_version", "?"))}


def run(name: str, env: dict[str, str]) -> tuple[int, float]:
    print(f"\n=== {name} " + "=" * (60 - len(name)), flush=True)
    began = time.perf_counter()
    done = subprocess.run([common.PYTHON, str(common.BENCH_DIR / f"{name}.py")], env=env, check=False)
    took = time.perf_counter() - began
    print(f"=== {name}: {took:.0f} s, exit {done.returncode}", flush=True)
    return done.returncode, took


def _f(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}"


def rows_of(results: dict[str, Any]) -> list[list[str]]:
    """measure, value, baseline / ratio, target, status."""
    rows: list[list[str]] = []
    api = results.get("api_throughput")
    if api:
        endpoints = api["endpoints"]
        for name, label in (
            ("django", "bare Django view + token (baseline)"),
            ("drf", "bare DRF APIView + token (baseline)"),
            ("today", "GET me/today/"),
            ("plan", "GET me/plans/{id}/ (20 prescriptions)"),
            ("completion", "POST me/completions/ (201 each)"),
        ):
            row = endpoints[name]
            ratio_target = {"today": ">= 0.5 x DRF", "plan": ">= 0.4 x DRF"}.get(name, "")
            p99_target = "p99 < 50 ms" if name in ("today", "plan", "completion") else ""
            statuses = [
                api["targets"][key]["status"]
                for key in (f"{name}_ratio", f"{name}_p99_ms")
                if key in api["targets"]
            ]
            rows.append(
                [
                    f"API {label}",
                    f"{row['rps']:.0f} req/s, p50 {row['p50_ms']:.1f} ms, p99 {row['p99_ms']:.1f} ms",
                    f"{row['ratio_to_drf']:.2f} x bare DRF",
                    ", ".join(t for t in (ratio_target, p99_target) if t),
                    ", ".join(statuses),
                ]
            )
    sweep = results.get("reminder_sweep")
    if sweep:
        for size in ("small", "large"):
            row = sweep["dispatch"][size]
            rows.append(
                [
                    f"Reminder dispatch, {row['patients']:,} patients",
                    f"{row['seconds']:.2f} s, {row['created']:,} reminders inserted",
                    f"{row['queries']} queries = {row['queries_per_1000_patients']:.1f} per 1,000 patients",
                    "< 10 s at 100,000" if size == "large" else "",
                    sweep["targets"]["dispatch_seconds"]["status"] if size == "large" else "",
                ]
            )
        delivery = sweep["delivery"]
        rows.append(
            [
                f"Reminder delivery, Redis + {delivery['worker_processes']}-process worker",
                f"{delivery['per_s']:.0f} reminders/s ({delivery['reminders']:,} per run)",
                "",
                ">= 1,000/s",
                sweep["targets"]["delivery_per_s"]["status"],
            ]
        )
    generation = results.get("plan_generation")
    if generation:
        pure, persisted = generation["pure"], generation["persisted"]
        rows.append(
            [
                "Plan generation, pure generator",
                f"{pure['per_plan_ms']:.2f} ms per plan (slowest {pure['slowest_context_ms']:.2f} ms)",
                f"library + protocols load {pure['load_library_and_protocols_ms']:.1f} ms",
                "< 5 ms",
                generation["targets"]["pure_per_plan_ms"]["status"],
            ]
        )
        rows.append(
            [
                "Plan generation, persisted (plan_generate)",
                f"{persisted['plans_per_s']:.0f} plans/s ({persisted['ms_per_plan']:.1f} ms each)",
                f"{persisted['queries_per_plan']:.1f} queries per plan",
                ">= 200/s",
                generation["targets"]["persisted_plans_per_s"]["status"],
            ]
        )
    nightly = results.get("nightly")
    if nightly:
        sample = nightly["sample"]
        rows.append(
            [
                f"Nightly, {sample['plans']:,}-plan sample",
                f"snapshot {sample['snapshot_seconds']:.1f} s + progression "
                f"{sample['progression_seconds']:.1f} s = {sample['total_seconds']:.1f} s",
                f"{sample['snapshot_queries_per_plan']:.1f} + {sample['progression_queries_per_plan']:.1f}"
                " queries per plan",
                "",
                "",
            ]
        )
        selectors = nightly.get("adherence_selectors")
        if selectors:
            rows.append(
                [
                    f"Adherence read, {selectors['plans']:,} plans x 14 days",
                    f"{selectors['one_by_one_ms_per_plan']:.2f} ms per plan one by one",
                    f"batched selector {selectors['batched_ms_per_plan']:.2f} ms per plan",
                    "",
                    "",
                ]
            )
        full = nightly.get("full")
        target = nightly["targets"]["nightly_seconds"]
        plans = nightly["population"]
        rows.append(
            [
                f"Nightly, {plans:,} plans",
                (f"{full['total_seconds']:.1f} s measured" if full else
                 f"{nightly['projected_full_seconds']:.0f} s projected from the sample (not run)"),
                "",
                "< 60 s",
                target["status"],
            ]
        )  # fmt: skip
    return rows


def markdown_table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += [
        "| " + " | ".join(cell.replace("|", "\\|").replace("<", "&lt;") for cell in row) + " |"
        for row in rows
    ]
    return "\n".join(lines)


def figures_markdown(info: dict[str, str], results: dict[str, Any], took: dict[str, float]) -> str:
    out = [
        START_MARK,
        "",
        f"One `make bench` run on {info['date']}, commit `{info['commit']}`.",
        "",
        markdown_table(
            ["machine", ""],
            [
                ["CPUs (nproc)", info["cpus"]],
                ["CPU", info["cpu"]],
                ["memory", info["memory"]],
                ["OS", info["os"]],
                ["Python", info["python"]],
                ["PostgreSQL / Redis", f"{info.get('postgresql', '?')} / {info.get('redis', '?')}"],
                ["load generator", info["wrk"]],
                ["load average before the run", info["load_before"]],
                ["run time", " + ".join(f"{name} {seconds:.0f} s" for name, seconds in took.items())],
            ],
        ),
        "",
        markdown_table(
            ["measure", "median", "baseline / ratio / queries", "target", "status"], rows_of(results)
        ),
        "",
    ]
    api = results.get("api_throughput")
    if api:
        out += [
            "API rounds (req/s of each round, in order; the table gives the median):",
            "",
            markdown_table(
                ["endpoint", "rounds req/s", "rounds p99 ms", "requests", "errors"],
                [
                    [name, ", ".join(f"{run['rps']:.0f}" for run in row["runs"]),
                     ", ".join(f"{run['p99_us'] / 1000:.1f}" for run in row["runs"]),
                     f"{row['requests']:,}", str(row["errors"])]
                    for name, row in api["endpoints"].items()
                ],
            ),
            "",
        ]  # fmt: skip
    spied = (api or {}).get("py_spy") or {}
    if spied:
        endpoints = [name for name in ("drf", "today", "plan", "completion") if name in spied]
        shares = {name: {frame: share for share, frame in spied[name]} for name in endpoints}
        frames = [frame for frame in common.SPY_FRAMES.values() if any(frame in shares[n] for n in endpoints)]
        own = sorted(
            {
                frame
                for name in endpoints
                for frame in shares[name]
                if frame not in common.SPY_FRAMES.values()
            },
            key=lambda frame: -max(shares[name].get(frame, 0) for name in endpoints),
        )[:12]
        out += [
            "Where the gunicorn workers' time goes under load (py-spy, 200 samples/s for 5 s per worker;"
            " inclusive share of the samples):",
            "",
            markdown_table(
                ["frame", *endpoints],
                [
                    [frame.replace("(ptrx/", "(").replace("(bench/", "("),
                     *(f"{shares[name].get(frame, 0):.1f}%" for name in endpoints)]
                    for frame in [*frames, *own]
                ],
            ),
            "",
        ]  # fmt: skip
    profiles = [
        (name, title, text)
        for name, result in results.items()
        for title, text in sorted(result.get("profiles", {}).items())
    ]
    if profiles:
        out += [
            "Profiles of this run (pyinstrument, top of the call tree; full text in var/bench/profiles/):",
            "",
        ]
        for name, title, text in profiles:
            body = text["profile"] if isinstance(text, dict) else text
            lines = [line for line in body.splitlines() if line.strip()][4:40]
            out += [
                f"<details><summary>{name}: {title}</summary>",
                "",
                "```",
                *lines,
                "```",
                "",
                "</details>",
                "",
            ]
    out.append(END_MARK)
    return "\n".join(out)


def write_doc(figures: str) -> None:
    if DOC.exists() and START_MARK in (text := DOC.read_text(encoding="utf-8")) and END_MARK in text:
        before, rest = text.split(START_MARK, 1)
        _old, after = rest.split(END_MARK, 1)
        DOC.write_text(before + figures + after, encoding="utf-8")
    else:
        DOC.parent.mkdir(parents=True, exist_ok=True)
        DOC.write_text(
            "# Performance\n\nMethod: bench/*.py (`make bench`). Analysis: to be written.\n\n"
            f"## Figures\n\n{figures}\n",
            encoding="utf-8",
        )
    print(f"\nwrote {DOC.relative_to(common.ROOT)}")


SAVED = common.WORK_DIR / "results"


def load_results(folder: Path) -> dict[str, Any]:
    return {
        name: json.loads((folder / f"{name}.json").read_text())
        for name in BENCHMARKS
        if (folder / f"{name}.json").exists()
    }


def main() -> None:
    if "--doc-only" in sys.argv[1:]:
        # Rewrite the figures from the last run's saved results (var/bench/results/).
        saved = json.loads((SAVED / "run.json").read_text())
        write_doc(figures_markdown(saved["info"], load_results(SAVED), saved["took"]))
        return
    began = time.perf_counter()
    common.require_services()
    info = {**machine(), **service_versions()}
    missing_wrk = shutil.which("wrk") is None
    results_dir = Path(tempfile.mkdtemp(prefix="ptrx-bench-"))
    env = {
        **os.environ,
        "BENCH_KEEP_DB": "1",
        "BENCH_RESULTS_DIR": str(results_dir),
        # The nightly benchmark runs the whole population only if it fits before this.
        "BENCH_DEADLINE": str(time.time() + BUDGET_S - 30),
    }
    common.configure()
    common.db_drop()
    took: dict[str, float] = {}
    failed = []
    try:
        for name in BENCHMARKS:
            if name == "api_throughput" and missing_wrk:
                print(
                    "\n=== api_throughput: skipped, wrk is not installed. On Debian/Ubuntu: "
                    "`sudo apt-get install -y wrk`; then run `make bench` again.",
                    flush=True,
                )
                failed.append(name)
                continue
            code, took[name] = run(name, env)
            if code:
                failed.append(name)
    finally:
        common.db_drop()
        common.redis_flush()
    results = load_results(results_dir)
    shutil.rmtree(SAVED, ignore_errors=True)
    shutil.copytree(results_dir, SAVED)
    (SAVED / "run.json").write_text(json.dumps({"info": info, "took": took}, indent=2))
    shutil.rmtree(results_dir, ignore_errors=True)
    total = time.perf_counter() - began
    print(f"\n=== summary ({total:.0f} s; {info['cpus']} CPUs, {info['cpu']}, commit {info['commit']})")
    common.print_table(
        ["measure", "median", "baseline / ratio / queries", "target", "status"], rows_of(results)
    )
    if total > BUDGET_S:
        print(f"warning: the run took {total:.0f} s, over the {BUDGET_S} s budget")
    if results and os.environ.get("BENCH_NO_DOC") != "1":
        write_doc(figures_markdown(info, results, took))
    if failed:
        print(f"failed or skipped: {', '.join(failed)}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
