/** The input and output models (and validation script) of a job version, as the linker checks spans against. */
export interface JobModels {
  input_model: Record<string, unknown> | null;
  output_model: Record<string, unknown> | null;
  /** JavaScript run on each output (see validationScript.ts); '' or absent for none. */
  validation_script?: string;
}
