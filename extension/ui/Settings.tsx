import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { browser } from 'wxt/browser';
import type { KeyInput, WalletState } from '../lib/api.js';
import type { Network, NetworkKind } from '../lib/settings.js';
import { call } from './api.js';
import { ErrorText, Field, Hash } from './components.js';
import { KeySource } from './KeySource.js';

function AutoLock({ state }: { state: WalletState }) {
  const client = useQueryClient();
  const [minutes, setMinutes] = useState(String(state.settings.autoLockMinutes));
  const save = useMutation({
    mutationFn: () => call('updateSettings', { autoLockMinutes: Number(minutes) }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['state'] }),
  });
  return (
    <form
      className="stack tight"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <Field label="Lock automatically after (minutes without use)">
        <input
          type="number"
          min={1}
          max={1440}
          value={minutes}
          onChange={(e) => setMinutes(e.target.value)}
        />
      </Field>
      <ErrorText error={save.error} />
      {save.isSuccess ? <p className="ok small">Saved.</p> : null}
      <button type="submit" disabled={save.isPending}>
        Save
      </button>
    </form>
  );
}

/** Asks the browser for access to a custom RPC host (the manifest only covers the defaults). */
async function allowHost(rpcUrl: string) {
  const url = new URL(rpcUrl);
  const pattern = `${url.protocol}//${url.hostname}/*`;
  const has = await browser.permissions.contains({ origins: [pattern] });
  if (!has && !(await browser.permissions.request({ origins: [pattern] }))) {
    throw new Error(`The wallet needs your permission to read balances from ${url.hostname}.`);
  }
}

function NetworkForm({ network }: { network: Network }) {
  const client = useQueryClient();
  const [rpcUrl, setRpcUrl] = useState(network.rpcUrl);
  const [id, setId] = useState(network.id);
  const save = useMutation({
    mutationFn: async () => {
      await allowHost(rpcUrl);
      return call('updateNetwork', {
        kind: network.kind,
        rpcUrl,
        ...(network.kind === 'local' ? { id } : {}),
      });
    },
    onSuccess: () => client.invalidateQueries(),
  });
  return (
    <form
      className="stack tight card"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <strong>{network.name}</strong>
      <Field label="RPC URL">
        <input value={rpcUrl} spellCheck={false} onChange={(e) => setRpcUrl(e.target.value)} />
      </Field>
      {network.kind === 'local' ? (
        <Field label="Network id" hint="casper:<chain name>, as the node reports it">
          <input value={id} spellCheck={false} onChange={(e) => setId(e.target.value)} />
        </Field>
      ) : (
        <p className="muted small">Network id {network.id}</p>
      )}
      <ErrorText error={save.error} />
      {save.isSuccess ? <p className="ok small">Saved.</p> : null}
      <button type="submit" disabled={save.isPending}>
        Save {network.name}
      </button>
    </form>
  );
}

function Tokens({ state }: { state: WalletState }) {
  const client = useQueryClient();
  const empty = { packageHash: '', name: '', symbol: '', decimals: '' };
  const [form, setForm] = useState(empty);
  const add = useMutation({
    // Only the package hash: the wallet reads name, symbol and decimals from the chain.
    mutationFn: () =>
      call('addToken', {
        networkId: state.network.id,
        token:
          form.name || form.symbol
            ? { ...form, decimals: Number(form.decimals || '0') }
            : { packageHash: form.packageHash },
      }),
    onSuccess: () => {
      setForm(empty);
      void client.invalidateQueries();
    },
  });
  const remove = useMutation({
    mutationFn: (packageHash: string) =>
      call('removeToken', { networkId: state.network.id, packageHash }),
    onSuccess: () => client.invalidateQueries(),
  });
  const set = (key: keyof typeof form) => (e: { target: { value: string } }) =>
    setForm({ ...form, [key]: e.target.value });
  return (
    <div className="stack tight">
      <ul className="list">
        {state.tokens.map((token) => (
          <li className="item" key={token.packageHash}>
            <div>
              <strong>
                {token.name} ({token.symbol})
              </strong>
              <div className="small muted">
                {token.decimals} decimals · <Hash value={token.packageHash} label="package hash" />
              </div>
            </div>
            <button
              type="button"
              className="link danger"
              onClick={() => remove.mutate(token.packageHash)}
            >
              remove
            </button>
          </li>
        ))}
      </ul>
      <form
        className="stack tight card"
        aria-label="Add token"
        onSubmit={(e) => {
          e.preventDefault();
          add.mutate();
        }}
      >
        <strong>Add a token on {state.network.name}</strong>
        <Field
          label="Contract package hash"
          hint="The rest is read from the token's contract on chain. Fill in the fields below only for a token whose contract does not publish them."
        >
          <input value={form.packageHash} spellCheck={false} onChange={set('packageHash')} />
        </Field>
        <div className="columns">
          <Field label="Name">
            <input value={form.name} onChange={set('name')} />
          </Field>
          <Field label="Symbol">
            <input value={form.symbol} onChange={set('symbol')} />
          </Field>
          <Field label="Decimals">
            <input
              type="number"
              min={0}
              max={30}
              value={form.decimals}
              onChange={set('decimals')}
            />
          </Field>
        </div>
        <ErrorText error={add.error} />
        <button type="submit" disabled={add.isPending}>
          {add.isPending ? 'Reading the token…' : 'Add token'}
        </button>
      </form>
    </div>
  );
}

function AddAccount() {
  const client = useQueryClient();
  const [open, setOpen] = useState(false);
  const [key, setKey] = useState<KeyInput | null>({ kind: 'generate', algorithm: 'ed25519' });
  const [password, setPassword] = useState('');
  const add = useMutation({
    mutationFn: () => call('addAccount', { password, key: key! }),
    onSuccess: () => {
      setOpen(false);
      setPassword('');
      void client.invalidateQueries();
    },
  });
  if (!open) {
    return (
      <button type="button" onClick={() => setOpen(true)}>
        Add or import an account
      </button>
    );
  }
  return (
    <form
      className="stack tight card"
      onSubmit={(e) => {
        e.preventDefault();
        add.mutate();
      }}
    >
      <KeySource onChange={setKey} />
      <Field label="Wallet password">
        <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} />
      </Field>
      <ErrorText error={add.error} />
      <div className="actions">
        <button type="button" onClick={() => setOpen(false)}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={!key || !password || add.isPending}>
          Add account
        </button>
      </div>
    </form>
  );
}

function ExportKey({ state }: { state: WalletState }) {
  const [password, setPassword] = useState('');
  const [pem, setPem] = useState<string | null>(null);
  const exportPem = useMutation({
    mutationFn: () => call('exportPem', { password, publicKey: state.account!.publicKey }),
    onSuccess: (value) => {
      setPem(value);
      setPassword('');
    },
  });
  if (pem) {
    return (
      <div className="stack tight">
        <p className="warning small">
          Anyone with this text can spend everything in this account. Store it offline; never paste
          it into a website.
        </p>
        <textarea readOnly rows={4} value={pem} aria-label="Secret key PEM" />
        <div className="actions">
          <button type="button" onClick={() => void navigator.clipboard.writeText(pem)}>
            Copy
          </button>
          <button type="button" className="primary" onClick={() => setPem(null)}>
            Hide
          </button>
        </div>
      </div>
    );
  }
  return (
    <form
      className="stack tight"
      onSubmit={(e) => {
        e.preventDefault();
        exportPem.mutate();
      }}
    >
      <Field
        label={`Enter your password to show the secret key of ${state.account?.name ?? 'this account'}`}
      >
        <input
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
      </Field>
      <ErrorText error={exportPem.error} />
      <button type="submit" disabled={!password || exportPem.isPending}>
        Export secret key (PEM)
      </button>
    </form>
  );
}

export function Settings({ state }: { state: WalletState }) {
  const kinds: NetworkKind[] = ['mainnet', 'testnet', 'local'];
  return (
    <section className="stack">
      <h2>Security</h2>
      <AutoLock state={state} />
      <h2>Tokens</h2>
      <Tokens state={state} />
      <h2>Networks</h2>
      {kinds.map((kind) => (
        <NetworkForm key={kind} network={state.networks[kind]} />
      ))}
      <h2>Accounts</h2>
      <AddAccount />
      <h2>Export secret key</h2>
      <ExportKey state={state} />
    </section>
  );
}
