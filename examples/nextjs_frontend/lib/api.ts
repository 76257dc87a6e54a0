"use client";

/**
 * Client for the FastAPI todo API (examples/fastapi_todo). Every call carries `Authorization: Bearer <jwt>`;
 * on a 401 the token is refreshed once and the call retried.
 */
import { getToken } from "./token";

export interface Task {
  id: number;
  title: string;
  description: string;
  completed: boolean;
  created_at: string;
  updated_at: string;
}

export interface TaskPage {
  items: Task[];
  total: number;
  limit: number;
  offset: number;
}

export type StatusFilter = "all" | "active" | "completed";

export interface Me {
  user_id: string;
  email?: string | null;
  name?: string | null;
  [key: string]: unknown;
}

/** The API answered with an error status. `message` is ready to show to a person. */
export class ApiError extends Error {
  constructor(
    public readonly status: number,
    message: string,
    public readonly code?: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** The request never got an answer: API down, wrong URL, or blocked by CORS (browsers cannot tell these apart). */
export class ApiUnreachableError extends Error {
  constructor(public readonly baseUrl: string) {
    super(
      `Cannot reach the API at ${baseUrl}. Is the todo API running, and does it allow requests from this origin (CORS)?`,
    );
    this.name = "ApiUnreachableError";
  }
}

interface FastApiValidationItem {
  loc?: (string | number)[];
  msg?: string;
}

function describeError(status: number, body: unknown): { message: string; code?: string } {
  const obj = (body && typeof body === "object" ? body : {}) as { detail?: unknown; code?: unknown };
  const code = typeof obj.code === "string" ? obj.code : undefined;
  if (typeof obj.detail === "string" && obj.detail) return { message: obj.detail, code };
  if (Array.isArray(obj.detail)) {
    const parts = (obj.detail as FastApiValidationItem[]).map((item) => {
      const field = item.loc?.filter((p) => p !== "body").join(".");
      return field ? `${field}: ${item.msg ?? "invalid"}` : (item.msg ?? "invalid");
    });
    if (parts.length) return { message: parts.join("; "), code };
  }
  const fallback: Record<number, string> = {
    401: "The API did not accept your session token.",
    403: "The API refused this request.",
    404: "Not found.",
    422: "The API rejected the data.",
    429: "Too many requests; try again shortly.",
    503: "The API is temporarily unavailable.",
  };
  return { message: fallback[status] ?? `The API answered ${status}.`, code };
}

export function createApi(baseUrl: string) {
  async function send(token: string, method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    try {
      return await fetch(`${baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "omit",
        cache: "no-store",
      });
    } catch {
      throw new ApiUnreachableError(baseUrl);
    }
  }

  async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response = await send(await getToken(), method, path, body);
    if (response.status === 401) {
      // Expired or rotated key: get a fresh token once and retry.
      response = await send(await getToken({ forceRefresh: true }), method, path, body);
    }
    if (response.status === 204) return undefined as T;
    let payload: unknown = null;
    const text = await response.text();
    if (text) {
      try {
        payload = JSON.parse(text);
      } catch {
        payload = null;
      }
    }
    if (!response.ok) {
      const { message, code } = describeError(response.status, payload);
      throw new ApiError(response.status, message, code);
    }
    return payload as T;
  }

  return {
    baseUrl,
    listTasks(params: { status: StatusFilter; limit?: number; offset?: number }): Promise<TaskPage> {
      const query = new URLSearchParams({
        status: params.status,
        sort: "created",
        order: "desc",
        limit: String(params.limit ?? 50),
        offset: String(params.offset ?? 0),
      });
      return request<TaskPage>("GET", `/api/tasks?${query}`);
    },
    createTask(input: { title: string; description?: string }): Promise<Task> {
      return request<Task>("POST", "/api/tasks", input);
    },
    updateTask(id: number, changes: Partial<Pick<Task, "title" | "description" | "completed">>): Promise<Task> {
      return request<Task>("PATCH", `/api/tasks/${id}`, changes);
    },
    toggleTask(id: number): Promise<Task> {
      return request<Task>("PATCH", `/api/tasks/${id}/complete`);
    },
    deleteTask(id: number): Promise<void> {
      return request<void>("DELETE", `/api/tasks/${id}`);
    },
    me(): Promise<Me> {
      return request<Me>("GET", "/api/me");
    },
  };
}

export type Api = ReturnType<typeof createApi>;
