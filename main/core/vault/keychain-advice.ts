/**
 * What to do when the OS keychain cannot be used, as one line per platform: shared by the
 * keychain backend's error (so `latchkey serve` prints it) and the project's doctor.
 */

/** Why the keychain could not be used: keytar's native module did not load, or the store did not answer. */
export type KeychainProblem = 'native_module' | 'unreachable';

/** Distribution package names that give Linux a Secret Service at run time. */
export const SECRET_SERVICE_PACKAGES = {
  debian: 'libsecret-1-0 gnome-keyring dbus',
  fedora: 'libsecret gnome-keyring dbus-daemon',
} as const;

/** Distribution package names keytar needs to build from source on Linux. */
export const KEYTAR_BUILD_PACKAGES = {
  debian: 'libsecret-1-dev build-essential python3',
  fedora: 'libsecret-devel gcc-c++ make python3',
} as const;

const HEADLESS = 'or on a headless machine run with --secret-store file and LATCHKEY_PASSPHRASE set.';

const UNREACHABLE: Partial<Record<NodeJS.Platform, string>> = {
  linux:
    `Start a Secret Service and unlock it (Debian/Ubuntu: sudo apt-get install ${SECRET_SERVICE_PACKAGES.debian}; ` +
    `Fedora: sudo dnf install ${SECRET_SERVICE_PACKAGES.fedora}), ${HEADLESS}`,
  darwin: `Unlock the login keychain (Keychain Access, or: security unlock-keychain), ${HEADLESS}`,
  win32: `Sign in to a Windows session that has Credential Manager (not a service account), ${HEADLESS}`,
};

const NATIVE_MODULE: Partial<Record<NodeJS.Platform, string>> = {
  linux:
    `Rebuild keytar with \`npm rebuild keytar\` after installing its build packages (Debian/Ubuntu: sudo apt-get install ${KEYTAR_BUILD_PACKAGES.debian}; ` +
    `Fedora: sudo dnf install ${KEYTAR_BUILD_PACKAGES.fedora}), ${HEADLESS}`,
  darwin: `Rebuild keytar with \`npm rebuild keytar\` (needs the Xcode command line tools: xcode-select --install), ${HEADLESS}`,
  win32: `Rebuild keytar with \`npm rebuild keytar\` (needs Visual Studio Build Tools with "Desktop development with C++"), ${HEADLESS}`,
};

/** One line saying what to do about `problem` on `platform`. */
export function keychainAdvice(problem: KeychainProblem, platform: NodeJS.Platform): string {
  const table = problem === 'native_module' ? NATIVE_MODULE : UNREACHABLE;
  return (
    table[platform] ??
    `Latchkey has no OS keychain support on ${platform}: run with --secret-store file and LATCHKEY_PASSPHRASE set.`
  );
}
