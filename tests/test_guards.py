from bot.channels.guards import SlidingWindow


def test_sliding_window():
    window = SlidingWindow(3, 10.0)
    assert [window.allow("a", now=t) for t in (0, 1, 2, 3)] == [True, True, True, False]
    assert window.allow("b", now=3)          # per key
    assert window.allow("a", now=10.5)       # the first hit has left the window
