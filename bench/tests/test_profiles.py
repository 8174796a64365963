"""Summaries of py-spy's raw (collapsed) stacks."""

from bench.profiles import REPO, summarise

SITE = "/venv/lib/python3.11/site-packages/"
WORKER = (
    f"SyncWorker.run ({SITE}gunicorn/workers/sync.py:132);"
    f"SyncWorker.run_for_one ({SITE}gunicorn/workers/sync.py:68)"
)
REQUEST = f"{WORKER};SyncWorker.handle ({SITE}gunicorn/workers/sync.py:141)"
VIEW = f"{REQUEST};password ({REPO}idp/flows/login/views.py:60)"

RAW = "\n".join(
    [
        f"{WORKER};SyncWorker.wait ({SITE}gunicorn/workers/sync.py:34) 20",
        f"{VIEW};verify_secret ({SITE}argon2/low_level.py:190) 50",
        f"{VIEW};Connection.wait ({SITE}psycopg/connection.py:900) 20",
        f"{REQUEST};JSONEncoder.iterencode (/usr/lib/python3.11/json/encoder.py:258) 10",
        "a line that is not a sample",
    ]
)


def test_only_samples_inside_a_request_are_shared_out():
    profile = summarise(RAW)
    assert profile.samples == 100
    assert profile.in_requests == 80
    assert profile.by_package == [("argon2", 50 / 80), ("psycopg", 20 / 80), ("json", 10 / 80)]


def test_innermost_and_application_frames_are_named_by_place():
    profile = summarise(RAW)
    assert profile.top_self[0] == ("verify_secret (argon2/low_level.py)", 50 / 80)
    assert ("JSONEncoder.iterencode (json/encoder.py)", 10 / 80) in profile.top_self
    assert profile.top_app == [("password (idp/flows/login/views.py)", 70 / 80)]


def test_wsgi_layers_around_flask_are_not_counted_as_application_frames():
    wrapped = (
        f"{REQUEST};PublishedDocuments.__call__ ({REPO}idp/oidc/published_documents.py:80);"
        f"Flask.wsgi_app ({SITE}flask/app.py:1);userinfo ({REPO}idp/oidc/endpoints.py:70) 5"
    )
    served = f"{REQUEST};PublishedDocuments.__call__ ({REPO}idp/oidc/published_documents.py:80) 5"
    assert summarise(wrapped).top_app == [("userinfo (idp/oidc/endpoints.py)", 1.0)]
    assert summarise(served).top_app == [
        ("PublishedDocuments.__call__ (idp/oidc/published_documents.py)", 1.0)
    ]


def test_an_empty_recording_summarises_to_nothing():
    profile = summarise("")
    assert (profile.samples, profile.in_requests, profile.by_package) == (0, 0, [])


LIMITED_VIEW = (
    f"{REQUEST};RouteLimit.__call__.<locals>.__inner ({SITE}flask_limiter/_extension.py:1);"
    f"token ({REPO}idp/oidc/endpoints.py:50)"
)
COSTS_RAW = "\n".join(
    [
        f"{LIMITED_VIEW};DefaultDialect.do_commit ({SITE}sqlalchemy/engine/default.py:1);"
        f"Connection.wait ({SITE}psycopg/connection.py:900) 30",
        f"{LIMITED_VIEW};Session.execute ({SITE}sqlalchemy/orm/session.py:1) 20",
        f"{REQUEST};Limiter.check ({SITE}flask_limiter/_extension.py:2);"
        f"MovingWindow.hit ({SITE}limits/strategies.py:3);"
        f"SocketBuffer._read_from_socket ({SITE}redis/_parsers/socket.py:4) 10",
        f"{VIEW};verify_secret ({SITE}argon2/low_level.py:190) 40",
    ]
)


def test_samples_are_charged_to_what_they_wait_on_not_to_the_wrapper_around_the_view():
    costs = dict(summarise(COSTS_RAW).by_cost)
    assert costs == {
        "argon2id password hashing": 0.4,
        "PostgreSQL: COMMIT (waits for the WAL flush)": 0.3,
        "SQLAlchemy (ORM and SQL compilation)": 0.2,
        "rate limiting (Flask-Limiter and its Redis)": 0.1,
    }
