"""The run's results as one Markdown table (plus machine facts and profiles) and as JSON."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

from bench.ceiling import PRODUCTION_SERVER
from bench.logins import LoginResult
from bench.measurement import Measurement
from bench.profiles import Profile

DOCS_BEGIN = "<!-- bench:results:begin (written by bench/run --update-docs) -->"
DOCS_END = "<!-- bench:results:end -->"


@dataclass
class PathRow:
    """One path on both servers (the provider on one front), and the provider worker's
    memory peak after it."""

    label: str
    provider: Measurement
    anchor: Measurement
    provider_hwm_kib: int | None = None
    front: str = "none"  # "nginx": the provider was reached through nginx


# Each target of the speed issue: the least provider/anchor ratio on the production server
# alone (``front none``), by the rows' labels; logins against the argon2id floor.
TARGETS = {
    "GET discovery": 0.6,
    "GET JWKS": 0.6,
    "POST token (client_credentials)": 0.5,
    "POST token (authorization_code)": 0.5,
    "POST introspection": 0.5,
    "GET userinfo": 0.5,
}
LOGIN_TARGET = 0.7
FRONT_TITLES = {
    "none": "The production server alone (`--front none`)",
    "nginx": "Behind nginx, as production deploys it (`--front nginx`)",
}


@dataclass
class RunReport:
    """Everything one run measured."""

    started_at: str
    machine: dict
    options: dict
    fronts: list[str] = field(default_factory=lambda: ["none"])
    rows: list[PathRow] = field(default_factory=list)
    logins: dict[str, LoginResult] = field(default_factory=dict)  # by front
    login_problems: dict[str, str] = field(default_factory=dict)  # by front
    argon2: dict = field(default_factory=dict)
    service_latency: list[dict] = field(default_factory=list)  # before the paths, at the end
    provider_hwm_kib: int | None = None
    anchor_hwm_kib: int | None = None
    profiles: dict[str, Profile] = field(default_factory=dict)
    profile_problem: str = ""
    # bench.ceiling: an empty Flask view under each server of bench.ceiling.CANDIDATES, by
    # front then server: req/s, p50, p99 and errors, or a string saying why it was not
    # measured.
    ceilings: dict[str, dict[str, dict | str]] = field(default_factory=dict)
    # bench.ceiling's "flask-authlib" stack (Authlib's client_credentials grant on an
    # in-memory client) under the production server, by front: figures as for ceilings.
    stack_floor: dict[str, dict | str] = field(default_factory=dict)
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


def _login_line(report: RunReport, front: str) -> str:
    floor = report.argon2.get("per_second")
    floor_cell = f"argon2id floor {floor:,.1f}/s" if floor else "argon2id floor –"
    r = report.logins.get(front)
    if r is None:
        problem = f"skipped: {report.login_problems.get(front, 'not measured')}"
        return (
            f"| Full login (logins/s) | {problem} | – | – | – | {floor_cell} | | | | – | – | – | |"
        )
    ratio = f"{r.per_second / floor:.3f} of floor" if floor else "–"
    return (
        f"| Full login (logins/s) | {r.per_second:,.1f} | {r.p50_ms:.0f} | {r.p99_ms:.0f} "
        f"| {r.errors:,} | {floor_cell} | | | | {ratio} | {_mib(report.provider_hwm_kib)} "
        f"| {r.server_cpu_busy:.0%} · {r.server_cpu_waiting:.0%} | |"
    )


def table(report: RunReport, front: str | None = None) -> str:
    """One front's table: every path on both servers, then logins against the floor."""
    front = front or report.fronts[0]
    lines = [HEADER]
    for row in report.rows:
        if row.front != front:
            continue
        cells = [row.label, *_cells(row.provider), *_cells(row.anchor), _ratio(row)]
        cells += [_mib(row.provider_hwm_kib), _cpu(row.provider), _cpu(row.anchor)]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append(_login_line(report, front))
    return "\n".join(lines)


def targets_table(report: RunReport) -> str:
    """Each target against its figure on the production server alone (or the one front)."""
    front = "none" if "none" in report.fronts else report.fronts[0]
    lines = [
        f"| Target ({FRONT_TITLES[front].split(' (')[0].lower()}) | wanted | measured | met |",
        "|---|--:|--:|:-:|",
    ]
    for row in report.rows:
        wanted = TARGETS.get(row.label)
        if row.front != front or wanted is None:
            continue
        p, a = row.provider.result, row.anchor.result
        if p is None or a is None or not a.ok_per_second:
            lines.append(f"| {row.label} | ≥ {wanted}× anchor | – | – |")
            continue
        ratio = p.ok_per_second / a.ok_per_second
        met = "yes" if ratio >= wanted else "no"
        lines.append(f"| {row.label} | ≥ {wanted}× anchor | {ratio:.3f}× | {met} |")
    floor = report.argon2.get("per_second")
    login = report.logins.get(front)
    if login is not None and floor:
        share = login.per_second / floor
        met = "yes" if share >= LOGIN_TARGET else "no"
        lines.append(
            f"| Full logins | ≥ {LOGIN_TARGET} of the argon2id floor | {share:.3f} | {met} |"
        )
    floor_line = _stack_floor_line(report, front)
    return "\n".join(lines) + (f"\n\n{floor_line}" if floor_line else "")


CLIENT_CREDENTIALS = "POST token (client_credentials)"


def _stack_floor_line(report: RunReport, front: str) -> str:
    """The Flask + Authlib floor of a client_credentials request, against the anchor."""
    floor = report.stack_floor.get(front)
    if floor is None:
        return ""
    if isinstance(floor, str):
        return f"Flask + Authlib floor (client_credentials): not measured ({floor})."
    anchor = next(
        (
            r.anchor.result
            for r in report.rows
            if r.front == front and r.label == CLIENT_CREDENTIALS and r.anchor.result
        ),
        None,
    )
    versus = (
        f", {floor['per_second'] / anchor.ok_per_second:.3f}× the anchor's client_credentials"
        if anchor is not None and anchor.ok_per_second
        else ""
    )
    return (
        f"Flask + Authlib floor (client_credentials): {floor['per_second']:,.0f} req/s"
        f"{versus}. Authlib's own grant on a client held in memory, nothing else "
        f"(`python -m bench.ceiling --stack flask-authlib`), under {PRODUCTION_SERVER} with "
        f"the same pin and load: no provider whose token endpoint is Authlib's in Flask is "
        f"faster on this core."
    )


def _ceiling_note(report: RunReport) -> str:
    parts = []
    for front, servers in report.ceilings.items():
        figures = []
        for server, c in servers.items():
            name = server + (" (production)" if server == PRODUCTION_SERVER else "")
            if isinstance(c, str):
                figures.append(f"{name} not measured ({c})")
            else:
                figures.append(
                    f"{name} {c['per_second']:,.0f} req/s, p50 {c['p50_ms']:.1f} ms, "
                    f"p99 {c['p99_ms']:.1f} ms, {c['errors']} errors"
                )
        where = "directly" if front == "none" else "behind nginx"
        parts.append(f"{where}: " + "; ".join(figures))
    return (
        "- Ceiling of each server (`bench/ceiling.py`): a Flask view answering a constant "
        "token response, with no client check, database, Redis or signing, one worker on the "
        "same CPU under the same load; " + " — ".join(parts) + ". No Flask path served by "
        "that server can be faster on this core."
    )


def _notes(report: RunReport) -> list[str]:
    notes = []
    for row in report.rows:
        for m in (row.provider, row.anchor):
            if m.note:
                notes.append(f"- ⚠ {row.label}, {m.target} ({row.front}): {m.note}.")
    for front, r in report.logins.items():
        notes.append(
            f"- Full login ({front}): {report.options['login_workers']} concurrent browsers "
            f"for {r.seconds:.0f} s after a warm-up; {r.requests_per_login:.0f} HTTP requests "
            f"to the provider per login (authorize → choice → password → OTP → code → token → "
            f"userinfo); the provider's worker was on its CPU {r.server_cpu_busy:.0%} of the "
            f"window and waiting for it {r.server_cpu_waiting:.0%}."
        )
        if r.first_error:
            notes.append(f"- First login error ({front}): `{r.first_error}`.")
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
    if report.ceilings:
        notes.append(_ceiling_note(report))
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
            f"{_front(o)}; the anchor is node-oidc-provider, one process, in-memory adapter, "
            f"reached directly.",
            f"- Load: wrk, {o['connections']} connections, {o['threads']} thread(s), "
            f"{o['seconds']:g} s per path after a {o['warmup']:g} s warm-up, pinned to CPU 1; "
            f"servers pinned to CPU 0; scheduling priority of the run: {o['priority']}.",
        ]
    )


def _workers(o: dict) -> str:
    workers, threads = o.get("provider_workers", 1), o.get("provider_threads", 1)
    return f"{workers} WSGI worker(s) of {threads} blocking thread(s)"


def _front(o: dict) -> str:
    nginx = "behind nginx (config/nginx.conf without TLS, one worker on CPU 0)"
    front = o.get("front", "none")
    if front == "both":
        return f"measured twice on every path: reached directly, and {nginx}"
    return nginx if front == "nginx" else "reached directly (no nginx)"


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
    """The whole report: targets, a table per front, notes, machine, profiles."""
    tables = [f"#### {FRONT_TITLES[front]}\n\n{table(report, front)}" for front in report.fronts]
    profiled = FRONT_TITLES["none" if "none" in report.fronts else report.fronts[0]]
    return "\n\n".join(
        [
            targets_table(report),
            *tables,
            "\n".join(_notes(report)),
            _machine(report),
            f"### Profiles of the provider (py-spy, worker under the same load; "
            f"{profiled.split(' (')[0].lower()})\n\n" + _profile_section(report),
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
