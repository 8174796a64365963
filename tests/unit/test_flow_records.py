"""Flow data as typed records: stored as the dict of set fields, older shapes expire."""

import pytest

from idp.errors import DomainError
from idp.flows.flow import FLOW_NOT_FOUND, create_flow, load_flow
from idp.flows.login.flow import LoginData
from idp.services import store


def test_a_record_is_stored_as_its_set_fields_and_read_back(app):
    with app.test_request_context():
        flow = create_flow("login", "password", LoginData(client_name="Cơ quan A"))
        assert store().get(f"flow:login:{flow.id}")["data"] == {"client_name": "Cơ quan A"}
        again = load_flow("login", flow.id)
        assert again.data == LoginData(client_name="Cơ quan A")
        assert "client_name" in again.data and "return_to" not in again.data


def test_a_flow_stored_in_another_shape_is_treated_as_expired(app):
    with app.test_request_context():
        flow = create_flow("login", "password")
        key = f"flow:login:{flow.id}"
        old = store().get(key)
        store().set(key, {**old, "data": {"authorise": {}, "unknown_field": 1}}, 60)
        with pytest.raises(DomainError) as caught:
            load_flow("login", flow.id)
        assert caught.value.problem == FLOW_NOT_FOUND
