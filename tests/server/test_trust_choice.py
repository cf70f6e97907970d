"""SPEC 1.1 §8, which trust list judges a scan, as pure functions (no HTTP, no database)."""

from __future__ import annotations

from server.ledger.trust_choice import (
    IN_FORCE,
    TILL,
    UPLOAD,
    ListInfo,
    TillHistory,
    choose,
    in_force,
)

DAY = 86_400
# Lists 1, 2, 3 issued a day apart, each valid a week.
INDEX = [ListInfo(s, 1000 + (s - 1) * DAY, 1000 + (s - 1) * DAY + 7 * DAY) for s in (1, 2, 3)]
NOW = 1000 + 3 * DAY
SKEW = 300


def judge(scans, history=None):
    history = history or TillHistory()
    return [
        (c.basis, c.seq, c.at, c.in_force_seq)
        for c in choose(scans, index=INDEX, history=history, now=NOW, max_clock_skew_s=SKEW)
    ]


def test_the_list_in_force_is_the_latest_issued_at_or_before_the_instant():
    assert [in_force(INDEX, t).seq for t in (0, 1000, 1000 + DAY - 1, 1000 + DAY, NOW)] == [
        1,
        1,
        1,
        2,
        3,
    ]
    assert in_force([], NOW) is None


def test_the_tills_list_judges_when_a_b_and_c_hold():
    at = 1000 + 2 * DAY + 10  # list 3 is in force; the till still had list 1
    assert judge([(at, 1)]) == [(TILL, 1, at, 3)]
    assert judge([(at, 3)]) == [(TILL, 3, at, None)]


def test_without_a_reported_list_the_list_in_force_judges():
    at = 1000 + DAY + 5
    assert judge([(at, None)]) == [(IN_FORCE, 2, at, None)]


def test_a_a_list_the_server_never_signed_is_not_used():
    at = 1000 + DAY + 5
    [choice] = choose([(at, 9)], index=INDEX, history=TillHistory(), now=NOW, max_clock_skew_s=0)
    assert (choice.basis, choice.seq) == (
        IN_FORCE,
        2,
    ) and "not one this server signed" in choice.why


def test_b_a_scan_outside_the_lists_validity_is_not_judged_by_it():
    before_list_2 = 1000 + DAY - 1
    expired_list_1 = 1000 + 7 * DAY
    assert judge([(before_list_2, 2)])[0][:2] == (IN_FORCE, 1)
    assert judge([(expired_list_1, 1)])[0][:2] == (IN_FORCE, 3)


def test_c_a_till_never_goes_back_to_a_lower_list():
    t1, t2 = 1000 + 2 * DAY + 10, 1000 + 2 * DAY + 20
    # In one batch: list 2 at t1, then list 1 at t2 (later) — the second is not believed.
    assert judge([(t1, 2), (t2, 1)]) == [(TILL, 2, t1, 3), (IN_FORCE, 3, t2, None)]
    # A lower list at an EARLIER time is fine: the till had it then.
    assert judge([(t2, 2), (t1, 1)]) == [(TILL, 2, t2, 3), (TILL, 1, t1, 3)]
    # Across uploads, from what the till reported before.
    history = TillHistory(reported=((t1, 2),))
    assert judge([(t2, 1)], history)[0][:2] == (IN_FORCE, 3)
    assert judge([(t1 - 1, 1)], history)[0][:2] == (TILL, 1)


def test_d_a_scan_older_than_the_tills_previous_upload_is_judged_at_upload_time():
    history = TillHistory(last_upload_at=NOW - 100, last_scan_at=NOW - 110)
    old = NOW - 110 - SKEW - 1
    assert judge([(old, 1)], history) == [(UPLOAD, 3, NOW, None)]
    within_skew = NOW - 110 - SKEW
    assert judge([(within_skew, 3)], history)[0][0] == TILL


def test_d_a_backlog_in_several_batches_is_not_judged_at_upload_time():
    """The previous batch covered the journal only up to its newest scan, not its arrival."""
    history = TillHistory(last_upload_at=NOW, last_scan_at=NOW - 5 * 3600)
    next_in_backlog = NOW - 5 * 3600 + 60
    assert judge([(next_in_backlog, 3)], history)[0][0] == TILL


def test_d_a_till_whose_clock_was_fast_is_bounded_by_its_upload_time():
    history = TillHistory(last_upload_at=NOW - 600, last_scan_at=NOW + 3000)
    assert judge([(NOW - 600 - SKEW - 1, 3)], history)[0][0] == UPLOAD
    assert judge([(NOW - 60, 3)], history)[0][0] == TILL


def test_no_list_at_all_yet():
    [choice] = choose([(NOW, None)], index=[], history=TillHistory(), now=NOW, max_clock_skew_s=0)
    assert choice.seq is None
