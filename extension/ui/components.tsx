import { type ReactNode, useState } from 'react';
import { ApiError } from './api.js';
import { short } from './format.js';

export function ErrorText({ error }: { error: unknown }) {
  if (!error) return null;
  const message =
    error instanceof ApiError || error instanceof Error ? error.message : 'Something went wrong.';
  return (
    <p className="error" role="alert">
      {message}
    </p>
  );
}

/** A hash or key shown short, with the full value on hover and a copy button. */
export function Hash({ value, label }: { value: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <span className="hash" title={value}>
      <code>{short(value, 8, 6)}</code>
      <button
        type="button"
        className="link"
        aria-label={`Copy ${label ?? 'value'}`}
        onClick={() => {
          void navigator.clipboard.writeText(value).then(() => {
            setCopied(true);
            setTimeout(() => setCopied(false), 1200);
          });
        }}
      >
        {copied ? 'copied' : 'copy'}
      </button>
    </span>
  );
}

export function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="row">
      <span className="label">{label}</span>
      <span className="value">{children}</span>
    </div>
  );
}

export function Field({
  label,
  hint,
  children,
}: {
  label: string;
  hint?: string;
  children: ReactNode;
}) {
  return (
    // biome-ignore lint/a11y/noLabelWithoutControl: the control is passed in as children
    <label className="field">
      <span className="label">{label}</span>
      {children}
      {hint ? <span className="hint">{hint}</span> : null}
    </label>
  );
}

export function PasswordForm({
  label,
  submit,
  busy,
  error,
  onSubmit,
}: {
  label: string;
  submit: string;
  busy: boolean;
  error: unknown;
  onSubmit: (password: string) => void;
}) {
  const [password, setPassword] = useState('');
  return (
    <form
      className="stack"
      onSubmit={(event) => {
        event.preventDefault();
        onSubmit(password);
      }}
    >
      <Field label={label}>
        <input
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          // biome-ignore lint/a11y/noAutofocus: the password is the only thing to do here
          autoFocus
        />
      </Field>
      <ErrorText error={error} />
      <button type="submit" className="primary" disabled={busy || password.length === 0}>
        {busy ? 'Checking…' : submit}
      </button>
    </form>
  );
}
