import { useMutation, useQueryClient } from '@tanstack/react-query';
import { call } from './api.js';
import { PasswordForm } from './components.js';

/** The password prompt; wrong passwords make the wallet wait longer and longer. */
export function UnlockForm({ retryAt }: { retryAt: number | null }) {
  const client = useQueryClient();
  const unlock = useMutation({
    mutationFn: (password: string) => call('unlock', { password }),
    onSuccess: () => client.invalidateQueries(),
    onError: () => client.invalidateQueries({ queryKey: ['state'] }),
  });
  const waiting = retryAt !== null && retryAt > Date.now();
  return (
    <div className="stack">
      <PasswordForm
        label="Password"
        submit="Unlock"
        busy={unlock.isPending || waiting}
        error={unlock.error}
        onSubmit={(password) => unlock.mutate(password)}
      />
      {waiting && !unlock.error ? (
        <p className="muted">Too many wrong passwords: wait a moment before trying again.</p>
      ) : null}
    </div>
  );
}

export function UnlockScreen({ retryAt }: { retryAt: number | null }) {
  return (
    <main className="page stack center">
      <div className="logo" aria-hidden="true">
        402
      </div>
      <h1>Welcome back</h1>
      <p className="muted">Unlock x402-casper to pay and to see your activity.</p>
      <UnlockForm retryAt={retryAt} />
    </main>
  );
}
