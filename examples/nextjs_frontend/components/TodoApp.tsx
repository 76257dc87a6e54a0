"use client";

import { useRouter } from "next/navigation";
import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent, type KeyboardEvent } from "react";

import { ApiError, ApiUnreachableError, createApi, type StatusFilter, type Task } from "@/lib/api";
import { authClient } from "@/lib/auth-client";
import { clearToken, onTokenEvent, SessionExpiredError } from "@/lib/token";
import { DESCRIPTION_MAX, TITLE_MAX, validateTask, type FieldErrors } from "@/lib/validation";

const PAGE_SIZE = 50;

const FILTERS: { value: StatusFilter; label: string }[] = [
  { value: "all", label: "All" },
  { value: "active", label: "Active" },
  { value: "completed", label: "Completed" },
];

const EMPTY_TEXT: Record<StatusFilter, string> = {
  all: "No tasks yet. Add your first one above.",
  active: "Nothing left to do. 🎉",
  completed: "No completed tasks yet.",
};

function matchesFilter(task: Task, filter: StatusFilter): boolean {
  return filter === "all" || (filter === "completed") === task.completed;
}

interface EditState {
  id: number;
  title: string;
  description: string;
  errors: FieldErrors<"title" | "description">;
}

interface Props {
  apiUrl: string;
  user: { name: string; email: string };
}

export default function TodoApp({ apiUrl, user }: Props) {
  const router = useRouter();
  const api = useMemo(() => createApi(apiUrl), [apiUrl]);

  const [filter, setFilter] = useState<StatusFilter>("all");
  const [tasks, setTasks] = useState<Task[]>([]);
  const [total, setTotal] = useState(0);
  const [loadState, setLoadState] = useState<"loading" | "ready" | "error">("loading");
  const [loadError, setLoadError] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [pending, setPending] = useState<ReadonlySet<number>>(new Set());
  const [editing, setEditing] = useState<EditState | null>(null);
  const [newTitle, setNewTitle] = useState("");
  const [newDescription, setNewDescription] = useState("");
  const [newErrors, setNewErrors] = useState<FieldErrors<"title" | "description">>({});
  const [creating, setCreating] = useState(false);
  const [loadingMore, setLoadingMore] = useState(false);
  const [signingOut, setSigningOut] = useState(false);
  const listRequest = useRef(0);

  const goToSignIn = useCallback(() => {
    clearToken();
    router.replace("/sign-in");
    router.refresh();
  }, [router]);

  // The Better Auth session ended (expired, revoked, signed out in another tab): back to the sign-in page.
  useEffect(() => onTokenEvent((event) => event.type === "session-expired" && goToSignIn()), [goToSignIn]);

  /** Turn any error into a message; returns null when we are leaving the page instead. */
  const messageFor = useCallback(
    (error: unknown): string | null => {
      if (error instanceof SessionExpiredError) {
        goToSignIn();
        return null;
      }
      if (error instanceof ApiUnreachableError || error instanceof ApiError) return error.message;
      if (error instanceof Error && error.message) return error.message;
      return "Something went wrong.";
    },
    [goToSignIn],
  );

  const load = useCallback(
    async (status: StatusFilter) => {
      const seq = ++listRequest.current;
      setLoadState("loading");
      setLoadError(null);
      setActionError(null);
      try {
        const page = await api.listTasks({ status, limit: PAGE_SIZE, offset: 0 });
        if (seq !== listRequest.current) return; // a newer filter won
        setTasks(page.items);
        setTotal(page.total);
        setLoadState("ready");
      } catch (error) {
        if (seq !== listRequest.current) return;
        const message = messageFor(error);
        if (message === null) return;
        setLoadError(message);
        setLoadState("error");
      }
    },
    [api, messageFor],
  );

  useEffect(() => {
    void load(filter);
  }, [filter, load]);

  async function loadMore() {
    setLoadingMore(true);
    setActionError(null);
    try {
      const page = await api.listTasks({ status: filter, limit: PAGE_SIZE, offset: tasks.length });
      setTasks((prev) => {
        const seen = new Set(prev.map((t) => t.id));
        return [...prev, ...page.items.filter((t) => !seen.has(t.id))];
      });
      setTotal(page.total);
    } catch (error) {
      const message = messageFor(error);
      if (message !== null) setActionError(message);
    } finally {
      setLoadingMore(false);
    }
  }

  function setBusy(id: number, busy: boolean) {
    setPending((prev) => {
      const next = new Set(prev);
      if (busy) next.add(id);
      else next.delete(id);
      return next;
    });
  }

  /** Run a change to one task; on 404 (deleted elsewhere) say so and reload the list. */
  async function withTask(id: number, action: () => Promise<void>) {
    setBusy(id, true);
    setActionError(null);
    try {
      await action();
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        setActionError("That task no longer exists; the list has been reloaded.");
        void load(filter);
        return;
      }
      const message = messageFor(error);
      if (message !== null) setActionError(message);
    } finally {
      setBusy(id, false);
    }
  }

  function replaceTask(updated: Task) {
    if (matchesFilter(updated, filter)) {
      setTasks((prev) => prev.map((t) => (t.id === updated.id ? updated : t)));
    } else {
      setTasks((prev) => prev.filter((t) => t.id !== updated.id));
      setTotal((n) => Math.max(0, n - 1));
    }
  }

  async function onCreate(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const errors = validateTask({ title: newTitle, description: newDescription });
    setNewErrors(errors);
    if (Object.keys(errors).length > 0) return;
    setCreating(true);
    setActionError(null);
    try {
      const description = newDescription.trim();
      const task = await api.createTask({ title: newTitle.trim(), ...(description ? { description } : {}) });
      setNewTitle("");
      setNewDescription("");
      if (matchesFilter(task, filter)) {
        setTasks((prev) => [task, ...prev.filter((t) => t.id !== task.id)]);
        setTotal((n) => n + 1);
      }
      if (loadState === "error") void load(filter);
    } catch (error) {
      const message = messageFor(error);
      // The list already says the API is unreachable: don't repeat it in a second banner.
      if (message !== null && !(error instanceof ApiUnreachableError && loadState === "error")) {
        setActionError(message);
      }
    } finally {
      setCreating(false);
    }
  }

  function toggle(task: Task) {
    void withTask(task.id, async () => replaceTask(await api.toggleTask(task.id)));
  }

  function remove(task: Task) {
    void withTask(task.id, async () => {
      await api.deleteTask(task.id);
      setTasks((prev) => prev.filter((t) => t.id !== task.id));
      setTotal((n) => Math.max(0, n - 1));
      if (editing?.id === task.id) setEditing(null);
    });
  }

  function startEdit(task: Task) {
    setEditing({ id: task.id, title: task.title, description: task.description ?? "", errors: {} });
  }

  function saveEdit() {
    if (!editing) return;
    const errors = validateTask(editing);
    if (Object.keys(errors).length > 0) {
      setEditing({ ...editing, errors });
      return;
    }
    const { id, title, description } = editing;
    void withTask(id, async () => {
      replaceTask(await api.updateTask(id, { title: title.trim(), description: description.trim() }));
      setEditing((current) => (current?.id === id ? null : current));
    });
  }

  function onEditKey(event: KeyboardEvent<HTMLInputElement | HTMLTextAreaElement>) {
    if (event.key === "Escape") setEditing(null);
    if (event.key === "Enter" && event.currentTarget.tagName === "INPUT") {
      event.preventDefault();
      saveEdit();
    }
  }

  async function signOut() {
    setSigningOut(true);
    clearToken();
    try {
      await authClient.signOut();
    } finally {
      router.replace("/sign-in");
      router.refresh();
    }
  }

  const activeLabel = FILTERS.find((f) => f.value === filter)?.label.toLowerCase() ?? filter;

  return (
    <div className="todo-page" data-testid="todo-page">
      <header className="app-header">
        <div>
          <h1>Todos</h1>
          <p className="muted">
            Signed in as <strong data-testid="user-name">{user.name}</strong>{" "}
            <span data-testid="user-email">&lt;{user.email}&gt;</span>
          </p>
        </div>
        <button type="button" onClick={signOut} disabled={signingOut} data-testid="signout-button">
          {signingOut ? "Signing out…" : "Sign out"}
        </button>
      </header>

      <form className="card new-task" onSubmit={onCreate} noValidate data-testid="new-task-form">
        <div className="row">
          <input
            type="text"
            placeholder="What needs doing?"
            value={newTitle}
            maxLength={TITLE_MAX + 50}
            onChange={(e) => setNewTitle(e.target.value)}
            aria-label="New task title"
            aria-invalid={Boolean(newErrors.title)}
            data-testid="new-task-title"
          />
          <button type="submit" className="primary" disabled={creating} data-testid="new-task-submit">
            {creating ? "Adding…" : "Add"}
          </button>
        </div>
        <textarea
          placeholder="Description (optional)"
          rows={2}
          value={newDescription}
          onChange={(e) => setNewDescription(e.target.value)}
          aria-label="New task description"
          aria-invalid={Boolean(newErrors.description)}
          data-testid="new-task-description"
        />
        {newErrors.title && (
          <p className="field-error" role="alert" data-testid="new-task-title-error">
            {newErrors.title}
          </p>
        )}
        {newErrors.description && (
          <p className="field-error" role="alert" data-testid="new-task-description-error">
            {newErrors.description} ({newDescription.length}/{DESCRIPTION_MAX})
          </p>
        )}
      </form>

      <div className="toolbar">
        <div className="filters" role="group" aria-label="Filter tasks">
          {FILTERS.map((f) => (
            <button
              key={f.value}
              type="button"
              className={f.value === filter ? "filter active" : "filter"}
              aria-pressed={f.value === filter}
              onClick={() => setFilter(f.value)}
              data-testid={`filter-${f.value}`}
            >
              {f.label}
            </button>
          ))}
        </div>
        {loadState === "ready" && (
          <span className="muted" data-testid="task-count">
            {total} {filter === "all" ? "" : `${activeLabel} `}
            {total === 1 ? "task" : "tasks"}
          </span>
        )}
      </div>

      {actionError && (
        <div className="banner banner-error" role="alert" data-testid="action-error">
          <span>{actionError}</span>
          <button type="button" className="link" onClick={() => setActionError(null)} aria-label="Dismiss">
            ✕
          </button>
        </div>
      )}

      {loadState === "loading" && (
        <div className="card state" role="status" aria-live="polite" data-testid="loading">
          <span className="spinner" aria-hidden="true" /> Loading tasks…
        </div>
      )}

      {loadState === "error" && (
        <div className="card state banner-error" role="alert" data-testid="api-error">
          <p>{loadError}</p>
          <button type="button" onClick={() => void load(filter)} data-testid="api-retry">
            Try again
          </button>
        </div>
      )}

      {loadState === "ready" && tasks.length === 0 && (
        <div className="card state empty" data-testid="empty-state">
          {EMPTY_TEXT[filter]}
        </div>
      )}

      {loadState === "ready" && tasks.length > 0 && (
        <ul className="task-list" data-testid="task-list">
          {tasks.map((task) => {
            const busy = pending.has(task.id);
            const isEditing = editing?.id === task.id;
            return (
              <li
                key={task.id}
                className={task.completed ? "task done" : "task"}
                data-testid="task-item"
                data-task-id={task.id}
                data-completed={task.completed ? "true" : "false"}
                aria-busy={busy}
              >
                <input
                  type="checkbox"
                  checked={task.completed}
                  disabled={busy}
                  onChange={() => toggle(task)}
                  aria-label={task.completed ? `Mark "${task.title}" as not done` : `Mark "${task.title}" as done`}
                  data-testid="task-toggle"
                />
                {isEditing ? (
                  <div className="task-body editing">
                    <input
                      type="text"
                      value={editing.title}
                      autoFocus
                      onChange={(e) => setEditing({ ...editing, title: e.target.value })}
                      onKeyDown={onEditKey}
                      aria-label="Task title"
                      aria-invalid={Boolean(editing.errors.title)}
                      data-testid="task-edit-title"
                    />
                    <textarea
                      rows={2}
                      value={editing.description}
                      placeholder="Description (optional)"
                      onChange={(e) => setEditing({ ...editing, description: e.target.value })}
                      onKeyDown={onEditKey}
                      aria-label="Task description"
                      data-testid="task-edit-description"
                    />
                    {(editing.errors.title || editing.errors.description) && (
                      <p className="field-error" role="alert" data-testid="task-edit-error">
                        {editing.errors.title ?? editing.errors.description}
                      </p>
                    )}
                    <div className="row">
                      <button type="button" className="primary" onClick={saveEdit} disabled={busy} data-testid="task-save">
                        Save
                      </button>
                      <button type="button" onClick={() => setEditing(null)} data-testid="task-cancel">
                        Cancel
                      </button>
                    </div>
                  </div>
                ) : (
                  <div className="task-body" onDoubleClick={() => startEdit(task)}>
                    <span className="task-title" data-testid="task-title">
                      {task.title}
                    </span>
                    {task.description && (
                      <p className="task-description" data-testid="task-description">
                        {task.description}
                      </p>
                    )}
                  </div>
                )}
                {!isEditing && (
                  <div className="task-actions">
                    <button type="button" onClick={() => startEdit(task)} disabled={busy} data-testid="task-edit">
                      Edit
                    </button>
                    <button
                      type="button"
                      className="danger"
                      onClick={() => remove(task)}
                      disabled={busy}
                      data-testid="task-delete"
                    >
                      Delete
                    </button>
                  </div>
                )}
              </li>
            );
          })}
        </ul>
      )}

      {loadState === "ready" && tasks.length < total && (
        <button type="button" className="load-more" onClick={loadMore} disabled={loadingMore} data-testid="load-more">
          {loadingMore ? "Loading…" : `Load more (${total - tasks.length} left)`}
        </button>
      )}

      <footer className="muted small">
        API: <code data-testid="api-url">{apiUrl}</code>
      </footer>
    </div>
  );
}
