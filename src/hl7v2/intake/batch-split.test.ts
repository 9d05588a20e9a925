import { describe, expect, it } from 'vitest';
import { splitUpload } from './batch-split.js';

describe('splitUpload', () => {
  it('splits a batch envelope into its messages, bytes intact', () => {
    const body = Buffer.from('FHS|^~\\&|A\rBHS|^~\\&|A\rMSH|^~\\&|A|B|||||ADT^A01|1|P|2.5\rPID|1||é\rMSH|^~\\&|A|B|||||ADT^A08|2|P|2.5\rBTS|2\rFTS|1\r', 'utf8');
    const out = splitUpload(body);
    expect(out.batch).toBe(true);
    expect(out.messages.map((m) => m.toString('utf8'))).toEqual(['MSH|^~\\&|A|B|||||ADT^A01|1|P|2.5\rPID|1||é\r', 'MSH|^~\\&|A|B|||||ADT^A08|2|P|2.5\r']);
  });

  it('keeps one message whole (LF separated too) and answers text without MSH as its own message', () => {
    expect(splitUpload(Buffer.from('MSH|^~\\&|A\nPID|1\n')).messages.map(String)).toEqual(['MSH|^~\\&|A\nPID|1']);
    const garbage = splitUpload(Buffer.from('hello world'));
    expect(garbage.batch).toBe(false);
    expect(garbage.messages.map(String)).toEqual(['hello world']);
  });
});
