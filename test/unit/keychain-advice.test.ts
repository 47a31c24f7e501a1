/** The one line `latchkey serve` (and the doctor) prints when the OS keychain cannot be used. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { keychainAdvice } from '../../main/core/vault/keychain-advice.js';

describe('keychainAdvice', () => {
  test('Linux, no Secret Service: the packages for Debian/Ubuntu and Fedora, and the file store for headless machines', () => {
    const advice = keychainAdvice('unreachable', 'linux');
    assert.match(
      advice,
      /Debian\/Ubuntu: sudo apt-get install libsecret-1-0 gnome-keyring dbus; Fedora: sudo dnf install libsecret gnome-keyring dbus-daemon/,
    );
    assert.match(advice, /on a headless machine run with --secret-store file and LATCHKEY_PASSPHRASE set\.$/);
  });

  test('keytar not loading: rebuild it, with the build packages', () => {
    assert.match(
      keychainAdvice('native_module', 'linux'),
      /^Rebuild keytar with `npm rebuild keytar` after installing .*libsecret-1-dev.*libsecret-devel/,
    );
    assert.match(keychainAdvice('native_module', 'darwin'), /xcode-select --install/);
    assert.match(keychainAdvice('native_module', 'win32'), /Visual Studio Build Tools/);
  });

  test('every platform gets one line that ends with the file store', () => {
    for (const platform of ['linux', 'darwin', 'win32', 'freebsd'] as const) {
      for (const problem of ['unreachable', 'native_module'] as const) {
        const advice = keychainAdvice(problem, platform);
        assert.doesNotMatch(advice, /\n/);
        assert.match(advice, /--secret-store file and LATCHKEY_PASSPHRASE set\.$/, `${problem} on ${platform}`);
      }
    }
    assert.match(keychainAdvice('unreachable', 'darwin'), /security unlock-keychain/);
    assert.match(keychainAdvice('unreachable', 'freebsd'), /no OS keychain support on freebsd/);
  });
});
