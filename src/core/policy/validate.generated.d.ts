// Types for the ajv standalone validator that scripts/build.mjs generates from schemas/policy.schema.json.
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
export declare const validatePolicy: ValidateFunction
export declare const validateSuite: ValidateFunction
