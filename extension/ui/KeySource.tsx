import type { KeyAlgorithm } from '@x402-casper/shared';
import { useState } from 'react';
import type { KeyInput } from '../lib/api.js';
import { Field } from './components.js';

type Mode = 'generate' | 'pem' | 'hex';

/** Choose where the key comes from: a new one, a PEM (file or pasted) or a hex secret. */
export function KeySource({ onChange }: { onChange: (input: KeyInput | null) => void }) {
  const [mode, setMode] = useState<Mode>('generate');
  const [algorithm, setAlgorithm] = useState<KeyAlgorithm>('ed25519');
  const [pem, setPem] = useState('');
  const [hex, setHex] = useState('');

  const emit = (next: { mode?: Mode; algorithm?: KeyAlgorithm; pem?: string; hex?: string }) => {
    const m = next.mode ?? mode;
    const a = next.algorithm ?? algorithm;
    const p = next.pem ?? pem;
    const h = next.hex ?? hex;
    if (m === 'generate') onChange({ kind: 'generate', algorithm: a });
    else if (m === 'pem') onChange(p.trim() ? { kind: 'pem', pem: p } : null);
    else onChange(h.trim() ? { kind: 'hex', algorithm: a, hex: h } : null);
  };

  return (
    <div className="stack">
      <div className="segmented" role="tablist">
        {(
          [
            ['generate', 'Create new key'],
            ['pem', 'Import PEM'],
            ['hex', 'Import hex'],
          ] as const
        ).map(([value, label]) => (
          <button
            key={value}
            type="button"
            role="tab"
            aria-selected={mode === value}
            className={mode === value ? 'selected' : ''}
            onClick={() => {
              setMode(value);
              emit({ mode: value });
            }}
          >
            {label}
          </button>
        ))}
      </div>
      {mode !== 'pem' ? (
        <Field
          label="Key type"
          hint={mode === 'generate' ? 'Ed25519 is the usual choice on Casper.' : undefined}
        >
          <select
            value={algorithm}
            onChange={(e) => {
              const value = e.target.value as KeyAlgorithm;
              setAlgorithm(value);
              emit({ algorithm: value });
            }}
          >
            <option value="ed25519">Ed25519</option>
            <option value="secp256k1">secp256k1</option>
          </select>
        </Field>
      ) : null}
      {mode === 'pem' ? (
        <>
          <Field label="Secret key file (.pem)">
            <input
              type="file"
              accept=".pem,application/x-pem-file,text/plain"
              onChange={async (e) => {
                const file = e.target.files?.[0];
                if (!file) return;
                const text = await file.text();
                setPem(text);
                emit({ pem: text });
              }}
            />
          </Field>
          <Field
            label="…or paste the PEM"
            hint="-----BEGIN PRIVATE KEY----- … (stays in this browser)"
          >
            <textarea
              rows={4}
              spellCheck={false}
              value={pem}
              onChange={(e) => {
                setPem(e.target.value);
                emit({ pem: e.target.value });
              }}
            />
          </Field>
        </>
      ) : null}
      {mode === 'hex' ? (
        <Field label="Secret key (64 hex digits)">
          <input
            type="password"
            spellCheck={false}
            autoComplete="off"
            value={hex}
            onChange={(e) => {
              setHex(e.target.value);
              emit({ hex: e.target.value });
            }}
          />
        </Field>
      ) : null}
    </div>
  );
}
