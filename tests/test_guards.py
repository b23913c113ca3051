from bot.channels.guards import RateLimiter, SlidingWindow


def test_sliding_window():
    window = SlidingWindow(3, 10.0)
    assert [window.allow("a", now=t) for t in (0, 1, 2, 3)] == [True, True, True, False]
    assert window.allow("b", now=3)  # per key
    assert window.allow("a", now=10.5)  # the first hit has left the window


def test_senders_without_an_ip_do_not_share_one_bucket(monkeypatch):
    monkeypatch.setenv("BOT_RATE_LIMIT_SENDER", "3/60")
    monkeypatch.setenv("BOT_RATE_LIMIT_IP", "4/60")
    limiter = RateLimiter()
    assert [limiter.allow(f"room-{i}", None) for i in range(10)] == [True] * 10  # socket.io rooms
    assert [limiter.allow("room-0", None) for _ in range(3)] == [True, True, False]
    assert [limiter.allow(f"s{i}", "10.0.0.1") for i in range(5)] == [True] * 4 + [False]
