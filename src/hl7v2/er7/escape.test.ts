import { describe, expect, it } from 'vitest';
import { DEFAULT_DELIMITERS } from './delimiters.js';
import { decodeEscapes, encodeEscapes } from './escape.js';

const d = DEFAULT_DELIMITERS;
const d27 = { ...DEFAULT_DELIMITERS, truncation: '#' };

describe('escape sequences', () => {
  it.each([
    ['a\\F\\b', 'a|b'],
    ['a\\S\\b', 'a^b'],
    ['a\\T\\b', 'a&b'],
    ['a\\R\\b', 'a~b'],
    ['a\\E\\b', 'a\\b'],
    ['\\X41\\\\X4243\\', 'ABC'],
    ['x\\.br\\y', 'x\ny'],
    ['x\\.sp\\y', 'x\ny'],
    ['\\H\\bold\\N\\ text', 'bold text'],
    ['\\.ce\\centred', 'centred'],
    ['C:\\path\\file', 'C:\\path\\file'],
    ['trailing \\', 'trailing \\'],
    ['\\Zvendor\\', '\\Zvendor\\'],
    ['\\X4\\', '\\X4\\'],
    ['\\\\', '\\\\'],
    ['none', 'none'],
  ])('decodes %j → %j', (input, expected) => {
    expect(decodeEscapes(input, d)).toBe(expected);
  });

  it('keeps formatting commands verbatim in keep-formatting mode', () => {
    expect(decodeEscapes('\\H\\a\\N\\\\.br\\b\\T\\', d, 'keep-formatting')).toBe('\\H\\a\\N\\\\.br\\b&');
  });

  it('decodes \\P\\ to the truncation character only when one is declared', () => {
    expect(decodeEscapes('a\\P\\b', d27)).toBe('a#b');
    expect(decodeEscapes('a\\P\\b', d)).toBe('a\\P\\b');
  });

  it('uses the message escape character, not a hard-coded backslash', () => {
    const custom = { field: '@', component: '!', repetition: '#', escape: '$', subcomponent: '%' };
    expect(decodeEscapes('a$F$b$S$c\\F\\', custom)).toBe('a@b!c\\F\\');
  });

  it('encodes every delimiter so that decoding gives the value back', () => {
    const value = 'a|b^c~d\\e&f#g\nh\ri';
    const encoded = encodeEscapes(value, d27);
    expect(encoded).not.toMatch(/[|^~&#\n\r]/);
    expect(decodeEscapes(encoded, d27)).toBe(value);
  });
});
