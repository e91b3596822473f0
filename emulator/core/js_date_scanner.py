"""The tokenizer of V8's date parser (``DateStringTokenizer`` over ``InputReader``), for
``js_date``: numbers, symbols, keywords (months, zones, am/pm, ``T``), whitespace and skipped
parentheses, over UTF-16 code units; a NUL ends the input."""

from __future__ import annotations

from dataclasses import dataclass

MAX_SIGNIFICANT_DIGITS = 9

# Token kinds (V8's DateToken tags) and keyword types.
INVALID, UNKNOWN, WHITESPACE, NUMBER, SYMBOL, END = range(-6, 0)
KW_INVALID, MONTH_NAME, TIME_ZONE_NAME, TIME_SEPARATOR, AM_PM = range(5)

_KEYWORDS: list[tuple[str, int, int]] = [
    *((name, MONTH_NAME, n) for n, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)),
    ("am", AM_PM, 0), ("pm", AM_PM, 12),
    ("ut", TIME_ZONE_NAME, 0), ("utc", TIME_ZONE_NAME, 0), ("z", TIME_ZONE_NAME, 0), ("gmt", TIME_ZONE_NAME, 0),
    ("cdt", TIME_ZONE_NAME, -5), ("cst", TIME_ZONE_NAME, -6), ("edt", TIME_ZONE_NAME, -4),
    ("est", TIME_ZONE_NAME, -5), ("mdt", TIME_ZONE_NAME, -6), ("mst", TIME_ZONE_NAME, -7),
    ("pdt", TIME_ZONE_NAME, -7), ("pst", TIME_ZONE_NAME, -8),
    ("t", TIME_SEPARATOR, 0),
]

# ECMAScript WhiteSpace code units. A word is read while the unit is >= 'A' and not one of
# these, so U+2028/U+2029 (line terminators, but not WhiteSpace) are word characters.
_SPACE_UNITS = frozenset([0x09, 0x0B, 0x0C, 0x20, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x202F, 0x205F, 0x3000, 0xFEFF])
_WHITESPACE_UNITS = _SPACE_UNITS | {0x0A, 0x0D, 0x2028, 0x2029}


@dataclass
class Token:
    tag: int
    length: int = 0
    value: int = -1

    def is_number(self, length: int | None = None) -> bool:
        return self.tag == NUMBER and (length is None or self.length == length)

    def is_symbol(self, char: str) -> bool:
        return self.tag == SYMBOL and self.value == ord(char)

    def is_sign(self) -> bool:
        return self.tag == SYMBOL and self.value in (ord("+"), ord("-"))

    @property
    def sign(self) -> int:
        return 44 - self.value  # '+' -> 1, '-' -> -1

    def is_keyword(self, kind: int | None = None) -> bool:
        return self.tag >= 0 and (kind is None or self.tag == kind)

    def is_z(self) -> bool:
        return self.tag == TIME_ZONE_NAME and self.length == 1 and self.value == 0


class Scanner:
    """``InputReader`` + ``DateStringTokenizer`` over UTF-16 code units; a NUL ends the input."""

    def __init__(self, text: str) -> None:
        raw = text.encode("utf-16-le", "surrogatepass")
        self._units = [int.from_bytes(raw[i : i + 2], "little") for i in range(0, len(raw), 2)]
        self._index = 0
        self._ch = 0
        self._advance()
        self._next = self._scan()

    def _advance(self) -> None:
        self._ch = self._units[self._index] if self._index < len(self._units) else 0
        self._index += 1

    def _digit(self) -> bool:
        return 0x30 <= self._ch <= 0x39

    def _word_char(self) -> bool:
        return self._ch >= 0x41 and self._ch not in _SPACE_UNITS

    def _scan(self) -> Token:
        start = self._index
        ch = self._ch
        if ch == 0:
            return Token(END, 0)
        if self._digit():
            value = digits = 0
            while self._ch == 0x30:
                self._advance()
            while self._digit():
                if digits < MAX_SIGNIFICANT_DIGITS:
                    value = value * 10 + self._ch - 0x30
                digits += 1
                self._advance()
            return Token(NUMBER, self._index - start, value)
        if ch in (0x3A, 0x2D, 0x2B, 0x2E, 0x29):  # : - + . )
            self._advance()
            return Token(SYMBOL, 1, ch)
        if self._word_char():
            prefix: list[int] = []
            length = 0
            while self._word_char():
                if length < 3:
                    prefix.append(self._ch | 0x20)
                length += 1
                self._advance()
            return self._keyword(prefix, length)
        if ch in _WHITESPACE_UNITS:
            self._advance()
            return Token(WHITESPACE, self._index - start)
        if ch == 0x28:  # '(' ... balanced ')'
            balance = 0
            while True:
                if self._ch == 0x29:
                    balance -= 1
                elif self._ch == 0x28:
                    balance += 1
                self._advance()
                if not (balance > 0 and self._ch):
                    break
            return Token(UNKNOWN, 1)
        self._advance()
        return Token(UNKNOWN, 1)

    @staticmethod
    def _keyword(prefix: list[int], length: int) -> Token:
        padded = prefix + [0] * (3 - len(prefix))
        for name, kind, value in _KEYWORDS:
            entry = [ord(c) for c in name] + [0] * (3 - len(name))
            if padded == entry and (length <= 3 or kind == MONTH_NAME):
                return Token(kind, length, value)
        return Token(KW_INVALID, length, 0)

    def next(self) -> Token:
        token = self._next
        self._next = self._scan()
        return token

    def peek(self) -> Token:
        return self._next

    def skip_symbol(self, char: str) -> bool:
        if self._next.is_symbol(char):
            self._next = self._scan()
            return True
        return False
