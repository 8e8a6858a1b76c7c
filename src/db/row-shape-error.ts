/** Thrown when a row does not match its schema: a column renamed, retyped, or read with the wrong parser. */
export class RowShapeError extends Error {
  override readonly name = "RowShapeError";
}
