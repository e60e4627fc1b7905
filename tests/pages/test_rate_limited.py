"""A rate limit reached on a page answers with a page saying when to try again."""

from __future__ import annotations

from tests.pages.conftest import Pages, problem_of, title_of

ENV = {
    "RATE_LIMITER_ENABLED": "true",
    "RATE_LIMITER_POINTS": "3",
    "RATE_LIMITER_DURATION": "600",
}


def test_the_limit_is_a_page_with_retry_after(pages: Pages) -> None:
    answers = [pages.get("/admin/login") for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    limited = answers[-1]
    assert limited.headers["content-type"].startswith("text/html")
    assert limited.headers["retry-after"].isdigit()
    assert title_of(limited.text) == "That did not work"
    assert problem_of(limited.text) == ""
    assert "Too many requests" in limited.text
