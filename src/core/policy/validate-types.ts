// Types of the ajv standalone validators that scripts/build.mjs generates (validate.generated.cjs).
export interface ValidationError {
  instancePath: string
  schemaPath: string
  keyword: string
  params: Record<string, unknown>
  message?: string
}
export interface ValidateFunction {
  (data: unknown): boolean
  errors?: ValidationError[] | null
}
export interface Validators {
  validatePolicy: ValidateFunction
  validateSuite: ValidateFunction
}
