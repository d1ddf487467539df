/*
 * Offset conversions between JavaScript strings and the server.
 *
 * The server counts every offset in Unicode code points into the canonical
 * body; JavaScript strings (and DOM Ranges) count UTF-16 code units. An emoji
 * such as U+1F600 is one code point but two code units, so offsets must be
 * converted explicitly whenever they cross the wire.
 *
 * Plain script: usable from a <script src> under a strict CSP (no eval, no
 * modules) and from Node's require() for tests. Mirrors workbench/text.py.
 */
(function () {
  "use strict";

  function isHighSurrogate(unit) {
    return unit >= 0xd800 && unit <= 0xdbff;
  }

  function isLowSurrogate(unit) {
    return unit >= 0xdc00 && unit <= 0xdfff;
  }

  function requireString(text) {
    if (typeof text !== "string") {
      throw new TypeError("text must be a string");
    }
  }

  function requireOffset(offset, name) {
    if (typeof offset !== "number" || !Number.isInteger(offset)) {
      throw new TypeError(name + " must be an integer, got " + String(offset));
    }
    if (offset < 0) {
      throw new RangeError(name + " " + offset + " is negative");
    }
  }

  // True when a surrogate pair starts at index i. Lone surrogates count as
  // one code point each, as String.prototype[Symbol.iterator] does.
  function pairStartsAt(text, i) {
    return (
      i + 1 < text.length &&
      isHighSurrogate(text.charCodeAt(i)) &&
      isLowSurrogate(text.charCodeAt(i + 1))
    );
  }

  /** Number of code points in text.slice(0, offset16). */
  function utf16ToCodePoints(text, offset16) {
    requireString(text);
    requireOffset(offset16, "UTF-16 offset");
    if (offset16 > text.length) {
      throw new RangeError(
        "UTF-16 offset " + offset16 + " is out of range 0.." + text.length
      );
    }
    if (offset16 > 0 && pairStartsAt(text, offset16 - 1)) {
      throw new RangeError(
        "UTF-16 offset " + offset16 + " falls inside a surrogate pair"
      );
    }
    var count = 0;
    for (var i = 0; i < offset16; i += pairStartsAt(text, i) ? 2 : 1) {
      count += 1;
    }
    return count;
  }

  /** UTF-16 offset of the position cpOffset code points into text. */
  function codePointsToUtf16(text, cpOffset) {
    requireString(text);
    requireOffset(cpOffset, "code-point offset");
    var i = 0;
    var count = 0;
    while (count < cpOffset && i < text.length) {
      i += pairStartsAt(text, i) ? 2 : 1;
      count += 1;
    }
    if (count < cpOffset) {
      throw new RangeError(
        "code-point offset " + cpOffset + " is out of range 0.." + count
      );
    }
    return i;
  }

  /** Length of text in code points (what the server calls len(body)). */
  function codePointLength(text) {
    requireString(text);
    return utf16ToCodePoints(text, text.length);
  }

  var api = Object.freeze({
    utf16ToCodePoints: utf16ToCodePoints,
    codePointsToUtf16: codePointsToUtf16,
    codePointLength: codePointLength,
  });

  if (typeof module !== "undefined" && module.exports) {
    module.exports = api;
  }
  if (typeof window !== "undefined") {
    window.WorkbenchOffsets = api;
  }
})();
