/**
 * The first few issues of a failed zod parse as one line naming each field.
 * @example zodMessage(result.error) // 'name: Too small: expected string to have >=1 characters'
 */
export function zodMessage(error: { issues: Array<{ path: PropertyKey[]; message: string }> }): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? `${i.path.map(String).join('.')}: ` : ''}${i.message}`)
    .join('; ');
}
