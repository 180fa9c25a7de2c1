"""File names from people: safe for a server to store, readable for people."""

from __future__ import annotations

import pytest

from bot.core.attachments import display_name, media_type, megabytes, safe_name


@pytest.mark.parametrize(
    ("given", "safe"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\cmd.exe", "cmd.exe"),
        ("/etc/", "file"),
        ("..", "file"),
        (".env", "env"),
        ("", "file"),
        ("a\x00b\x7fc\x1bd.txt", "abcd.txt"),
        ("evil\u202egnp.exe", "evilgnp.exe"),
        ("screen shot (2).png", "screen_shot_(2).png"),
        ("<script>alert(1)</script>.html", "script_.html"),
        ("CON.txt", "_CON.txt"),
        ("résumé.docx", "résumé.docx"),
        ("x" * 300 + ".tar.gz", "x" * 117 + ".gz"),
    ],
)
def test_safe_name(given: str, safe: str) -> None:
    assert safe_name(given) == safe


def test_display_name_keeps_the_name_without_control_characters() -> None:
    assert display_name("../../etc/passwd") == "../../etc/passwd"
    assert display_name("  line\nbreak\t.txt ") == "line break .txt"
    assert display_name("\x00\u200b") == "file"
    assert len(display_name("y" * 1000)) == 255


def test_media_type_only_when_well_formed() -> None:
    assert media_type("image/PNG") == "image/png"
    assert media_type("text/plain; charset=utf-8") == "application/octet-stream"
    assert media_type("bad type") == "application/octet-stream"
    assert media_type(None) == "application/octet-stream"


def test_megabytes() -> None:
    assert megabytes(20 * 1024 * 1024) == "20 MB"
    assert megabytes(512 * 1024) == "0.5 MB"
