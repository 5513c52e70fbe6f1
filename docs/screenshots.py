"""Screenshots of `kg serve` pages, as the README shows them: serve a built graph, open each page in
headless Chromium, save PNGs into docs/, and check what they show (exit 1 when something is wrong).

    python docs/screenshots.py OUT [--entity place/united-states] [--from 2019-03-01 --to 2019-03-31]

OUT is the output folder of a build (the README's are of the 295 Wikinews articles).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("graph")
    ap.add_argument("--entity", default="place/united-states", help="the entity page to show (its path)")
    ap.add_argument("--from", dest="start", default="2019-03-01")
    ap.add_argument("--to", dest="end", default="2019-03-31")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    proc = subprocess.Popen([sys.executable, "-c", "from kg.cli import cli; cli()", "serve", "--graph", args.graph, "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        base = "http://127.0.0.1:" + re.search(r":(\d+)/", proc.stdout.readline()).group(1)
        shots = {
            "serve-articles.png": (f"/articles?from={args.start}&to={args.end}", None),
            "serve-new.png": (f"/new?from={args.start}&to={args.end}", None),
            "serve-timeline.png": (f"/entity/{args.entity}", ".timeline"),
            "serve-overview.png": ("/", None),
        }
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1300, "height": 860})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            for name, (path, anchor) in shots.items():
                page.goto(base + path, wait_until="networkidle")
                if anchor:
                    page.locator(anchor).evaluate("e => e.scrollIntoView({block: 'center'})")
                page.screenshot(path=str(DOCS / name))
                print(f"wrote docs/{name} ({path})")
            errors += checks(page, base, args)
            browser.close()
        if errors:
            sys.exit("page errors: " + "; ".join(errors))
    finally:
        proc.terminate()
        proc.wait(10)


def checks(page, base: str, args) -> list[str]:
    """What the screenshots must show, checked in the same browser: articles in date order, the date
    filter, the entity's timeline, facts on What's new."""
    wrong = []
    page.goto(base + "/articles")
    dates = [d for d in page.locator("td.date").all_inner_texts() if d != "—"]
    if dates != sorted(dates, reverse=True):
        wrong.append("/articles: not newest first")
    page.fill("input[name=from]", args.start)
    page.fill("input[name=to]", args.end)
    page.click("form.dates button")
    page.wait_for_url(f"**/articles?from={args.start}&to={args.end}")
    shown = page.locator("td.date").all_inner_texts()
    if not shown or any(not args.start <= d <= args.end for d in shown) or len(shown) >= len(dates):
        wrong.append(f"/articles: the date filter shows {len(shown)} of {len(dates)}")
    page.goto(base + f"/entity/{args.entity}")
    if page.locator(".timeline .month").count() < 2:
        wrong.append(f"/entity/{args.entity}: no timeline")
    page.goto(base + f"/new?from={args.start}&to={args.end}")
    if page.locator("li.fact").count() < 1:
        wrong.append("/new: no fact")
    print("checked: articles in date order, the date filter, the timeline, What's new" if not wrong else "; ".join(wrong))
    return wrong


if __name__ == "__main__":
    main()
