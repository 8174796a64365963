"""The login's SMS OTP step: the real one, or its look-alike under the user-wide lock.

Outside a lock the step always belongs to a citizen whose password was right. Under the
lock (``idp.citizens.lockout``) every password attempt reaches this step: the right
password of an active account gets the real code on the registered phone; anything else
gets a twin service with the same store, counters and rules whose gateway drops the
message (as recovery's non-match does), and no code is ever accepted. The page then
names no phone number, so the two cannot be told apart.
"""

from __future__ import annotations

import secrets

from idp.citizens.models import Citizen
from idp.citizens.phone import mask_phone
from idp.errors import DomainError
from idp.extensions import db
from idp.flows.flow import Flow
from idp.flows.look_alike import otp_service, send_real_or_look_alike
from idp.otp import OTP_EXPIRED, OtpState

PURPOSE = "login"


def citizen_of(flow: Flow) -> Citizen | None:
    """The citizen whose password opened this step; None on the look-alike step."""
    citizen_id = flow.data.citizen_id
    return db.session.get(Citizen, citizen_id) if citizen_id is not None else None


def start_under_lock(flow: Flow, citizen: Citizen | None, username: str) -> None:
    """Mark the flow's OTP step as the one under the lock (real if ``citizen``)."""
    flow.data.citizen_id = citizen.id if citizen is not None else None
    flow.data.under_lock = True
    if citizen is None:
        # A fresh number per flow, so nobody's per-phone budget is spent; but the typed
        # user name's per-number budget is, as the real step spends it: were it spared,
        # a refusal once that budget is used up (recovery can use it up knowing only the
        # number) would tell a right password from a wrong one.
        flow.data.decoy_phone = "+849" + "".join(secrets.choice("0123456789") for _ in range(8))
        flow.data.decoy_id_number = username


def _read_row_of(id_number: str | None) -> None:
    db.session.scalar(db.select(Citizen.id).filter_by(id_number=id_number or ""))


def send_code(flow: Flow) -> OtpState:
    """Send (or, on the look-alike step, pretend to send) a code; the OTP rules apply.

    The login's one way to send its code: from the password step, the choice of SMS over
    the authenticator app, and "Gửi lại OTP".
    """
    citizen_id = flow.data.citizen_id
    # Under the lock the row is read from the database even when the session holds it
    # already (the password step loaded it), so the real step and the look-alike read
    # alike; outside it, the row the password step loaded serves.
    citizen = (
        db.session.get(Citizen, citizen_id, populate_existing=bool(flow.data.under_lock))
        if citizen_id is not None
        else None
    )
    if citizen is None:
        # The real step reads the citizen's row (its phone) here; so does this one.
        _read_row_of(flow.data.decoy_id_number)
        phone, id_number = flow.data.decoy_phone, flow.data.decoy_id_number
    else:
        phone, id_number = citizen.phone, citizen.id_number
    return send_real_or_look_alike(flow, phone, PURPOSE, id_number)


def confirm_code(flow: Flow, entered: str) -> Citizen:
    """The citizen, once the code is accepted; DomainError otherwise (always, look-alike)."""
    otp_service(flow).verify(flow.id, entered)
    citizen = citizen_of(flow)
    if citizen is None:
        raise DomainError(OTP_EXPIRED)
    return citizen


def code_state(flow: Flow) -> OtpState | None:
    """The clocks the OTP page shows."""
    return otp_service(flow).state(flow.id)


def shown_phone(flow: Flow, state: OtpState | None = None) -> str | None:
    """The masked phone the page names; None under the lock (the page names none).

    ``state`` (``code_state``'s) names the phone the live code went to, the citizen's:
    then the citizen's row is not read again."""
    if flow.data.under_lock:
        return None
    if state is not None and flow.data.citizen_id is not None:
        return mask_phone(state.phone_e164)
    citizen = citizen_of(flow)
    return mask_phone(citizen.phone) if citizen is not None else None
