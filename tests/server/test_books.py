"""The books' exports: any month of contributions, subsidies and payouts makes a CSV that
adds up and a beancount ledger that bean-check's loader accepts."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from beancount import loader
from hypothesis import given
from hypothesis import strategies as st

from server.config import Config
from server.ledger import books

CHANNELS = st.sampled_from(["transfer", "direct_debit", "cash", "manual"])
ENTRY = st.one_of(
    st.builds(
        lambda d, c, a: books.BookEntry(f"2026-03-{d:02d}", "contribution", c, a, "p", "7"),
        st.integers(1, 31),
        CHANNELS,
        st.integers(-100_000, 1_000_000),
    ),
    st.builds(
        lambda d, s, a: books.BookEntry(f"2026-03-{d:02d}", "subsidy", s, a, "s", s),
        st.integers(1, 31),
        st.sampled_from(books.SOURCES),
        st.integers(1, 10**9),
    ),
    st.builds(
        lambda d, a: books.BookEntry(f"2026-03-{d:02d}", "payout", "shops", -a, "S1", "m"),
        st.integers(1, 31),
        st.integers(1, 10**8),
    ),
)


@given(st.lists(ENTRY, max_size=30))
def test_any_month_exports_to_a_balanced_ledger_and_a_csv_that_adds_up(rows):
    config = Config(data_dir=Path("/nonexistent"), caisse="be-test")
    text = books.to_beancount(rows, config)
    entries, errors, _ = loader.load_string(text)
    assert not errors, errors
    assert sum(type(e).__name__ == "Transaction" for e in entries) == len(rows)
    table = list(csv.DictReader(io.StringIO(books.to_csv(rows))))
    assert sum(int(r["amount_cents"]) for r in table) == sum(e.amount_cents for e in rows)
    for r in table:
        assert round(float(r["amount_eur"]) * 100) == int(r["amount_cents"])
