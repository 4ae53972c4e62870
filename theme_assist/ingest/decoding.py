"""Reading a transcript file's bytes as text: size limits, UTF-8 first, then a checked encoding guess.

UTF-8 (with or without a byte-order mark) and BOM-marked UTF-16/32 are read as such, and so is UTF-16 without a
mark whose NUL bytes show it (ASCII text in it is valid UTF-8). Anything else is handed to
charset-normalizer; because its first guess among the Windows code pages is unstable on short Western texts
(cp1252 text is often reported as cp1257 or cp1250), a near-best match from a common Windows code page is preferred,
and between cp1252 and the Central-European code pages, which read the same bytes as other letters ("ñ" or "ń",
"è" or "č"), cp1252 is chosen unless only a Central-European one reads the text as the letters of one language
(every word it reads differently, and most of its words: a Polish text names a "José" too);
the encoding used is logged so a wrong guess is visible. Bytes that no encoding explains — or that decode to
control characters — are refused as "not a text file", and whole lines of Western text in UTF-8 followed by bytes
that are not UTF-8 (a transcript edited in two programs), or preceded by them, are refused naming the lines, as no
one encoding reads both.
"""

from __future__ import annotations

import codecs
import logging
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from charset_normalizer import from_bytes

from theme_assist.errors import InputError
from theme_assist.ingest.registry import NotATranscript

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 200 * 1024 * 1024
"""Files above this size are refused: transcripts are far smaller, and larger files are almost always a mistake."""
NOT_A_FILE = "neither a file nor a folder (a pipe or a device, as <(command) gives): save it as a file and name that"
"""Said of a path that exists but is no regular file (``/dev/fd/63``, ``/dev/zero``), which "no such file" was."""

_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]
_PREFERRED_LEGACY = ["cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257", "latin_1"]
"""Windows code pages, preferred among charset-normalizer's near-equal matches: cp1252 and cp1250 (Latin letters:
:func:`_western_or_central` chooses between them) before all, the others in the order of charset-normalizer's
matches, which it ranks by how well they read as a language (Hebrew in cp1255 also reads as Cyrillic in cp1251:
"ошаййп" for "מראיין"), then most common first."""
_LATIN_FIRST = 2
_CENTRAL_EUROPEAN = ["cp1250", "iso8859_2"]
"""Code pages that read cp1252's accented letters as other letters, tried in this order, before charset-normalizer's
guess, against cp1252 (:func:`_western_or_central`)."""
_GUESSES_TO_CHECK = {"cp1252", "latin_1", "cp1250", "iso8859_2", "cp1257", "iso8859_13", "iso8859_4", "iso8859_16",
                     "cp852", "cp775", "mac_latin2"}
"""charset-normalizer's guesses that :func:`_western_or_central` checks: cp1252 and the Central-European code pages."""
_WESTERN_ALPHABETS = ["äöüßé", "àâæçéèêëîïôœùûüÿ", "áéíóúñü¡¿", "áâãàçéêíóôõú", "àèéìíîòóù", "éèëïöü", "æøåéó",
                      "åäöé", "àçèéíïòóúü", "áðéíóúýþæö"]
"""The letters beyond ASCII of German, French, Spanish, Portuguese, Italian, Dutch, Danish and Norwegian, Swedish and
Finnish, Catalan, Icelandic (Spanish's ¡ ¿ with them)."""
_CENTRAL_ALPHABETS = ["ąćęłńóśźż", "áčďéěíňóřšťúůýž", "áäčďéíĺľňóôŕšťúýž", "áéíóöőúüű", "čćđšž", "ăâîşţ",
                      "ąčęėįšųūž", "āčēģīķļņšūž", "äöõüšž"]
"""The letters beyond ASCII of Polish, Czech, Slovak, Hungarian, Slovenian and Croatian, Romanian, Lithuanian,
Latvian, Estonian."""
_ONE_LANGUAGE_SHARE = 0.8
"""The share of a text's distinct words beyond ASCII that must be of one Central-European language's letters, the
others being foreign names (:func:`_mostly_one_language`)."""
_UTF16_HIGH_SHARE = 0.95
"""The share of a UTF-16 text's code units whose high byte is NUL or its alphabet's (:func:`_utf16_without_bom`)."""
_CHAOS_TOLERANCE = 0.1
_MAX_CONTROL_RATIO = 0.01
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
"""Control characters (category Cc) other than tab and the line/page breaks: text files do not contain them."""
_WESTERN = re.compile("[\u00a0-\u017f\u2010-\u2026\u20ac]")
"""Letters and punctuation of Western texts beyond ASCII: Latin-1, Latin Extended-A, dashes, quotes, ellipsis,
the euro sign. (Not Latin Extended-B: cp1252's "É…" or "Ç…" are valid UTF-8 for letters of it.)"""
_BEYOND_ASCII = re.compile(r"[^\x00-\x7f]")
_WORD_BEYOND_ASCII = re.compile(r"\w*[^\x00-\x7f]\w*")
"""A word with a character beyond ASCII."""
_RUN_BEYOND_ASCII = re.compile(r"[^\x00-\x7f]{3}")
"""Three characters beyond ASCII in a row."""
_TYPOGRAPHIC = "\u00a0¡¿«»\u2010\u2011\u2012\u2013\u2014\u2015\u2018\u2019\u201a\u201c\u201d\u201e\u2026\u20ac"
"""Punctuation of Western texts beyond ASCII: no-break space, Spanish marks, guillemets, dashes, quotes, ellipsis,
the euro sign."""
_EAST_ASIAN = {"big5", "big5hkscs", "cp950", "gb2312", "gbk", "gb18030", "hz", "euc_kr", "cp949", "johab", "euc_jp",
               "shift_jis", "cp932", "euc_jis_2004", "shift_jis_2004", "iso2022_jp", "iso2022_kr"}
"""charset-normalizer's names of multi-byte East Asian encodings."""


@dataclass(frozen=True)
class DecodedText:
    """A file's text (``\\r\\n`` and lone ``\\r`` turned into ``\\n``, no BOM) and the encoding it was read with."""

    text: str
    encoding: str


def check_size(path: Path) -> None:
    """Refuse a missing, empty (:class:`NotATranscript`) or oversized file with a one-line error."""
    if path.is_dir():  # a --metadata given a folder
        raise InputError(f"{path} is a folder, not a file")
    if not path.is_file():
        raise InputError(f"{path} is {NOT_A_FILE}" if path.exists() else f"{path}: no such file")
    size = path.stat().st_size
    if size == 0:
        raise NotATranscript(f"{path} is empty")
    if size > MAX_FILE_BYTES:
        raise InputError(
            f"{path} is {size / 1024**2:.0f} MB, above the {MAX_FILE_BYTES // 1024**2} MB limit "
            "for one file read (a transcript or a table); split it"
        )


def refuse_name_not_utf8(name: str, path: str | Path, why: str) -> None:
    """Refuse a file whose ``name`` (its path, or the part of it that is kept) holds bytes that are not UTF-8 text:
    Python keeps them as lone surrogates, which stopped the writing of every table and project with a traceback,
    after the work. ``why``: what the name becomes.

    Raises
    ------
    InputError
        Naming the file as its bytes read (``caf\\xe9.txt``) and the first such byte.
    """
    try:
        name.encode("utf-8")
    except UnicodeEncodeError as exc:
        char = name[exc.start]
        byte = f" (byte 0x{ord(char) - 0xDC00:02x})" if "\udc80" <= char <= "\udcff" else ""
        shown = str(path).encode("utf-8", "surrogateescape" if byte else "backslashreplace")
        raise InputError(f"{shown.decode('utf-8', 'backslashreplace')}: its name is not UTF-8 text{byte}; rename it "
                         f"({why})") from None


def read_text(path: str | Path, report_guess: bool = True) -> DecodedText:
    """Read a text file, detecting its encoding.

    Parameters
    ----------
    path
        The file to read.
    report_guess
        Log a warning naming the encoding when it is a guess (not UTF-8, no byte-order mark); false for a first
        look at a file that is read again in full.

    Returns
    -------
    DecodedText
        The text with newlines normalised to ``\\n``, and the encoding used (``"utf-8"`` for plain UTF-8).

    Raises
    ------
    NotATranscript
        If the file is empty or only whitespace.
    InputError
        If the file is missing, too large, binary, or in an encoding that cannot be determined.
    """
    path = Path(path)
    check_size(path)
    data = path.read_bytes()
    encoding = _detect_encoding(data, path)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise _not_text(path) from None
    if _control_ratio(text) > _MAX_CONTROL_RATIO:
        raise _not_text(path)
    if report_guess and encoding != "utf-8" and marked_encoding(data) is None:  # a BOM says the encoding outright
        logger.warning("%s: read as %s (not UTF-8); check its special characters", path, encoding)
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise NotATranscript(f"{path} is empty (only whitespace)")
    return DecodedText(text=text, encoding="utf-8" if encoding == "utf-8-sig" else encoding)


def marked_encoding(data: bytes) -> str | None:
    """The encoding ``data``'s byte-order mark names, or None without one."""
    return next((encoding for bom, encoding in _BOMS if data.startswith(bom)), None)


def _detect_encoding(data: bytes, path: Path) -> str:
    marked = marked_encoding(data)
    if marked is not None:
        return marked
    try:
        data.decode("utf-8")
        # NUL is valid UTF-8, but ASCII text in UTF-16 without a byte-order mark is mostly NULs; a few NULs in
        # UTF-8 text (a padded tail) are left to the control-character check, as before
        return (b"\x00" in data and _utf16_without_bom(data)) or "utf-8"
    except UnicodeDecodeError as error:
        first_not_utf8 = error.start
        utf8_text = _utf8_text_before(data, first_not_utf8)
    if utf8_text is not None and _WESTERN.search(utf8_text[:utf8_text.rfind("\n") + 1]):
        # whole lines with accented letters or typographic quotes in UTF-8, then bytes that are not: no one encoding
        # reads both (cp1252 would garble the first); bytes of a CJK encoding may pass for UTF-8 by chance, but as
        # Cyrillic, Greek or CJK characters, hence Western ones only
        raise _not_text(path, utf8_text.count("\n") + 1)
    if utf8_text is not None and (later := _western_utf8_line_after(data, first_not_utf8)):
        # the other way round: a legacy encoding's lines, then a line in UTF-8 that cp1252 would read as "CafÃ©"
        line = data.count(b"\n", 0, first_not_utf8) + 1
        raise InputError(f"{path} is not UTF-8 at line {line} but is at line {later} (mixed encodings?), "
                         "so its encoding cannot be determined; save the file as UTF-8, or fix those lines")
    matches = list(from_bytes(data))
    if b"\x00" in data:
        # NUL bytes without a BOM: only UTF-16/32 text explains them; anything else is binary.
        matches = [m for m in matches if m.encoding.startswith(("utf_16", "utf_32"))]
    if not matches:
        if utf8_text is not None and "\n" in utf8_text:
            raise _not_text(path, utf8_text.count("\n") + 1)
        raise _not_text(path)
    best = min(m.chaos for m in matches)
    near_best = [m for m in matches if m.chaos <= best + _CHAOS_TOLERANCE]
    guess = next((preferred for preferred in _PREFERRED_LEGACY[:_LATIN_FIRST]
                  if any(preferred in m.could_be_from_charset for m in near_best)), None) or next(
        (preferred for m in near_best for preferred in _PREFERRED_LEGACY if preferred in m.could_be_from_charset),
        near_best[0].encoding)
    if guess in _GUESSES_TO_CHECK:
        return _western_or_central(data, guess)
    if (guess in _EAST_ASIAN or _symbols_where_cp1252_has_letters(data, guess)) and _reads_as_western(data):
        return _western_or_central(data, "cp1252")
    return guess


def _utf16_without_bom(data: bytes) -> str | None:
    """``"utf_16_le"`` or ``"utf_16_be"`` where ``data`` reads as UTF-16 text of ASCII, or of ASCII and one
    alphabet: the high bytes of nearly all its code units are NUL or one other value; None otherwise (binary data).
    Only texts whose UTF-16 bytes are also valid UTF-8 come here (ASCII, Cyrillic, curly quotes); Greek, Hebrew or
    Chinese in UTF-16 are not UTF-8 and charset-normalizer reads them."""
    if len(data) % 2:
        return None
    for encoding, high_bytes in (("utf_16_le", data[1::2]), ("utf_16_be", data[0::2])):
        common = Counter(high_bytes).most_common(2)
        if 0 in dict(common) and sum(count for _, count in common) >= _UTF16_HIGH_SHARE * len(high_bytes):
            return encoding
    return None


def _western_or_central(data: bytes, guess: str) -> str:
    """cp1252, unless a Central-European code page reads ``data`` as the letters of one Central-European language
    (:func:`_mostly_one_language`: foreign names aside) and cp1252 does not: cp1252 puts symbols inside words
    ("Pawe³: Czeœæ", "mo¿e"), reads a word as letters of no one Western language ("Jiøí", "Pøišla", "Èekám",
    "že") or reads Hungarian's "ő" and "ű" as "õ" and "û" ("Kérdezõ", "Köszönöm"); ``guess`` where neither code page
    reads it.

    Many bytes are accented letters in both ("niño" or "nińo", "très" or "trčs"): charset-normalizer's choice
    between them on a short text is close to chance, and Western transcripts are the common case, with words of
    several Western languages ("María", "Søren") too. So a text whose every word cp1252 reads as one Western
    language's stays cp1252 ("Dìkuji, dobøe" for "Děkuji, dobře").
    """
    western = _decoded(data, "cp1252")
    for central in dict.fromkeys(_CENTRAL_EUROPEAN + [guess]):
        text = _decoded(data, central)
        if text is None or text == western or _CONTROL_CHARACTERS.search(text) or not _mostly_one_language(
                text, western, _CENTRAL_ALPHABETS) or _symbol_in_word(text, western):  # ISO 8859-2: control chars
            continue
        if western is None or _symbol_in_word(western, text) or _double_acute_read_as_tilde(western) or not all(
                _one_language(word, _WESTERN_ALPHABETS) for word in set(_WORD_BEYOND_ASCII.findall(western))):
            return central
    return "cp1252" if western is not None else guess


def _decoded(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _one_language(text: str, alphabets: list[str]) -> bool:
    """Whether the letters of ``text`` beyond ASCII are all of one of ``alphabets``."""
    letters = {char for char in text.lower() if ord(char) >= 0x80 and char.isalpha()}
    return any(letters <= set(alphabet) for alphabet in alphabets)


def _mostly_one_language(text: str, other: str | None, alphabets: list[str]) -> bool:
    """Whether one of ``alphabets`` has the letters of every word of ``text`` beyond ASCII that another code page's
    reading ``other`` reads differently, and of :data:`_ONE_LANGUAGE_SHARE` of its distinct words beyond ASCII: a
    Polish or Czech transcript names a "José" or a "Doktor Müller" too, in letters both code pages read alike, but
    a Spanish one's "María", "Málaga" and "Škoda" beside a "señor" read as "seńor" are more than a name or two."""
    words = set(_WORD_BEYOND_ASCII.findall(text))
    differing = _words_read_differently(text, other)
    return any(all(_one_language(word, [alphabet]) for word in differing)
               and sum(_one_language(word, [alphabet]) for word in words) >= _ONE_LANGUAGE_SHARE * len(words)
               for alphabet in alphabets)


def _words_read_differently(text: str, other: str | None) -> set[str]:
    """The words of ``text`` beyond ASCII that another code page's reading ``other`` (None: none) reads otherwise."""
    return {match.group() for match in _WORD_BEYOND_ASCII.finditer(text)
            if other is None or other[match.start():match.end()] != match.group()}


def _double_acute_read_as_tilde(western: str) -> bool:
    """Whether cp1252's reading has "õ" or "û" beside "ö" or "ü" and "á", "é", "í", "ó" or "ú": Hungarian's "ő" and
    "ű" beside its "ö", "ü" and acute vowels ("Kérdezõ", "Köszönöm"), which no one Western language has together
    (Estonian has "õ", "ö" and "ü" but no acute vowel: "mõtlete", "ööd")."""
    letters = set(western.lower())
    return all(letters & set(group) for group in ("õû", "öü", "áéíóú"))


def _symbol_in_word(text: str, other: str | None) -> bool:
    """Whether ``text`` has, where another code page's reading ``other`` differs, a symbol that touches a letter
    ("Pawe³", "mo¿e", "£ukasz"; not "£5" or "¿Qué")."""
    for beyond in _BEYOND_ASCII.finditer(text):
        i, char = beyond.start(), beyond.group()
        if char.isalpha() or other is not None and char == other[i]:
            continue
        if text[i - 1:i].isalpha() or (text[i + 1:i + 2].isalpha() and char not in "¡¿"):
            return True
    return False


def _symbols_where_cp1252_has_letters(data: bytes, guess: str) -> bool:
    """Whether ``guess``, a single-byte encoding, reads ``data`` with symbols inside words where cp1252 reads it
    without: a Finnish text ("Hyvää, söimme") that charset-normalizer takes for HP Roman-8 ("Hyvðð, s—imme") or a
    Mac code page ("Hyv‰‰, sˆimme")."""
    text, western = _decoded(data, guess), _decoded(data, "cp1252")
    return (text is not None and western is not None and len(text) == len(western)
            and _symbol_in_word(text, western) and not _symbol_in_word(western, text))


def _reads_as_western(data: bytes) -> bool:
    """Whether ``data`` is mostly ASCII with a few bytes that cp1252 reads as accented letters or typographic
    punctuation: a short Western transcript ("Jörg: Über…") that charset-normalizer takes for Big5 or Johab,
    whose characters are two bytes each and make up much more of a real Chinese or Korean text. In a text of a line
    or two ("Jörg: Über die Tür."), where those bytes are more than a few, they must be letters or typographic
    punctuation, at most two in a row ("Grüß"): Chinese or Korean characters read as longer runs ("ÁÂÁÂ",
    "Ð»Ð»") or as symbols ("¦n")."""
    high = sum(byte >= 0x80 for byte in data)
    text = _decoded(data, "cp1252")
    if not high or text is None or not all(_WESTERN.match(char) for char in text if ord(char) >= 0x80):
        return False
    if high <= 0.05 * len(data):
        return True
    return not _RUN_BEYOND_ASCII.search(text) and all(
        char.isalpha() or char in _TYPOGRAPHIC for char in text if ord(char) >= 0x80)


def _utf8_text_before(data: bytes, first_not_utf8: int) -> str | None:
    """The text before the first byte that is not UTF-8, or None where the file looks binary (NUL bytes, control
    characters there)."""
    text = data[:first_not_utf8].decode("utf-8")
    return None if b"\x00" in data or _CONTROL_CHARACTERS.search(text) else text


def _western_utf8_line_after(data: bytes, first_not_utf8: int) -> int | None:
    """The number of the first line after the one holding byte ``first_not_utf8`` that is UTF-8 with accented
    letters or typographic punctuation (bytes of a legacy encoding almost never are), or None."""
    start = data.find(b"\n", first_not_utf8)
    number = data.count(b"\n", 0, first_not_utf8) + 1
    for line in data[start + 1:].split(b"\n") if start >= 0 else []:
        number += 1
        try:
            if _WESTERN.search(line.decode("utf-8")):
                return number
        except UnicodeDecodeError:
            continue
    return None


def _control_ratio(text: str) -> float:
    return sum(1 for _ in _CONTROL_CHARACTERS.finditer(text)) / max(len(text), 1)


def _not_text(path: Path, line_not_utf8: int | None = None) -> InputError:
    """Refuse a file that no encoding reads; ``line_not_utf8``: the line where UTF-8 text stops being UTF-8."""
    if line_not_utf8 is not None:
        return InputError(f"{path} is UTF-8 up to line {line_not_utf8}, which is not (mixed encodings?), so its "
                          "encoding cannot be determined; save the file as UTF-8, or fix that line")
    return InputError(f"{path} is not a text file or its encoding could not be determined; save it as UTF-8")
