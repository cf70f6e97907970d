"""The browser till (till_pwa/), as ratios to baselines measured in the same run.

- Node: scans verified per second by the shared JavaScript core (keys/js/) — every SSA1
  vector's scans, and 1,000 payments of 40 members — against raw ``@noble/ed25519``
  ``verifyAsync`` of exactly the signatures those scans carry.
- Headless Chromium: camera frame -> verdict (draw, zxing-wasm decode, verify, IndexedDB
  commit with durability "strict") over a recorded video played by Chromium's fake camera
  (1280x720, a fresh payment per frame, rendered by bench/till_frames.py), median and
  p95, against zxing-wasm's decode alone of the same frames in the same page.
- What the till downloads (gzip, icons aside, the .wasm included) against its 1.5 MB goal.
"""

from __future__ import annotations

import gzip
import json
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
TILL = ROOT / "till_pwa"
GOAL_KB = 1536.0
FRAMES = 40


def download_sizes() -> dict[str, int]:
    """Gzipped bytes of each file the till's service worker precaches (icons aside)."""
    source = (TILL / "sw.js").read_text()
    assets = re.findall(r"'([^']+)'", re.search(r"const ASSETS = \[(.*?)\];", source, re.S)[1])
    sizes = {"sw.js": len(gzip.compress(source.encode(), 6))}
    for path in assets:
        if not path.startswith("icons/"):
            sizes[path] = len(gzip.compress((TILL / path).read_bytes(), 6))
    return sizes


def _node_sets(now: int) -> dict:
    from keys.sample import SampleCaisse

    sets = {}
    vectors = sorted((ROOT / "tests" / "vectors").glob("[0-9][0-9][0-9]-*.json"))
    for path in vectors:
        v = json.loads(path.read_text())
        if v["expect_trust_list"] == "OK":
            sets[f"vector-{path.stem[:3]}"] = {
                "trust_list": v["trust_list"], "root": v["root_public_key"],
                "merchant": v["merchant_id"], "scans": [[s["now"], s["qr"]] for s in v["scans"]],
            }  # fmt: skip
    caisse = SampleCaisse(now=now)
    scans = []
    for _ in range(40):
        member = caisse.member(allowance_cents=1_000_000)
        scans.extend([now, member.pay(100 + i, iat=now)] for i in range(25))
    sets["payments"] = {"trust_list": caisse.signed_trust_list().hex(),
                        "root": caisse.root_public_key.hex(), "merchant": "m-bench",
                        "scans": scans}  # fmt: skip
    return sets


def node_rates(now: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "sets.json"
        data.write_text(json.dumps({"sets": _node_sets(now)}))
        run = subprocess.run(["node", str(ROOT / "bench" / "js" / "verify_rate.mjs"), str(data)],
                             capture_output=True, text=True, check=True, timeout=900)  # fmt: skip
    per_set = json.loads(run.stdout)
    vectors = {k: v for k, v in per_set.items() if k.startswith("vector-")}
    n = sum(v["scans"] for v in vectors.values())
    raw_s = sum(v["scans"] / v["raw_noble_scans_per_s"] for v in vectors.values())
    ver_s = sum(v["scans"] / v["verifier_scans_per_s"] for v in vectors.values())
    return {
        "vectors": {"scans": n, "raw_noble_scans_per_s": round(n / raw_s),
                    "verifier_scans_per_s": round(n / ver_s), "ratio": round(raw_s / ver_s, 3)},
        "payments": per_set["payments"],
    }  # fmt: skip


BENCH_PAGE = """async ({ trustList, root, frames, now }) => {
  const { decodeImageData, warmUp } = await import('/till/js/camera.js');
  const store = await import('/till/js/store.js');
  const { fromHex } = await import('/keys/js/bytes.js');
  const { openTrustList } = await import('/keys/js/trust_list.js');
  const { CredentialCache } = await import('/keys/js/tokens.js');
  const list = await openTrustList(fromHex(trustList), fromHex(root));
  const credentials = new CredentialCache(); // as the till keeps one (till.js)
  await warmUp();
  const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 1280, height: 720 } });
  const video = document.createElement('video');
  video.muted = true;
  video.srcObject = stream;
  await video.play();
  const canvas = document.createElement('canvas');
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const seen = new Set();
  const full = [], decodeOnly = [], codes = [];
  let misses = 0;
  const deadline = performance.now() + 120000;
  while (full.length < frames && performance.now() < deadline) {
    await new Promise((resolve) => video.requestVideoFrameCallback(resolve));
    const t0 = performance.now();
    [canvas.width, canvas.height] = [video.videoWidth, video.videoHeight];
    ctx.drawImage(video, 0, 0);
    const image = ctx.getImageData(0, 0, canvas.width, canvas.height);
    const text = await decodeImageData(image);
    if (!text) { misses++; continue; }
    if (seen.has(text)) continue; // the video looped: this frame was judged already
    const result = await store.judge(text, { trustList: list, merchantId: 'm', now, credentials });
    const t1 = performance.now();
    seen.add(text);
    const t2 = performance.now();
    await decodeImageData(image);
    decodeOnly.push(performance.now() - t2);
    full.push(t1 - t0);
    codes.push(result.code);
  }
  for (const track of stream.getTracks()) track.stop();
  return { full, decodeOnly, codes, misses };
}"""


def _write_video(path: Path, texts: list[str]) -> None:
    from bench.till_frames import render
    from tests.till.till_browser import write_y4m

    frames = []
    for i, text in enumerate(texts):
        rng = np.random.default_rng([7, i])
        frames.append(render(text, "clean" if i % 2 else "tilt", (1280, 720), rng))
    write_y4m(path, frames, fps=5)


def frame_to_verdict(now: int) -> dict:
    from playwright.sync_api import sync_playwright

    from keys.sample import SampleCaisse
    from tests.conftest import launch_chromium, serve_caisse

    caisse = SampleCaisse(now=now)
    members = [caisse.member(allowance_cents=1_000_000) for _ in range(FRAMES // 4)]
    texts = [members[i % len(members)].pay(100 + i, iat=now) for i in range(FRAMES)]
    with tempfile.TemporaryDirectory() as tmp:
        video = Path(tmp) / "counter.y4m"
        _write_video(video, texts)
        with (
            serve_caisse(Path(tmp) / "caisse", caisse="be-bench") as server,
            sync_playwright() as pw,
        ):
            camera = (
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={video}",
            )
            browser = launch_chromium(pw, camera)
            page = browser.new_context(permissions=["camera"]).new_page()
            page.goto(server.url + "/till/")
            page.wait_for_selector("html[data-ready='true']")
            got = page.evaluate(BENCH_PAGE, {"trustList": caisse.signed_trust_list().hex(),
                                             "root": caisse.root_public_key.hex(),
                                             "frames": FRAMES, "now": now})  # fmt: skip
            browser.close()
    full, decode = got["full"], got["decodeOnly"]
    assert full and set(got["codes"]) == {"OK"}, got["codes"]
    p95 = lambda xs: sorted(xs)[min(len(xs) - 1, int(0.95 * len(xs)))]  # noqa: E731
    return {
        "frames": len(full),
        "frames_not_read": got["misses"],
        "frame_to_verdict_median_ms": round(statistics.median(full), 1),
        "frame_to_verdict_p95_ms": round(p95(full), 1),
        "decode_alone_median_ms": round(statistics.median(decode), 1),
        "decode_alone_p95_ms": round(p95(decode), 1),
        "ratio_median": round(statistics.median(full) / statistics.median(decode), 2),
        "ratio_p95": round(p95(full) / p95(decode), 2),
    }


def run() -> dict:
    from tests.conftest import now_s

    now = now_s()
    sizes = download_sizes()
    total_kb = sum(sizes.values()) / 1024
    result: dict = {
        "download_gzip_kb": round(total_kb, 1),
        "download_vs_goal": round(total_kb / GOAL_KB, 3),
        "largest_gzip_bytes": dict(sorted(sizes.items(), key=lambda kv: -kv[1])[:4]),
    }
    print(f"   till download (gzip, icons aside): {total_kb:.1f} KB = "
          f"{result['download_vs_goal']:.2f} x the {GOAL_KB:.0f} KB goal")  # fmt: skip
    result["node"] = node_rates(now)
    for name, figures in result["node"].items():
        print(f"   node, {name}: {figures}")
    if not Path("/usr/bin/chromium").exists():
        result["chromium"] = "skipped: no /usr/bin/chromium"
        return result
    result["chromium"] = frame_to_verdict(now)
    print(f"   chromium, frame -> verdict: {result['chromium']}")
    return result


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    print(json.dumps(run(), indent=1))
