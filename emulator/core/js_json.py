"""The message of the ``SyntaxError`` V8's ``JSON.parse`` throws, in plain Python.

The server quotes it in ``Invalid JSON at line N: <message>`` for a bad NDJSON batch line
(contract triggering.md §7). This follows V8's JSON parser (``src/json/json-parser.cc``) as
shipped in production's Node 24: where it stops, which template it picks, the position (in
UTF-16 code units) with its ``(line L column C)``, and the context excerpt of the "Unexpected
token" messages. Only the error is computed; parsing itself stays with ``json``.
"""

from __future__ import annotations

__all__ = ["error_message"]

_EOS, _STRING, _NUMBER, _LBRACE, _RBRACE, _LBRACK, _RBRACK, _TRUE, _FALSE, _NULL, _WS, _COLON, _COMMA, _ILLEGAL = range(14)
_ONE_CHAR = {
    ord('"'): _STRING, ord("-"): _NUMBER, ord("["): _LBRACK, ord("{"): _LBRACE, ord("]"): _RBRACK,
    ord("}"): _RBRACE, ord("t"): _TRUE, ord("f"): _FALSE, ord("n"): _NULL, ord(" "): _WS, ord("\t"): _WS,
    ord("\r"): _WS, ord("\n"): _WS, ord(":"): _COLON, ord(","): _COMMA,
    **{c: _NUMBER for c in range(0x30, 0x3A)},
}
_ESCAPES = {ord(c) for c in 'btnfru"\\/'}
_NUMBER_PART = {ord(c) for c in ".eE-+0123456789"}
_SPECIAL = ("[object Object]", "undefined", "Infinity", "NaN")
_MAX_CONTEXT = 10
_MIN_LENGTH_FOR_CONTEXT = 21

_AT = " in JSON at position {pos} (line {line} column {column})"
EXPECTED_PROP_NAME_OR_RBRACE = "Expected property name or '}'" + _AT
EXPECTED_COMMA_OR_RBRACK = "Expected ',' or ']' after array element" + _AT
EXPECTED_COMMA_OR_RBRACE = "Expected ',' or '}' after property value" + _AT
EXPECTED_COLON = "Expected ':' after property name" + _AT
EXPECTED_DOUBLE_QUOTED = "Expected double-quoted property name" + _AT
UNTERMINATED_STRING = "Unterminated string" + _AT
BAD_CONTROL = "Bad control character in string literal" + _AT
BAD_UNICODE = "Bad Unicode escape" + _AT
BAD_ESCAPE = "Bad escaped character" + _AT
NO_NUMBER_AFTER_MINUS = "No number after minus sign" + _AT
UNTERMINATED_FRACTION = "Unterminated fractional number" + _AT
EXPONENT_MISSING = "Exponent part is missing a number" + _AT
NON_WHITESPACE_AFTER = "Unexpected non-whitespace character after JSON at position {pos} (line {line} column {column})"


class _Fail(Exception):
    def __init__(self, message: str) -> None:
        self.message = message


class _Parser:
    def __init__(self, text: str) -> None:
        raw = text.encode("utf-16-le", "surrogatepass")
        self.units = [int.from_bytes(raw[i : i + 2], "little") for i in range(0, len(raw), 2)]
        self.cursor = 0
        self.next = _EOS

    # -- reading --------------------------------------------------------------------------
    def _at_end(self) -> bool:
        return self.cursor >= len(self.units)

    def _current(self) -> int:
        return -1 if self._at_end() else self.units[self.cursor]

    def _next_char(self) -> int:
        self.cursor += 1
        return self._current()

    def _skip_whitespace(self) -> None:
        self.next = _EOS
        while not self._at_end():
            token = _ONE_CHAR.get(self.units[self.cursor], _ILLEGAL)
            if token != _WS:
                self.next = token
                return
            self.cursor += 1

    def _check(self, token: int) -> bool:
        self._skip_whitespace()
        if self.next != token:
            return False
        self.cursor += 1
        return True

    def _expect(self, token: int, template: str | None = None) -> None:
        if self.next == token:
            self.cursor += 1
        else:
            self._report(self.next, template)

    def _expect_next(self, token: int, template: str | None = None) -> None:
        self._skip_whitespace()
        self._expect(token, template)

    # -- errors ---------------------------------------------------------------------------
    def _text(self, start: int, end: int | None = None) -> str:
        chunk = self.units[start:end]
        data = b"".join(u.to_bytes(2, "little") for u in chunk)
        # A cut surrogate pair cannot be sent as UTF-8; JS would escape it, we substitute.
        return data.decode("utf-16-le", "replace")

    def _location(self) -> tuple[int, int]:
        line, last_break, index = 1, 0, 0
        while index < self.cursor:
            unit = self.units[index]
            if unit == 0x0D and index < self.cursor - 1 and self.units[index + 1] == 0x0A:
                index += 1
                unit = 0x0A
            if unit in (0x0D, 0x0A):
                line += 1
                last_break = index + 1
            index += 1
        return line, 1 + index - last_break

    def _report(self, token: int, template: str | None = None) -> None:
        pos = self.cursor
        if template is not None:
            line, column = self._location()
            raise _Fail(template.replace("{pos}", str(pos)).replace("{line}", str(line)).replace("{column}", str(column)))
        if token == _EOS:
            raise _Fail("Unexpected end of JSON input")
        if token in (_NUMBER, _STRING):
            line, column = self._location()
            kind = "number" if token == _NUMBER else "string"
            raise _Fail(f"Unexpected {kind} in JSON at position {pos} (line {line} column {column})")
        source = self._text(0)
        if source in _SPECIAL:
            raise _Fail(f'"{source}" is not valid JSON')
        char = self._text(pos, pos + 1)
        length = len(self.units)
        if length < _MIN_LENGTH_FOR_CONTEXT:
            raise _Fail(f"Unexpected token '{char}', \"{source}\" is not valid JSON")
        if pos < _MAX_CONTEXT:
            raise _Fail(f"Unexpected token '{char}', \"{self._text(0, pos + _MAX_CONTEXT)}\"... is not valid JSON")
        if pos < length - _MAX_CONTEXT:
            excerpt = self._text(pos - _MAX_CONTEXT, pos + _MAX_CONTEXT)
            raise _Fail(f"Unexpected token '{char}', ...\"{excerpt}\"... is not valid JSON")
        raise _Fail(f"Unexpected token '{char}', ...\"{self._text(pos - _MAX_CONTEXT)}\" is not valid JSON")

    def _report_char(self, char: int) -> None:
        token = _EOS if char == -1 else (_ONE_CHAR.get(char, _ILLEGAL) if char <= 0xFF else _ILLEGAL)
        self._report(token)

    # -- scanning -------------------------------------------------------------------------
    def _string(self) -> None:
        """After the opening quote, up to and past the closing one."""
        while True:
            while not self._at_end():
                unit = self.units[self.cursor]
                if unit < 0x20 or unit in (0x22, 0x5C):
                    break
                self.cursor += 1
            if self._at_end():
                self._report(_ILLEGAL, UNTERMINATED_STRING)
            unit = self.units[self.cursor]
            if unit == 0x22:
                self.cursor += 1
                return
            if unit == 0x5C:
                char = self._next_char()
                if not 0 <= char <= 0xFF:
                    self._report_char(char)
                if char not in _ESCAPES:
                    self._report(_ILLEGAL, BAD_ESCAPE)
                if char == ord("u"):
                    for _ in range(4):
                        digit = self._next_char()
                        if not (0x30 <= digit <= 0x39 or 0x41 <= digit <= 0x46 or 0x61 <= digit <= 0x66):
                            self._report(_ILLEGAL, BAD_UNICODE)
                self.cursor += 1
                continue
            self._report(_ILLEGAL, BAD_CONTROL)

    def _number(self) -> None:
        char = self._current()
        sign = 1
        if char == ord("-"):
            sign = -1
            char = self._next_char()
        if char == ord("0"):
            char = self._next_char()
            if 0 <= char <= 0xFF and char in _NUMBER_PART:
                if 0x30 <= char <= 0x39:
                    self._report(_NUMBER)
            elif sign > 0:
                return
        else:
            start = self.cursor
            while 0x30 <= self._current() <= 0x39:
                self.cursor += 1
            if start == self.cursor:
                self._report(_ILLEGAL, NO_NUMBER_AFTER_MINUS)
        if self._current() == ord("."):
            char = self._next_char()
            if not 0x30 <= char <= 0x39:
                self._report(_ILLEGAL, UNTERMINATED_FRACTION)
            while 0x30 <= self._current() <= 0x39:
                self.cursor += 1
        if self._current() in (ord("e"), ord("E")):
            char = self._next_char()
            if char in (ord("-"), ord("+")):
                char = self._next_char()
            if not 0x30 <= char <= 0x39:
                self._report(_ILLEGAL, EXPONENT_MISSING)
            while 0x30 <= self._current() <= 0x39:
                self.cursor += 1

    def _literal(self, word: str) -> None:
        expected = [ord(c) for c in word]
        remaining = len(self.units) - self.cursor
        if remaining >= len(word) and self.units[self.cursor : self.cursor + len(word)] == expected:
            self.cursor += len(word)
            return
        self.cursor += 1
        for index in range(min(len(word) - 1, remaining - 1)):
            if expected[1 + index] != self.units[self.cursor]:
                self._report_char(self.units[self.cursor])
            self.cursor += 1
        self._report(_EOS)

    def parse(self) -> None:
        stack: list[str] = []  # "object" / "array" continuations
        while True:
            while True:  # produce a value
                self._skip_whitespace()
                token = self.next
                if token == _STRING:
                    self.cursor += 1
                    self._string()
                elif token == _NUMBER:
                    self._number()
                elif token == _LBRACE:
                    self.cursor += 1
                    if self._check(_RBRACE):
                        break
                    stack.append("object")
                    self._expect_next(_STRING, EXPECTED_PROP_NAME_OR_RBRACE)
                    self._string()
                    self._expect_next(_COLON, EXPECTED_COLON)
                    continue
                elif token == _LBRACK:
                    self.cursor += 1
                    if self._check(_RBRACK):
                        break
                    stack.append("array")
                    continue
                elif token == _TRUE:
                    self._literal("true")
                elif token == _FALSE:
                    self._literal("false")
                elif token == _NULL:
                    self._literal("null")
                else:
                    self._report_char(self._current())
                break
            while True:  # consume the produced value
                if not stack:
                    if not self._check(_EOS):
                        self._report(self.next, NON_WHITESPACE_AFTER)
                    return
                if stack[-1] == "object":
                    if self._check(_COMMA):
                        self._expect_next(_STRING, EXPECTED_DOUBLE_QUOTED)
                        self._string()
                        self._expect_next(_COLON)
                        break
                    self._expect(_RBRACE, EXPECTED_COMMA_OR_RBRACE)
                else:
                    if self._check(_COMMA):
                        break
                    self._expect(_RBRACK, EXPECTED_COMMA_OR_RBRACK)
                stack.pop()


def error_message(text: str) -> str | None:
    """The message ``JSON.parse(text)`` throws in Node 24, or None when ``text`` is valid JSON."""
    try:
        _Parser(text).parse()
    except _Fail as failure:
        return failure.message
    return None
