import { test } from 'node:test';
import assert from 'node:assert/strict';
import { childEnvironment } from '../../main/cli/child-environment.js';

const issued = {
  url: 'http://127.0.0.1:7317',
  token: 'agent-token',
  connections: [
    { name: 'openai', base_url: 'http://127.0.0.1:7317/proxy/openai', base_url_env: 'OPENAI_BASE_URL' },
    { name: 'openai-2', base_url: 'http://127.0.0.1:7317/proxy/openai-2', base_url_env: 'OPENAI_BASE_URL' },
  ],
};

test('the command gets no LATCHKEY_* variable of its parent, in any case', () => {
  const env = childEnvironment(
    {
      PATH: '/usr/bin',
      HOME: '/home/me',
      LATCHKEY_ADMIN_TOKEN: 'admin',
      LATCHKEY_PASSPHRASE: 'vault passphrase',
      latchkey_passphrase: 'windows spelling',
      LATCHKEY_TOKEN: 'a stale token',
      LATCHKEY_GITHUB_URL: 'http://elsewhere',
      LATCHKEY_ANYTHING: 'x',
    },
    issued,
  );
  assert.deepEqual(
    Object.keys(env)
      .filter((name) => /^latchkey_/i.test(name))
      .sort(),
    ['LATCHKEY_OPENAI_2_URL', 'LATCHKEY_OPENAI_URL', 'LATCHKEY_TOKEN', 'LATCHKEY_URL'],
  );
  assert.equal(env.LATCHKEY_TOKEN, 'agent-token', "the issued token, not the parent's");
  assert.equal(env.PATH, '/usr/bin');
  assert.equal(env.HOME, '/home/me');
});

test("sets the broker URL, the token, each connection's URL and the SDK variable of the first connection of a provider", () => {
  const env = childEnvironment({ OPENAI_BASE_URL: 'https://api.openai.com/v1' }, issued);
  assert.equal(env.LATCHKEY_URL, 'http://127.0.0.1:7317');
  assert.equal(env.LATCHKEY_OPENAI_URL, 'http://127.0.0.1:7317/proxy/openai');
  assert.equal(env.LATCHKEY_OPENAI_2_URL, 'http://127.0.0.1:7317/proxy/openai-2');
  assert.equal(env.OPENAI_BASE_URL, 'http://127.0.0.1:7317/proxy/openai');
});

test('does not change the parent environment', () => {
  const parent = { LATCHKEY_ADMIN_TOKEN: 'admin' };
  childEnvironment(parent, issued);
  assert.deepEqual(parent, { LATCHKEY_ADMIN_TOKEN: 'admin' });
});

test('each other base of a multi-host API gets its own variable; a connection of that name keeps its own', () => {
  const env = childEnvironment(
    {},
    {
      url: 'http://127.0.0.1:7317',
      token: 'agent-token',
      connections: [
        {
          name: 'google',
          base_url: 'http://127.0.0.1:7317/proxy/google',
          bases: {
            default: { base_url: 'http://127.0.0.1:7317/proxy/google' },
            sheets: { base_url: 'http://127.0.0.1:7317/proxy/google:sheets' },
            gmail: { base_url: 'http://127.0.0.1:7317/proxy/google:gmail' },
          },
        },
        { name: 'google-gmail', base_url: 'http://127.0.0.1:7317/proxy/google-gmail' },
      ],
    },
  );
  assert.equal(env.LATCHKEY_GOOGLE_URL, 'http://127.0.0.1:7317/proxy/google');
  assert.equal(env.LATCHKEY_GOOGLE_SHEETS_URL, 'http://127.0.0.1:7317/proxy/google:sheets');
  assert.equal(env.LATCHKEY_GOOGLE_GMAIL_URL, 'http://127.0.0.1:7317/proxy/google-gmail');
  assert.equal(env.LATCHKEY_GOOGLE_DEFAULT_URL, undefined);
});
