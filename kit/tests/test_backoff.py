"""Retry delays grow, are capped, and start over after a success."""

from chengyu_kit.backoff import Backoff


def test_delays_double_until_the_cap() -> None:
    backoff = Backoff(initial=0.1, maximum=1.0, jitter=0.0)
    assert [backoff.next_delay() for _ in range(6)] == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]


def test_jitter_stays_within_its_fraction() -> None:
    backoff = Backoff(initial=1.0, maximum=1.0, jitter=0.2)
    delays = [backoff.next_delay() for _ in range(200)]
    assert all(0.8 <= d <= 1.2 for d in delays)


def test_reset_starts_again_from_the_initial_delay() -> None:
    backoff = Backoff(initial=0.5, maximum=10.0, jitter=0.0)
    backoff.next_delay()
    backoff.next_delay()
    backoff.reset()
    assert backoff.next_delay() == 0.5
