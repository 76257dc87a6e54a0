/** Client-side checks, mirroring what Better Auth and the todo API enforce (they check again). */

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;
export const TITLE_MAX = 200;
export const DESCRIPTION_MAX = 1000;

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export type FieldErrors<K extends string> = Partial<Record<K, string>>;

export function validateCredentials(
  values: { name?: string; email: string; password: string },
  { requireName }: { requireName: boolean },
): FieldErrors<"name" | "email" | "password"> {
  const errors: FieldErrors<"name" | "email" | "password"> = {};
  if (requireName && !(values.name ?? "").trim()) errors.name = "Name is required.";
  const email = values.email.trim();
  if (!email) errors.email = "Email is required.";
  else if (!EMAIL_RE.test(email)) errors.email = "Enter a valid email address.";
  if (!values.password) errors.password = "Password is required.";
  else if (values.password.length < PASSWORD_MIN) errors.password = `Password must be at least ${PASSWORD_MIN} characters.`;
  else if (values.password.length > PASSWORD_MAX) errors.password = `Password must be at most ${PASSWORD_MAX} characters.`;
  return errors;
}

export function validateTask(values: { title: string; description: string }): FieldErrors<"title" | "description"> {
  const errors: FieldErrors<"title" | "description"> = {};
  const title = values.title.trim();
  if (!title) errors.title = "Title is required.";
  else if (title.length > TITLE_MAX) errors.title = `Title must be at most ${TITLE_MAX} characters.`;
  if (values.description.length > DESCRIPTION_MAX) {
    errors.description = `Description must be at most ${DESCRIPTION_MAX} characters.`;
  }
  return errors;
}
