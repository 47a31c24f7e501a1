/** What the Connections view says after a disconnect, from the admin API's DELETE answer (DeleteResult, defined once in main/common). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { disconnectedMessage } from '../../renderer/src/format.js';

describe('disconnect message', () => {
  test('a revocation that failed at the provider is said so, not mistaken for a provider without revocation', () => {
    const message = disconnectedMessage('github', 'GitHub', {
      deleted: true,
      revoked_at_provider: false,
      revocation_error: 'The provider refused to revoke the token (invalid_client)',
    });
    assert.match(
      message,
      /GitHub did not revoke its access \(The provider refused to revoke the token \(invalid_client\)\)/,
    );
    assert.doesNotMatch(message, /offers no revocation/);
  });

  test('revoked, and a provider that offers no revocation', () => {
    assert.equal(
      disconnectedMessage('github', 'GitHub', { deleted: true, revoked_at_provider: true }),
      'Disconnected github and revoked its access at GitHub.',
    );
    assert.match(
      disconnectedMessage('openai', 'OpenAI', { deleted: true, revoked_at_provider: false }),
      /OpenAI was not asked to revoke it \(it offers no revocation\)/,
    );
  });
});
