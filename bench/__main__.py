"""``python -m bench``: run the benchmark (use ``bench/run``, which installs what it needs)."""

from __future__ import annotations

import argparse
import signal
from pathlib import Path

from bench.run import Options, execute
from bench.scenarios import SCENARIOS

BENCH_DIR = Path(__file__).resolve().parent


def parse_options(argv: list[str] | None = None) -> tuple[Options, argparse.Namespace]:
    """The command line as ``Options`` (and the rest of the arguments)."""
    d = Options()
    parser = argparse.ArgumentParser(
        prog="bench/run",
        description="The provider (production server, PostgreSQL, Redis) against "
        "node-oidc-provider, both pinned to CPU 0, load from wrk pinned to CPU 1.",
    )
    parser.add_argument("--seconds", type=float, default=d.seconds, help="per path")
    parser.add_argument("--warmup", type=float, default=d.warmup, help="before each path")
    parser.add_argument("--connections", type=int, default=d.connections)
    parser.add_argument("--threads", type=int, default=d.threads, help="wrk threads")
    parser.add_argument("--login-seconds", type=float, default=d.login_seconds)
    parser.add_argument("--login-warmup", type=float, default=d.login_warmup)
    parser.add_argument("--login-workers", type=int, default=d.login_workers)
    parser.add_argument("--argon2-seconds", type=float, default=d.argon2_seconds)
    parser.add_argument(
        "--profile-seconds", type=float, default=d.profile_seconds, help="0: no profiles"
    )
    parser.add_argument(
        "--provider-workers",
        type=int,
        default=d.provider_workers,
        help="granian workers, all on the one server CPU (the comparison uses 1)",
    )
    parser.add_argument(
        "--provider-threads",
        type=int,
        default=d.provider_threads,
        help="blocking threads per granian worker (GRANIAN_BLOCKING_THREADS)",
    )
    parser.add_argument(
        "--front",
        choices=["both", "none", "nginx"],
        default=d.front,
        help="granian alone (none), behind nginx as in production (config/nginx.conf), "
        "or every path on both (the default)",
    )
    parser.add_argument(
        "--nice",
        type=int,
        default=d.nice,
        help="scheduling priority of every process of the run (root only; 0: unchanged)",
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        choices=[s.key for s in SCENARIOS],
        help="measure only these paths (repeatable)",
    )
    parser.add_argument("--results-dir", type=Path, default=BENCH_DIR / "results")
    parser.add_argument(
        "--update-docs",
        action="store_true",
        help="also write the results into docs/benchmarks.md",
    )
    args = parser.parse_args(argv)
    options = Options(
        seconds=args.seconds,
        warmup=args.warmup,
        connections=args.connections,
        threads=args.threads,
        login_seconds=args.login_seconds,
        login_warmup=args.login_warmup,
        login_workers=args.login_workers,
        argon2_seconds=args.argon2_seconds,
        profile_seconds=args.profile_seconds,
        nice=args.nice,
        provider_workers=args.provider_workers,
        provider_threads=args.provider_threads,
        front=args.front,
        only=tuple(args.only),
    )
    return options, args


def _stop_on(signum: int, _frame) -> None:
    raise SystemExit(128 + signum)  # unwinds through the run's clean-up


def main() -> None:
    # SIGTERM (what bench/run sends on Ctrl-C) and SIGINT both end the run cleanly, even
    # when the shell started us with SIGINT ignored.
    signal.signal(signal.SIGTERM, _stop_on)
    signal.signal(signal.SIGINT, _stop_on)
    options, args = parse_options()
    docs = BENCH_DIR.parent / "docs" / "benchmarks.md" if args.update_docs else None
    path = execute(options, args.results_dir, docs)
    print()
    blocks = path.with_suffix(".md").read_text().split("\n\n")
    print("\n\n".join(blocks[: 1 + 2 * len(options.fronts)]))  # targets, then each front
    print(f"\nfull report: {path}")


if __name__ == "__main__":
    main()
