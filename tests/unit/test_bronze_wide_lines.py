"""Splitting a UTF-16 or UTF-32 file into physical lines (no Spark: the function the line reader's UDF runs)."""

from __future__ import annotations

from udp.bronze.parse import split_wide_lines


def test_lines_split_on_every_line_break_keeping_blank_lines_and_dropping_the_byte_order_mark() -> None:
    text = "h\r\n\nA;b\rC\n"
    expected = [("h", False), ("", False), ("A;b", False), ("C", False), ("", False)]
    assert split_wide_lines(b"\xff\xfe" + text.encode("utf-16-le"), "UTF-16LE") == expected
    assert split_wide_lines(text.encode("utf-32-be"), "UTF-32BE") == expected
    assert split_wide_lines("\ufeff".encode("utf-16-be") + text.encode("utf-16-be"), "UTF-16") == expected


def test_only_lines_with_undecodable_bytes_are_marked_not_those_holding_a_genuine_replacement_character() -> None:
    lone_surrogate = b"\x00\xd8"
    content = "a\n".encode("utf-16-le") + lone_surrogate + "b\nc\ufffd\n".encode("utf-16-le")
    assert split_wide_lines(content, "UTF-16LE") == [("a", False), ("\ufffdb", True), ("c\ufffd", False), ("", False)]
    assert split_wide_lines("x".encode("utf-16-le") + b"\x41", "UTF-16LE") == [("x\ufffd", True)]
