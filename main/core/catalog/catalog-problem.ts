/** A definition file that was skipped, or part of it that is wrong. `path` is a JSON pointer ("" = the whole file). */
export interface CatalogProblem {
  file: string;
  path: string;
  message: string;
}

/** One line: `file: path: message` (the path is left out when the whole file is concerned). */
export function formatCatalogProblem(problem: CatalogProblem): string {
  return problem.path ? `${problem.file}: ${problem.path}: ${problem.message}` : `${problem.file}: ${problem.message}`;
}
