"""Many people registering the same identity number at the same moment: one account.

Each thread is a separate browser that goes through the whole flow with its own phone
(every phone registered to the same number in the "chính chủ" registry, so the per-phone
OTP limits do not interfere); all of them press "Đăng ký" on step 6 together.
"""

from __future__ import annotations

import threading

from tests.http.registration_driver import (
    ACCOUNT_EXISTS_TEXT,
    NEWCOMER,
    RegistrationBrowser,
    citizens_with,
    import_registry,
)

RACERS = 16


def test_simultaneous_registrations_with_one_number_make_one_account(app_factory, outbox):
    # The SMS-pumping caps (idp/abuse/) would stop 16 sends for one number from one IP
    # long before the race; this test is about the database, so they are raised.
    app = app_factory(
        OTP_SENDS_PER_ID_NUMBER_PER_HOUR=10 * RACERS,
        OTP_SENDS_PER_IP_PER_HOUR=10 * RACERS,
        OTP_SENDS_PER_PREFIX_PER_HOUR=10 * RACERS,
    )
    phones = [f"09876543{n:02d}" for n in range(RACERS)]
    import_registry(app, *((phone, NEWCOMER["id_number"]) for phone in phones))
    barrier = threading.Barrier(RACERS, timeout=120)
    results: list[tuple[int, str, str] | BaseException] = [None] * RACERS  # type: ignore[list-item]

    def register(index: int) -> None:
        try:
            phone = phones[index]
            browser = RegistrationBrowser(app, outbox)
            password_url = browser.up_to_password({**NEWCOMER, "phone": phone}, "+84" + phone[1:])
            page = browser.get(password_url).get_data(as_text=True)
            data = {"password": "binhtran2026", "password_confirm": "binhtran2026"}
            barrier.wait()
            resp = browser.post(password_url, page, data)
            results[index] = (resp.status_code, resp.location or "", resp.get_data(as_text=True))
        except BaseException as exc:  # reported below, with the thread's traceback
            barrier.abort()
            results[index] = exc

    threads = [threading.Thread(target=register, args=(i,)) for i in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors[0]
    created = [r for r in results if r[0] == 302]
    refused = [r for r in results if r[0] == 409]
    assert len(created) == 1 and created[0][1] == "/register/done"
    assert len(refused) == RACERS - 1
    assert all(ACCOUNT_EXISTS_TEXT in body for _, _, body in refused)
    [citizen] = citizens_with(app, NEWCOMER["id_number"])
    assert citizen.phone in {"+84" + phone[1:] for phone in phones}
