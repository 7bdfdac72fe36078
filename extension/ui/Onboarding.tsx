import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import type { KeyInput } from '../lib/api.js';
import type { AccountInfo } from '../lib/keyring.js';
import { MIN_PASSWORD_LENGTH } from '../lib/vault.js';
import { call } from './api.js';
import { ErrorText, Field, Hash, Row } from './components.js';
import { KeySource } from './KeySource.js';

export function Onboarding({ onCreated, onDone }: { onCreated: () => void; onDone: () => void }) {
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [key, setKey] = useState<KeyInput | null>({ kind: 'generate', algorithm: 'ed25519' });
  const [created, setCreated] = useState<AccountInfo | null>(null);
  const create = useMutation({
    mutationFn: () => call('create', { password, key: key! }),
    onSuccess: (account) => {
      onCreated();
      setCreated(account);
    },
  });

  if (created) {
    return (
      <main className="page stack">
        <h1>Your wallet is ready</h1>
        <p className="muted">
          This is your account. Fund it with CSPR and tokens on the network you use.
        </p>
        <div className="card stack">
          <Row label="Public key">
            <Hash value={created.publicKey} label="public key" />
          </Row>
          <Row label="Account hash">
            <Hash value={created.accountHash} label="account hash" />
          </Row>
          <Row label="Key type">{created.algorithm}</Row>
        </div>
        <button type="button" className="primary" onClick={onDone}>
          Open wallet
        </button>
      </main>
    );
  }

  const tooShort = password.length < MIN_PASSWORD_LENGTH;
  const mismatch = confirm.length > 0 && confirm !== password;
  return (
    <main className="page">
      <form
        className="stack"
        onSubmit={(event) => {
          event.preventDefault();
          create.mutate();
        }}
      >
        <h1>Set up x402-casper</h1>
        <p className="muted">
          Pay websites in Casper tokens, with your approval or within budgets you set. Your key
          never leaves this browser.
        </p>
        <Field
          label="New password"
          hint={`At least ${MIN_PASSWORD_LENGTH} characters. It encrypts your key on this device.`}
        >
          <input
            type="password"
            autoComplete="new-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </Field>
        <Field label="Repeat password">
          <input
            type="password"
            autoComplete="new-password"
            value={confirm}
            onChange={(e) => setConfirm(e.target.value)}
          />
        </Field>
        {mismatch ? <p className="error">The passwords differ.</p> : null}
        <KeySource onChange={setKey} />
        <ErrorText error={create.error} />
        <button
          type="submit"
          className="primary"
          disabled={tooShort || confirm !== password || !key || create.isPending}
        >
          {create.isPending
            ? 'Encrypting…'
            : key?.kind === 'generate'
              ? 'Create wallet'
              : 'Import key'}
        </button>
      </form>
    </main>
  );
}
