"""The login driver's citizens: one login at a time each, a bounded number per run."""

from bench.logins import LOGINS_PER_ACCOUNT, AccountPool


def test_a_citizen_in_a_login_is_not_handed_out_again_until_given_back():
    pool = AccountPool([{"username": "a"}, {"username": "b"}])
    first, second = pool.take(), pool.take()
    assert {first[0]["username"], second[0]["username"]} == {"a", "b"}
    assert pool.take() is None
    pool.give_back(first)
    assert pool.take()[0] == first[0]


def test_each_citizen_logs_in_at_most_the_allowed_number_of_times():
    pool = AccountPool([{"username": "a"}])
    logins = 0
    while (taken := pool.take()) is not None:
        logins += 1
        pool.give_back(taken)
    assert logins == LOGINS_PER_ACCOUNT
