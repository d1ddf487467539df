"use strict";
// Tests of static/js/offsets.js with Node's built-in runner: node --test tests/js/

const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const vm = require("node:vm");

const SCRIPT = path.join(__dirname, "..", "..", "static", "js", "offsets.js");
const {
  utf16ToCodePoints,
  codePointsToUtf16,
  codePointLength,
} = require(SCRIPT);

const EMOJI = "\u{1F600}"; // 😀: one code point, two UTF-16 units
const HEALTH_WORKER = "\u{1F469}\u200D\u2695\uFE0F"; // 👩‍⚕️ (ZWJ sequence)
const RLM = "\u200F";
const LRM = "\u200E";
const RLI = "\u2067";
const LRI = "\u2066";
const FSI = "\u2068";
const PDI = "\u2069";
// Same string as ARABIC_BODY in tests/test_text.py.
const ARABIC_BODY =
  `${RLI}هل هذا صحيح؟${PDI} نعم، هذا صحيح.${RLM} ${LRI}OK${PDI} ${FSI}${EMOJI}${PDI}`;
const TRICKY =
  `a${EMOJI}${HEALTH_WORKER} e\u0301 é ${RLM}قال${LRM} ${ARABIC_BODY}\n${EMOJI}${EMOJI}.`;

// Reference implementations built on the string iterator (code points).
function referenceCodePoints(text, offset16) {
  return Array.from(text.slice(0, offset16)).length;
}
function referenceUtf16(text, cpOffset) {
  return Array.from(text).slice(0, cpOffset).join("").length;
}

test("exports exactly the three functions, frozen", () => {
  const api = require(SCRIPT);
  assert.deepEqual(Object.keys(api).sort(), [
    "codePointLength",
    "codePointsToUtf16",
    "utf16ToCodePoints",
  ]);
  assert.ok(Object.isFrozen(api));
});

test("defines window.WorkbenchOffsets when loaded as a browser script", () => {
  const sandbox = { window: {} };
  vm.runInNewContext(fs.readFileSync(SCRIPT, "utf8"), sandbox);
  const api = sandbox.window.WorkbenchOffsets;
  assert.equal(typeof api.utf16ToCodePoints, "function");
  assert.equal(api.codePointLength(EMOJI), 1);
});

test("ASCII offsets are identical in both units", () => {
  for (let i = 0; i <= 3; i += 1) {
    assert.equal(utf16ToCodePoints("abc", i), i);
    assert.equal(codePointsToUtf16("abc", i), i);
  }
  assert.equal(codePointLength(""), 0);
  assert.equal(codePointLength("abc"), 3);
});

test("emoji take two units but one code point", () => {
  const text = `a${EMOJI}b`;
  assert.equal(text.length, 4);
  assert.equal(codePointLength(text), 3);
  assert.deepEqual([0, 1, 2, 3].map((i) => codePointsToUtf16(text, i)), [0, 1, 3, 4]);
  assert.deepEqual([0, 1, 3, 4].map((u) => utf16ToCodePoints(text, u)), [0, 1, 2, 3]);
});

test("ZWJ sequence counts each code point", () => {
  assert.equal(HEALTH_WORKER.length, 5);
  assert.equal(codePointLength(HEALTH_WORKER), 4);
  assert.deepEqual(
    [0, 1, 2, 3, 4].map((i) => codePointsToUtf16(HEALTH_WORKER, i)),
    [0, 2, 3, 4, 5],
  );
  assert.throws(() => utf16ToCodePoints(HEALTH_WORKER, 1), RangeError);
});

test("combining marks: offsets refer to the NFC text the server sends", () => {
  const decomposed = "Cafe\u0301 ok";
  const composed = decomposed.normalize("NFC");
  assert.equal(codePointLength(decomposed), 8);
  assert.equal(codePointLength(composed), 7);
  // The server's offset of "ok" in its canonical (composed) body is 5.
  assert.equal(codePointsToUtf16(composed, 5), composed.indexOf("ok"));
  assert.equal(utf16ToCodePoints(composed, composed.indexOf("ok")), 5);
});

test("Arabic between directional marks", () => {
  const text = `${RLM}قال${LRM} ${RLI}مرحبا${PDI}`;
  for (let i = 0; i <= text.length; i += 1) {
    assert.equal(utf16ToCodePoints(text, i), i);
    assert.equal(codePointsToUtf16(text, i), i);
  }
  // Only the trailing emoji is astral; the Python test asserts the same lengths.
  assert.equal(codePointLength(ARABIC_BODY) + 1, ARABIC_BODY.length);
  const answer = ARABIC_BODY.indexOf("نعم");
  assert.equal(utf16ToCodePoints(ARABIC_BODY, answer), answer);
});

test("an offset inside a surrogate pair throws RangeError", () => {
  assert.throws(() => utf16ToCodePoints(`a${EMOJI}b`, 2), {
    name: "RangeError",
    message: /surrogate pair/,
  });
  assert.throws(() => utf16ToCodePoints(EMOJI, 1), RangeError);
});

test("out-of-range and malformed offsets throw", () => {
  assert.throws(() => utf16ToCodePoints("abc", 4), RangeError);
  assert.throws(() => utf16ToCodePoints("abc", -1), RangeError);
  assert.throws(() => codePointsToUtf16(`a${EMOJI}`, 3), RangeError);
  assert.throws(() => codePointsToUtf16("abc", -1), RangeError);
  assert.throws(() => codePointsToUtf16("", 1), RangeError);
  assert.throws(() => utf16ToCodePoints("abc", 1.5), TypeError);
  assert.throws(() => utf16ToCodePoints("abc", "1"), TypeError);
  assert.throws(() => codePointsToUtf16("abc", NaN), TypeError);
  assert.throws(() => codePointLength(null), TypeError);
});

test("lone surrogates count as one code point each, like the string iterator", () => {
  const text = "a\uD800b\uDC00c";
  assert.equal(codePointLength(text), 5);
  for (let i = 0; i <= text.length; i += 1) {
    assert.equal(utf16ToCodePoints(text, i), i);
  }
});

test("round trip over every boundary of a tricky string", () => {
  const length = codePointLength(TRICKY);
  assert.equal(length, Array.from(TRICKY).length);
  for (let cp = 0; cp <= length; cp += 1) {
    const unit = codePointsToUtf16(TRICKY, cp);
    assert.equal(unit, referenceUtf16(TRICKY, cp));
    assert.equal(utf16ToCodePoints(TRICKY, unit), cp);
  }
  for (let unit = 0; unit <= TRICKY.length; unit += 1) {
    const insidePair =
      unit > 0 &&
      /[\uD800-\uDBFF]/.test(TRICKY[unit - 1]) &&
      /[\uDC00-\uDFFF]/.test(TRICKY[unit]);
    if (insidePair) {
      assert.throws(() => utf16ToCodePoints(TRICKY, unit), RangeError);
    } else {
      const cp = utf16ToCodePoints(TRICKY, unit);
      assert.equal(cp, referenceCodePoints(TRICKY, unit));
      assert.equal(codePointsToUtf16(TRICKY, cp), unit);
    }
  }
});

test("long texts convert in linear time", () => {
  const text = `word ${EMOJI} ${HEALTH_WORKER} é `.repeat(50000);
  const length = codePointLength(text);
  assert.equal(codePointsToUtf16(text, length), text.length);
  assert.equal(utf16ToCodePoints(text, text.length), length);
});
