"""Payments verified per second through ``keys.verify`` vs raw PyNaCl in the same run.

Baseline: PyNaCl's ``VerifyKey.verify`` on exactly the two signatures each
payment carries (issuer over the credential, member over the payment).
Measured: the whole verifier from QR text (base45, CBOR, COSE, steps 1-13
with an in-memory journal) — without a cache, with the credential cache
(a credential is shared by many payments), and on both cores with the
payments partitioned by credential (rule 13 only relates payments of one
credential, so partitions are independent).
"""

from __future__ import annotations

import multiprocessing as mp
import statistics
import time

from nacl.signing import VerifyKey

from keys import tokens
from keys.sample import SampleCaisse
from keys.trust_list import TrustList
from keys.verify import MemoryJournal, ResultCode, verify_qr

NOW = 1_800_000_000
MEMBERS = 40
PAYMENTS_PER_CREDENTIAL = 25
ROUNDS = 5


def make_payments() -> tuple[TrustList, list[list[str]]]:
    caisse = SampleCaisse(now=NOW)
    by_member = []
    for _ in range(MEMBERS):
        member = caisse.member(allowance_cents=1_000_000)
        by_member.append([member.pay(100 + i, iat=NOW) for i in range(PAYMENTS_PER_CREDENTIAL)])
    return caisse.trust_list(), by_member


def _raw_inputs(qrs: list[str], trust_list: TrustList) -> list[tuple]:
    out = []
    for qr in qrs:
        payment = tokens.decode_token(tokens.from_qr(qr))
        cred = payment.credential
        issuer = VerifyKey(trust_list.issuer(cred.kid).key)
        member = VerifyKey(cred.member_public_key)
        out.append((issuer, cred.sign1.to_be_signed(), cred.sign1.signature,
                    member, payment.sign1.to_be_signed(), payment.sign1.signature))  # fmt: skip
    return out


def raw_rate(inputs: list[tuple]) -> float:
    start = time.perf_counter()
    for issuer, cred_msg, cred_sig, member, pay_msg, pay_sig in inputs:
        issuer.verify(cred_msg, cred_sig)
        member.verify(pay_msg, pay_sig)
    return len(inputs) / (time.perf_counter() - start)


def verifier_rate(qrs: list[str], trust_list: TrustList, cached: bool) -> float:
    journal = MemoryJournal()
    credentials = tokens.CredentialCache() if cached else None
    start = time.perf_counter()
    for qr in qrs:
        result = verify_qr(qr, trust_list=trust_list, merchant_id="m-bench", now=NOW,
                           journal=journal, credentials=credentials)  # fmt: skip
        journal.record(result)
    elapsed = time.perf_counter() - start
    assert result.code is ResultCode.OK
    return len(qrs) / elapsed


def _worker(args: tuple[list[str], TrustList]) -> int:
    qrs, trust_list = args
    journal, credentials = MemoryJournal(), tokens.CredentialCache()
    ok = 0
    for qr in qrs:
        result = verify_qr(qr, trust_list=trust_list, merchant_id="m-bench", now=NOW,
                           journal=journal, credentials=credentials)  # fmt: skip
        journal.record(result)
        ok += result.ok
    return ok


def parallel_rate(by_member: list[list[str]], trust_list: TrustList, workers: int) -> float:
    parts: list[list[str]] = [[] for _ in range(workers)]
    for i, qrs in enumerate(by_member):
        parts[i % workers].extend(qrs)
    with mp.get_context("fork").Pool(workers) as pool:
        pool.map(_worker, [([], trust_list)] * workers)  # warm the workers up
        start = time.perf_counter()
        ok = sum(pool.map(_worker, [(part, trust_list) for part in parts]))
        elapsed = time.perf_counter() - start
    assert ok == sum(len(p) for p in parts)
    return ok / elapsed


def run() -> dict:
    trust_list, by_member = make_payments()
    qrs = [qr for member in by_member for qr in member]
    inputs = _raw_inputs(qrs, trust_list)
    samples: dict[str, list[float]] = {"raw": [], "uncached": [], "cached": [], "two_cores": []}
    for _ in range(ROUNDS):  # interleaved, so machine noise hits every figure alike
        samples["raw"].append(raw_rate(inputs))
        samples["uncached"].append(verifier_rate(qrs, trust_list, cached=False))
        samples["cached"].append(verifier_rate(qrs, trust_list, cached=True))
        samples["two_cores"].append(parallel_rate(by_member, trust_list, workers=2))
    rates = {name: statistics.median(values) for name, values in samples.items()}
    raw = rates["raw"]
    result = {
        "payments": len(qrs),
        "payments_per_credential": PAYMENTS_PER_CREDENTIAL,
        "raw_pynacl_two_signature_payments_per_s": round(raw),
        "verifier_payments_per_s": round(rates["uncached"]),
        "verifier_cached_payments_per_s": round(rates["cached"]),
        "verifier_cached_two_cores_payments_per_s": round(rates["two_cores"]),
        "ratio_uncached": round(rates["uncached"] / raw, 3),
        "ratio_cached": round(rates["cached"] / raw, 3),
        "ratio_cached_two_cores": round(rates["two_cores"] / raw, 3),
    }
    for key, value in result.items():
        print(f"   {key:45} {value}")
    return result
