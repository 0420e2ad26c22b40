/** The oldest Node llmp runs on (package.json `engines`). */
export const neededNode: string;
/** The message for a Node too old to run llmp, or undefined when `version` is new enough. */
export function nodeTooOld(version: string, execPath: string): string | undefined;
