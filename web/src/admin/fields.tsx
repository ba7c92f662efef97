// Validation errors at their field: the message sits right under the control, in plain words, and the control is
// marked invalid and points at it (aria-invalid, aria-describedby). The server names the field of a refusal
// (`error.field`, ApiError.field); forms that map setting keys themselves pass the field they found.
import { ApiError, errorMessage } from './api';

export interface FieldProblem {
  field: string | null; // null: not about one field (shown by the form as a whole)
  message: string;
}

// A message as a sentence: capital first letter, a full stop at the end.
export function sentence(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) return trimmed;
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?)"”]$/.test(capital) ? capital : capital + '.';
}

export function problemOf(error: unknown): FieldProblem {
  return { field: error instanceof ApiError ? (error.field ?? null) : null, message: sentence(errorMessage(error)) };
}

const errorId = (form: string, field: string) => `${form}-${field}-error`;

// The attributes of the control for `field`: invalid and described by its message while the problem is about it.
export function invalidProps(problem: FieldProblem | null, form: string, field: string): { 'aria-invalid'?: true; 'aria-describedby'?: string } {
  return problem?.field === field ? { 'aria-invalid': true, 'aria-describedby': errorId(form, field) } : {};
}

export function FieldError({ problem, form, field }: { problem: FieldProblem | null; form: string; field: string }) {
  if (problem?.field !== field) return null;
  return (
    <span class="field-error" id={errorId(form, field)} role="alert">
      {problem.message}
    </span>
  );
}
