import { describe, expect, it } from 'vitest';
import { prettyJson } from '../../src/admin/event-data.ts';
import { eventPath, safeAdminPath } from '../../src/admin/page-parts.ts';

describe('prettyJson', () => {
  it('re-indents without parsing: numbers, escapes and key order stay as sent', () => {
    const sent = '{"z":12345678901234567890123,"a":[ ],"s":"a\\"b,:{[","n":{"x":[1,2.50]},"e":{}}';
    expect(prettyJson(sent)).toBe(
      [
        '{',
        '  "z": 12345678901234567890123,',
        '  "a": [],',
        '  "s": "a\\"b,:{[",',
        '  "n": {',
        '    "x": [',
        '      1,',
        '      2.50',
        '    ]',
        '  },',
        '  "e": {}',
        '}',
      ].join('\n'),
    );
    expect(JSON.parse(prettyJson(sent))).toEqual(JSON.parse(sent));
    expect(prettyJson('"just a string"')).toBe('"just a string"');
    expect(prettyJson('{"k": "\\\\"}')).toBe('{\n  "k": "\\\\"\n}');
  });
});

describe('safeAdminPath', () => {
  it('takes a path of the status page, and nothing that could leave it', () => {
    expect(safeAdminPath('/admin/events/persona%3Aevt_1')).toBe('/admin/events/persona%3Aevt_1');
    expect(safeAdminPath(eventPath('a/b:c?d#e'))).toBe('/admin/events/a%2Fb%3Ac%3Fd%23e');
    for (const bad of [undefined, 42, '', '/admin', '//admin/', '/admin//evil.example', 'http://x/admin/', '/admin/../x', '/admin/./x', '/admin/%2E%2e/x', '/admin/\\x', '/admin/x?y', '/admin/x#y', '/admin/\nx', '/admin/x y']) {
      expect(safeAdminPath(bad), String(bad)).toBeUndefined();
    }
  });
});
