"""Debian's Chromium driven by Playwright, for the console's browser tests (the `browser` fixture in
conftest launches it once per module), and screenshots for a reviewer in test-artifacts/ (git-ignored)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

CHROMIUM = "/usr/bin/chromium"
#: Playwright adds --headless and a fresh, empty user-data-dir of its own to every launch
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
