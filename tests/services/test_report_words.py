"""The report's words: names read as words, times as London's clock to the second."""

from __future__ import annotations

from services.report_words import detail_words, local_time, words


def test_names_read_as_words_with_their_acronyms() -> None:
    assert words("AlertAdjudicated") == "Alert adjudicated"
    assert words("authorising_officer") == "Authorising officer"
    assert words("dpo") == "DPO"
    assert detail_words({"decision": "false_alert", "duration_s": 240}) == (
        "Decision: false alert; Duration (seconds): 240"
    )


def test_times_are_londons_to_the_second_with_the_zone_named() -> None:
    assert local_time("2026-11-26T10:05:00.123456+00:00") == "Thu 26 Nov 2026, 10:05:00 GMT"
    assert local_time("2026-07-01T12:00:00.5+00:00") == "Wed 1 Jul 2026, 13:00:00 BST"
    assert local_time(None) == "–"
