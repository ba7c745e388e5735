"""The student page on an emulated 2G phone: bytes and time for what a student waits on.

Starts a private PostgreSQL and Redis and one ``ujian serve`` on loopback, seeds the
WORKLOAD.md exam (150 items), and drives Debian's Chromium (Playwright) through the Chrome
DevTools Protocol at 2G: ``Network.emulateNetworkConditions`` 250 kbps down, 50 kbps up,
300 ms round trip, and ``Emulation.setCPUThrottlingRate`` 4 (a phone's CPU). Printed, each
as bytes on the wire (compressed, headers included, as DevTools counts them) and seconds:

- ``sign_in_page``: the first visit, up to the sign-in form (every page file, cold);
- ``start_to_first_question``: from the tap on "Mulai" (Start) until question 1 is drawn;
- ``reload_mid_exam``: a reload while sitting, until the question is drawn again (the page's
  files from the service worker, the questions from the device: 304);
- ``answer_save``: from a tap on an option until the server's acknowledgement arrives.

    .venv/bin/python bench/bench_2g.py
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.async_api import CDPSession, Page, async_playwright

from bench.loadgen.client import Api
from bench.loadgen.harness import Cluster
from bench.loadgen.seed import PASSWORD, seed
from bench.loadgen.stats import Stats

CHROMIUM = "/usr/bin/chromium"
KBPS = 1000 / 8  # bytes per second in one kilobit per second


class Wire:
    """Bytes the page received, as DevTools counts them (encodedDataLength: on the wire)."""

    def __init__(self) -> None:
        self.bytes = 0
        self.requests = 0

    def finished(self, event: dict[str, Any]) -> None:
        self.bytes += int(event.get("encodedDataLength", 0))
        self.requests += 1

    def reset(self) -> None:
        self.bytes = self.requests = 0


async def throttle(cdp: CDPSession, args: argparse.Namespace) -> None:
    await cdp.send("Network.enable")
    await cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": args.rtt_ms,
            "downloadThroughput": args.down_kbps * KBPS,
            "uploadThroughput": args.up_kbps * KBPS,
        },
    )
    await cdp.send("Emulation.setCPUThrottlingRate", {"rate": args.cpu_slowdown})


async def measure(
    wire: Wire, name: str, step: Any, results: dict[str, tuple[int, int, float]]
) -> None:
    wire.reset()
    started = time.perf_counter()
    await step()
    results[name] = (wire.bytes, wire.requests, time.perf_counter() - started)


async def run(args: argparse.Namespace, cluster: Cluster) -> None:
    proc = cluster.start_api()
    api = Api(proc.url, Stats(), connections=4)
    try:
        plan = await seed(api, cluster.database_url, 1)
    finally:
        await api.close()
    results: dict[str, tuple[int, int, float]] = {}
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        context = await browser.new_context(
            viewport={"width": 360, "height": 740}, locale="id-ID", service_workers="allow"
        )
        page: Page = await context.new_page()
        cdp = await context.new_cdp_session(page)
        wire = Wire()
        cdp.on("Network.loadingFinished", wire.finished)
        await throttle(cdp, args)

        async def sign_in_page() -> None:
            await page.goto(proc.url + "/")
            await page.wait_for_selector("#signin")

        await measure(wire, "sign_in_page", sign_in_page, results)
        await page.fill("#username", plan.students[0])
        await page.fill("#password", PASSWORD)
        await page.click("#signin")
        start = page.locator(f"button[data-exam='{plan.exam_id}']")
        await start.wait_for(timeout=120_000)
        # the service worker keeps the page's files from here on
        await page.wait_for_function("() => navigator.serviceWorker.controller", timeout=120_000)

        async def first_question() -> None:
            await start.click()
            await page.wait_for_selector("section.item", timeout=120_000)

        await measure(wire, "start_to_first_question", first_question, results)

        async def reload() -> None:
            await page.reload()
            await page.wait_for_selector("section.item", timeout=120_000)

        await measure(wire, "reload_mid_exam", reload, results)

        sent: dict[str, float] = {}

        async def answer() -> None:
            page.on("request", lambda r: sent.setdefault(r.url, time.perf_counter()))
            async with page.expect_response(
                lambda r: r.url.endswith("/answers"), timeout=120_000
            ) as reply:
                clicked = time.perf_counter()
                await page.locator("section.item label.opt").first.click()
            await (await reply.value).finished()
            await page.wait_for_selector("#net:has-text('Semua jawaban tersimpan')")
            posted = next(t for url, t in sent.items() if url.endswith("/answers"))
            # the page waits a moment for more changes before it sends (it batches them)
            results["answer_tap_to_request"] = (0, 0, posted - clicked)

        await measure(wire, "answer_save", answer, results)
        await browser.close()

    print(
        f"\n2G: {args.down_kbps}/{args.up_kbps} kbps, {args.rtt_ms} ms RTT, "
        f"CPU x{args.cpu_slowdown}; the WORKLOAD exam (150 items), one server on loopback"
    )
    for name, (size, requests, seconds) in results.items():
        print(f"{name:24} {size:8d} bytes  {requests:3d} requests  {seconds:6.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--down-kbps", type=int, default=250)
    parser.add_argument("--up-kbps", type=int, default=50)
    parser.add_argument("--rtt-ms", type=int, default=300)
    parser.add_argument("--cpu-slowdown", type=float, default=4)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="ujian-bench-2g-"))
    cluster = Cluster(folder)
    cluster.start_stores()
    try:
        asyncio.run(run(args, cluster))
    finally:
        cluster.stop()
        if not os.environ.get("UJIAN_BENCH_KEEP"):
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
