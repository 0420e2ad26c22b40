/**
 * The `{{name}}` variables a prompt uses, in order of first use.
 * @example promptVariables('Summarise {{ticket}} for {{ customer }}') // ['ticket', 'customer']
 */
export function promptVariables(prompt: string): string[] {
  const names = new Set<string>();
  for (const match of prompt.matchAll(/\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}\}/g)) names.add(match[1]!);
  return [...names];
}

/**
 * Why a prompt does not fit its input model, or undefined when it does: every variable must be
 * a property the input model declares. Without an input model nothing is checked.
 * @example promptMismatch('Hi {{name}}', { type: 'object', properties: {} }) // 'prompt uses {{name}}, …'
 */
export function promptMismatch(
  prompt: string,
  inputModel: Record<string, unknown> | null,
): string | undefined {
  if (inputModel === null) return undefined;
  const properties = inputModel.properties;
  const declared =
    properties !== null && typeof properties === 'object' ? Object.keys(properties as object) : [];
  // A dotted variable ({{ticket.title}}) is checked by its first segment.
  const missing = promptVariables(prompt).filter((v) => !declared.includes(v.split('.')[0]!));
  if (missing.length === 0) return undefined;
  return `prompt uses ${missing.map((v) => `{{${v}}}`).join(', ')}, which input_model.properties does not declare (it declares: ${declared.join(', ') || 'nothing'})`;
}
