// Redis URLs: passwords with '?', '#', '@' or '/' parse to the right host and password, and no
// message or display string ever shows the credentials.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRedisUrl } from '../../src/sweep/index.ts';

test("a password holding '?' or '#' (or '@', '/') keeps the right host and is never displayed", () => {
  const cases: [string, { host: string; port: number; db?: number; username?: string; password?: string }][] = [
    ['redis://:p?a#ss@localhost:6390/2', { host: 'localhost', port: 6390, db: 2, password: 'p?a#ss' }],
    ['redis://bob:x/y@z?w#v@10.0.0.7', { host: '10.0.0.7', port: 6379, username: 'bob', password: 'x/y@z?w#v' }],
    ['redis://alice:s3cret@127.0.0.1:6390/2', { host: '127.0.0.1', port: 6390, db: 2, username: 'alice', password: 's3cret' }],
    ['redis://u:p%40w%3F@h/0', { host: 'h', port: 6379, db: 0, username: 'u', password: 'p@w?' }],
    ['redis://u:100%@h', { host: 'h', port: 6379, username: 'u', password: '100%' }],
    ['rediss://[::1]:7000', { host: '::1', port: 7000 }],
  ];
  for (const [url, expected] of cases) {
    const target = parseRedisUrl(url);
    const { tls: _tls, ...connection } = target.connection;
    assert.deepEqual(connection, expected, url);
    if (expected.password) assert.ok(!target.display.includes(expected.password) && !target.display.includes('@'), `${url} → ${target.display}`);
  }
  assert.equal(parseRedisUrl('redis://:p?a#ss@localhost:6390/2').display, 'redis://localhost:6390/2');
});

test('bad URLs are one-line errors that never repeat the credentials', () => {
  for (const url of ['redis://:hunter2?x@', 'redis://:hunter2@h:99999', 'redis://:hunter2@h/abc', 'redis://:hunter2@h?db=1', 'http://:hunter2@h', 'hunter2', 'redis://:hunter2@h:1/99999999']) {
    assert.throws(() => parseRedisUrl(url), (e: Error) => e.name === 'QueueError' && /^--queue: /.test(e.message) && !e.message.includes('hunter2') && !e.message.includes('\n'), url);
  }
});
