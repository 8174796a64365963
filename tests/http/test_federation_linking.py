"""The linking rules on their own (no upstream on the wire): which outcome an upstream
identity leads to, the identity number checked by the registration rules, and no takeover
(an identity links to one citizen, a citizen to one identity per upstream, even when two
first sign-ins race)."""

from __future__ import annotations

import pytest

from tests.conftest import CITIZEN
from tests.federation.wiring import add_test_upstream


def _upstream(app, **flags):
    add_test_upstream(app, "https://vneid.example", discover=False, **flags)


def _identity(app, **claims):
    from idp.extensions import db
    from idp.federation.linking import identity_from_claims
    from idp.federation.models import Upstream

    with app.app_context():
        upstream = db.session.get(Upstream, "vneid")
        return identity_from_claims(upstream, {"sub": "u-1", **claims})


def _decide(app, identity):
    from idp.extensions import db
    from idp.federation.linking import decide
    from idp.federation.models import Upstream

    with app.app_context():
        return decide(db.session.get(Upstream, "vneid"), identity).outcome.value


def test_outcomes(app, citizen):
    from idp.federation.linking import link

    _upstream(app, create_accounts=True)
    known = _identity(app, citizen_id=CITIZEN["id_number"], birthdate=CITIZEN["date_of_birth"])
    assert _decide(app, known) == "prove"
    new = _identity(
        app,
        citizen_id="066195004321",
        name="lê thị hoa",
        birthdate="1995-07-21",
        phone_number="0905123456",
    )
    assert new.full_name == "Lê Thị Hoa" and new.gender == "female" and new.phone == "+84905123456"
    assert _decide(app, new) == "create"
    no_phone = _identity(app, citizen_id="066195004321", name="Lê Thị Hoa", birthdate="1995-07-21")
    assert _decide(app, no_phone) == "ask_phone"
    taken_phone = _identity(
        app,
        citizen_id="066195004321",
        name="Lê Thị Hoa",
        birthdate="1995-07-21",
        phone_number=CITIZEN["phone"],  # the existing citizen's
    )
    assert _decide(app, taken_phone) == "ask_phone"
    with app.app_context():
        from idp.citizens.models import Citizen
        from idp.extensions import db

        link(known, db.session.get(Citizen, citizen["id"]), "proof", "VNeID")
    assert _decide(app, known) == "signed_in"


def test_link_without_password_and_register_first(app, citizen):
    _upstream(app, link_without_password=True)
    assert _decide(app, _identity(app, citizen_id=CITIZEN["id_number"])) == "link"
    assert _decide(app, _identity(app, citizen_id="066195004321")) == "register_first"


@pytest.mark.parametrize(
    "claims",
    [
        {},
        {"citizen_id": "12345"},
        {"citizen_id": "999090001234"},  # no such province
        {"citizen_id": CITIZEN["id_number"], "birthdate": "1991-05-17"},  # the CCCD says 1990
        {"citizen_id": 66090001234},  # not text
    ],
)
def test_an_identity_number_that_breaks_the_rules_is_refused(app, claims):
    from idp.errors import DomainError

    _upstream(app, create_accounts=True)
    with pytest.raises(DomainError) as refused:
        _identity(app, **claims)
    assert refused.value.problem.code == "upstream.id_number_invalid"


def test_a_cmnd_without_gender_cannot_make_an_account(app):
    from idp.errors import DomainError

    _upstream(app, create_accounts=True)
    cmnd = _identity(app, citizen_id="123456789", name="Lê Hoa", birthdate="1995-07-21")
    with pytest.raises(DomainError) as refused:
        _decide(app, cmnd)
    assert refused.value.problem.code == "upstream.claims_missing"


def test_no_takeover(app, citizen):
    from idp.citizens.models import Citizen
    from idp.errors import DomainError
    from idp.extensions import db
    from idp.federation.linking import link
    from tests.conftest import create_other_citizen

    _upstream(app, create_accounts=True)
    other = create_other_citizen(app)
    identity = _identity(app, citizen_id=CITIZEN["id_number"])
    with app.app_context():
        link(identity, db.session.get(Citizen, citizen["id"]), "proof", "VNeID")
        # The same upstream identity cannot be linked to a second citizen ...
        with pytest.raises(DomainError):
            link(identity, db.session.get(Citizen, other["id"]), "proof", "VNeID")
    # ... nor may the citizen get a second identity at the same upstream.
    second = _identity(app, citizen_id=CITIZEN["id_number"], sub="u-2")
    with pytest.raises(DomainError) as refused:
        _decide(app, second)
    assert refused.value.problem.code == "upstream.linked_elsewhere"


def test_a_locked_account_is_refused(app, citizen):
    from idp.citizens.models import Citizen
    from idp.errors import DomainError
    from idp.extensions import db

    _upstream(app, link_without_password=True)
    with app.app_context():
        db.session.get(Citizen, citizen["id"]).status = "locked"
        db.session.commit()
    with pytest.raises(DomainError) as refused:
        _decide(app, _identity(app, citizen_id=CITIZEN["id_number"]))
    assert refused.value.problem.code == "upstream.account_disabled"
