"""The run's results as one Markdown table (plus machine facts and profiles) and as JSON."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

from bench.logins import LoginResult
from bench.measurement import Measurement
from bench.profiles import Profile

DOCS_BEGIN = "<!-- bench:results:begin (written by bench/run --update-docs) -->"
DOCS_END = "<!-- bench:results:end -->"


@dataclass
class PathRow:
    """One path on both servers, and the provider worker's memory peak after it."""

    label: str
    provider: Measurement
    anchor: Measurement
    provider_hwm_kib: int | None = None


@dataclass
class RunReport:
    """Everything one run measured."""

    started_at: str
    machine: dict
    options: dict
    rows: list[PathRow] = field(default_factory=list)
    login: LoginResult | None = None
    login_problem: str = ""
    argon2: dict = field(default_factory=dict)
    service_latency: list[dict] = field(default_factory=list)  # before the paths, at the end
    provider_hwm_kib: int | None = None
    anchor_hwm_kib: int | None = None
    profiles: dict[str, Profile] = field(default_factory=dict)
    profile_problem: str = ""
    ceiling: dict | None = None  # bench.ceiling: an empty Flask view on the same stack
    # The same view under the other servers of bench.ceiling.CANDIDATES: a dict like
    # ``ceiling`` per server, or a string saying why it was not measured.
    ceiling_candidates: dict[str, dict | str] = field(default_factory=dict)
    wall_seconds: float = 0.0

    @property
    def stamp(self) -> str:
        """The start time as a file name: 20260101T120000."""
        return self.started_at.replace(":", "").replace("-", "")[:15]

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2, ensure_ascii=False)


def _mib(kib: int | None) -> str:
    return f"{kib / 1024:.0f} MiB" if kib else "–"


def _cells(m: Measurement) -> list[str]:
    if m.unavailable:
        return [f"skipped: {m.unavailable}", "–", "–", "–"]
    r = m.result
    rate = f"{r.ok_per_second:,.0f}" + (" ⚠" if m.note else "")
    return [rate, f"{r.p50_ms:.1f}", f"{r.p99_ms:.1f}", f"{r.errors:,}"]


def _cpu(m: Measurement) -> str:
    if m.result is None:
        return "–"
    return f"{m.cpu_share:.0%} · {m.waiting_share:.0%}"


def _ratio(row: PathRow) -> str:
    p, a = row.provider.result, row.anchor.result
    if p is None or a is None or not a.ok_per_second:
        return "–"
    return f"{p.ok_per_second / a.ok_per_second:.3f}"


HEADER = (
    "| Path | Provider req/s | p50 ms | p99 ms | errors "
    "| Anchor req/s | p50 ms | p99 ms | errors | Provider/anchor | Provider worker VmHWM "
    "| CPU · waiting, provider | CPU · waiting, anchor |\n"
    "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
)


def _login_line(report: RunReport) -> str:
    floor = report.argon2.get("per_second")
    floor_cell = f"argon2id floor {floor:,.1f}/s" if floor else "argon2id floor –"
    if report.login is None:
        problem = f"skipped: {report.login_problem}"
        return (
            f"| Full login (logins/s) | {problem} | – | – | – | {floor_cell} | | | | – | – | – | |"
        )
    r = report.login
    ratio = f"{r.per_second / floor:.3f} of floor" if floor else "–"
    return (
        f"| Full login (logins/s) | {r.per_second:,.1f} | {r.p50_ms:.0f} | {r.p99_ms:.0f} "
        f"| {r.errors:,} | {floor_cell} | | | | {ratio} | {_mib(report.provider_hwm_kib)} "
        f"| {r.server_cpu_busy:.0%} · {r.server_cpu_waiting:.0%} | |"
    )


def table(report: RunReport) -> str:
    """The one table: every path on both servers, then logins against the argon2id floor."""
    lines = [HEADER]
    for row in report.rows:
        cells = [row.label, *_cells(row.provider), *_cells(row.anchor), _ratio(row)]
        cells += [_mib(row.provider_hwm_kib), _cpu(row.provider), _cpu(row.anchor)]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append(_login_line(report))
    return "\n".join(lines)


def _candidates_note(report: RunReport) -> str:
    figures = []
    for server, c in report.ceiling_candidates.items():
        if isinstance(c, str):
            figures.append(f"{server} not measured ({c})")
        else:
            figures.append(
                f"{server} {c['per_second']:,.0f} req/s, p50 {c['p50_ms']:.1f} ms, "
                f"p99 {c['p99_ms']:.1f} ms, {c['errors']} errors"
            )
    return (
        "- The same ceiling under other servers (`python -m bench.ceiling --candidates`; one "
        "worker, same front, CPU and load): " + "; ".join(figures) + "."
    )


def _ceiling_note(report: RunReport) -> str:
    c = report.ceiling
    rate = c["per_second"]
    compared = []
    for row in report.rows:
        if row.label.startswith("POST token (client_credentials)") and row.anchor.result:
            anchor = row.anchor.result.ok_per_second
            compared.append(f"{rate / anchor:.2f}× the anchor's client_credentials rate")
            if row.provider.result:
                share = row.provider.result.ok_per_second / rate
                compared.append(f"the provider's client_credentials reaches {share:.0%} of it")
    return (
        f"- Ceiling of the stack (`bench/ceiling.py`): a Flask view answering a constant "
        f"token response, with no client check, database, Redis or signing, under the same "
        f"server (granian, `idp serve`'s settings), front and CPU: {rate:,.0f} req/s, "
        f"p50 {c['p50_ms']:.1f} ms"
        + (f" ({'; '.join(compared)})" if compared else "")
        + ". No path built on Flask and granian can be faster on this core."
    )


def _notes(report: RunReport) -> list[str]:
    notes = []
    for row in report.rows:
        for m in (row.provider, row.anchor):
            if m.note:
                notes.append(f"- ⚠ {row.label}, {m.target}: {m.note}.")
    if report.login is not None:
        r = report.login
        notes.append(
            f"- Full login: {report.options['login_workers']} concurrent browsers for "
            f"{r.seconds:.0f} s after a warm-up; {r.requests_per_login:.0f} HTTP requests to "
            f"the provider per login (authorize → choice → password → OTP → code → token → "
            f"userinfo); the provider's worker was on its CPU {r.server_cpu_busy:.0%} of the "
            f"window and waiting for it {r.server_cpu_waiting:.0%}."
        )
        if r.first_error:
            notes.append(f"- First login error: `{r.first_error}`.")
    if report.argon2:
        a = report.argon2
        notes.append(
            f"- argon2id floor: {a['ms_each']:.1f} ms per verification "
            f"(t={a['time_cost']}, m={a['memory_cost']} KiB, p={a['parallelism']}), "
            f"pinned to the provider's CPU."
        )
    if report.service_latency:
        spans = " → ".join(
            f"SELECT 1 {s['select_ms']:.2f} ms, INSERT + COMMIT {s['commit_ms']:.2f} ms, "
            f"Redis PING {s['redis_ping_ms']:.2f} ms"
            for s in report.service_latency
        )
        notes.append(
            f"- The machine's PostgreSQL and Redis (median round trips from CPU 1, before the "
            f"paths → at the end): {spans}."
        )
    if report.ceiling:
        notes.append(_ceiling_note(report))
    if report.ceiling_candidates:
        notes.append(_candidates_note(report))
    notes.append(
        "- CPU · waiting: the share of the timed window the server's worker spent on its CPU, "
        "and runnable but waiting for it (/proc/<pid>/task/*/schedstat, summed over its "
        "threads: with several threads on one core, waiting adds up past 100 %)."
    )
    notes.append(
        f"- Anchor (node-oidc-provider) peak RSS: {_mib(report.anchor_hwm_kib)}; "
        f"provider worker peak RSS over the whole run: {_mib(report.provider_hwm_kib)}."
    )
    return notes


def _machine(report: RunReport) -> str:
    m, o = report.machine, report.options
    return "\n".join(
        [
            f"- Date: {report.started_at}; whole run {report.wall_seconds:.0f} s.",
            f"- Machine: {m['nproc']} CPUs ({m['cpu_model']}), {m['memory']} memory, "
            f"{m['kernel']}; load average {m['load_before']} before the run, "
            f"{m.get('load_after', '?')} after.",
            f"- Software: {m['versions']}.",
            f"- Servers: the provider with IDP_ENV=production under granian (`idp serve`, "
            f"{_workers(o)}) on PostgreSQL and Redis, "
            f"{_front(o)}; the anchor is node-oidc-provider, one process, in-memory adapter.",
            f"- Load: wrk, {o['connections']} connections, {o['threads']} thread(s), "
            f"{o['seconds']:g} s per path after a {o['warmup']:g} s warm-up, pinned to CPU 1; "
            f"servers pinned to CPU 0; scheduling priority of the run: {o['priority']}.",
        ]
    )


def _workers(o: dict) -> str:
    workers, threads = o.get("provider_workers", 1), o.get("provider_threads", 1)
    return f"{workers} WSGI worker(s) of {threads} blocking thread(s)"


def _front(o: dict) -> str:
    if o.get("front", "none") == "nginx":
        return "behind nginx (config/nginx.conf without TLS, one worker on CPU 0)"
    return "reached directly (no nginx)"


def _profile_section(report: RunReport) -> str:
    if not report.profiles:
        return f"Profiles: none ({report.profile_problem or 'not recorded'})."
    parts = []
    for label, p in report.profiles.items():
        busy = p.in_requests / p.samples if p.samples else 0
        parts.append(f"#### {label}\n\n{p.samples} samples, {busy:.0%} inside a request.\n")
        costs = "; ".join(f"{name} {share:.0%}" for name, share in p.by_cost if share >= 0.01)
        parts.append(f"- Where the time goes: {costs}")
        packages = ", ".join(f"{name} {share:.0%}" for name, share in p.by_package)
        parts.append(f"- By package (innermost frame): {packages}")
        parts.append("- Innermost frames:")
        parts += [f"  - {share:.1%} `{name}`" for name, share in p.top_self]
        parts.append("- Application frames (inclusive):")
        parts += [f"  - {share:.1%} `{name}`" for name, share in p.top_app]
        parts.append("")
    return "\n".join(parts)


def markdown(report: RunReport) -> str:
    """The whole report: table, notes, machine, profiles."""
    return "\n\n".join(
        [
            table(report),
            "\n".join(_notes(report)),
            _machine(report),
            "### Profiles of the provider (py-spy, worker under the same load)\n\n"
            + _profile_section(report),
        ]
    )


def write(report: RunReport, results_dir: Path, docs_file: Path | None) -> Path:
    """Save the report (Markdown and JSON); optionally refresh the block in the docs."""
    results_dir.mkdir(parents=True, exist_ok=True)
    stamp = report.stamp
    text = markdown(report)
    (results_dir / f"{stamp}.md").write_text(text + "\n")
    (results_dir / f"{stamp}.json").write_text(report.to_json() + "\n")
    (results_dir / "latest.md").write_text(text + "\n")
    if docs_file is not None:
        current = docs_file.read_text()
        head, found, rest = current.partition(DOCS_BEGIN)
        _, found_end, tail = rest.partition(DOCS_END)
        if not (found and found_end):
            raise RuntimeError(f"{docs_file} lacks the {DOCS_BEGIN} ... {DOCS_END} markers")
        docs_file.write_text(f"{head}{DOCS_BEGIN}\n{text}\n{DOCS_END}{tail}")
    return results_dir / f"{stamp}.md"
