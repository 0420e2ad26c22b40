// Runs before `llmp` itself, in plain JavaScript that any Node parses: the CLI's TypeScript needs
// Node's type stripping (22.12 with --experimental-strip-types), and an older Node would stop on
// the unknown flag with "bad option" instead of saying which Node to install.

/** The oldest Node llmp runs on (package.json `engines`). */
export const neededNode = '22.12';

/**
 * The message for a Node too old to run llmp, or undefined when `version` is new enough.
 * @example nodeTooOld('20.20.2', '/usr/bin/node') // 'llmp needs Node 22.12 or newer; …'
 */
export function nodeTooOld(version, execPath) {
  const [major, minor] = version.split('.').map(Number);
  const [neededMajor, neededMinor] = neededNode.split('.').map(Number);
  if (major > neededMajor || (major === neededMajor && minor >= neededMinor)) return undefined;
  return (
    `llmp needs Node ${neededNode} or newer; this is Node ${version} (${execPath}).\n` +
    'Install a current Node (for example `npm i --prefix .tools node@24` and put ' +
    '.tools/node_modules/.bin first on PATH), then run the command again.\n'
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const message = nodeTooOld(process.versions.node, process.execPath);
  if (message) {
    process.stderr.write(message);
    process.exit(1);
  }
}
