import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  authorizationDigest,
  bytesToHex,
  checkExactPayment,
  createPaymentPayload,
  exactPayloadOf,
  INVALID_REASONS,
  type PaymentPayload,
  type PaymentRequirements,
  type PaymentSigner,
  secretKeyFromHex,
  secretKeySigner,
  transferWithAuthorizationDigest,
  VALID_AFTER_SKEW_SECONDS,
  verifyPayment,
} from '../src/index.js';
import { vectors } from './vectors.js';

const NOW = 1_800_000_000;
const [edKey, secpKey, payeeKey] = vectors.keys as [
  (typeof vectors.keys)[0],
  (typeof vectors.keys)[0],
  (typeof vectors.keys)[0],
];
const requirements: PaymentRequirements = {
  ...vectors.paymentRequirements,
  payTo: payeeKey.address,
};
const signerOf = (k: typeof edKey) =>
  secretKeySigner(secretKeyFromHex(k.algorithm, k.secretKeyHex));

async function pay(k = edKey, req = requirements): Promise<PaymentPayload> {
  return createPaymentPayload(req, signerOf(k), { now: NOW });
}

/** A copy of `payload` with `change` applied to its authorization (the signature is kept). */
function withAuthorization(
  payload: PaymentPayload,
  change: Record<string, string>,
): PaymentPayload {
  const exact = exactPayloadOf(payload);
  return {
    ...payload,
    payload: { ...exact, authorization: { ...exact.authorization, ...change } },
  };
}

function withPayload(payload: PaymentPayload, change: Record<string, unknown>): PaymentPayload {
  return { ...payload, payload: { ...payload.payload, ...change } };
}

describe('createPaymentPayload', () => {
  it.each([edKey, secpKey])('$algorithm: builds a payload that verifies', async (k) => {
    const payload = await pay(k);
    const exact = exactPayloadOf(payload);
    expect(payload.x402Version).toBe(2);
    expect(payload.accepted).toEqual(requirements);
    expect(exact.publicKey).toBe(k.publicKey);
    expect(exact.authorization).toMatchObject({
      from: k.address,
      to: payeeKey.address,
      value: requirements.amount,
      validAfter: String(NOW - VALID_AFTER_SKEW_SECONDS),
      validBefore: String(NOW + requirements.maxTimeoutSeconds),
    });
    expect(exact.authorization.nonce).toMatch(/^[0-9a-f]{64}$/);
    expect(verifyPayment(payload, requirements, { now: NOW })).toEqual({
      isValid: true,
      payer: k.address,
    });
  });

  it('uses a fresh nonce every time', async () => {
    const nonces = new Set<string>();
    for (let i = 0; i < 20; i++) nonces.add(exactPayloadOf(await pay()).authorization.nonce);
    expect(nonces.size).toBe(20);
  });

  it('signs the digest an independent implementation computes', async () => {
    const payload = await pay();
    const { authorization } = exactPayloadOf(payload);
    const expected = transferWithAuthorizationDigest({
      name: 'Casper x402 Token',
      version: '1',
      chainName: 'casper:casper-test',
      contractPackageHash: requirements.asset,
      ...authorization,
    });
    expect(bytesToHex(authorizationDigest(payload))).toBe(bytesToHex(expected));
  });

  it('uses the given clock, nonce and resource', async () => {
    const payload = await createPaymentPayload(vectors.paymentRequirements, signerOf(edKey), {
      now: 1763900000 + VALID_AFTER_SKEW_SECONDS,
      nonce: '42'.repeat(32),
      resource: vectors.paymentPayload.resource!,
    });
    const { authorization } = exactPayloadOf(payload);
    expect(authorization.validAfter).toBe('1763900000');
    expect(authorization.validBefore).toBe(String(1763900060 + 300));
    expect(authorization.nonce).toBe('42'.repeat(32));
    expect(payload.resource).toEqual(vectors.paymentPayload.resource);
  });

  it('refuses requirements it cannot honour, naming the field', async () => {
    const signer = signerOf(edKey);
    await expect(createPaymentPayload({ ...requirements, scheme: 'upto' }, signer)).rejects.toThrow(
      'requirements.scheme',
    );
    await expect(
      createPaymentPayload({ ...requirements, payTo: 'nobody' }, signer),
    ).rejects.toThrow('requirements.payTo');
    await expect(createPaymentPayload({ ...requirements, asset: 'XYZ' }, signer)).rejects.toThrow(
      'requirements.asset',
    );
    await expect(createPaymentPayload({ ...requirements, amount: '1.5' }, signer)).rejects.toThrow(
      'requirements.amount',
    );
    await expect(createPaymentPayload({ ...requirements, extra: {} }, signer)).rejects.toThrow(
      'requirements.extra.name',
    );
    await expect(
      createPaymentPayload({ ...requirements, network: 'eip155:8453' }, signer),
    ).rejects.toThrow('requirements.network');
  });

  it('refuses a signer whose signature does not verify', async () => {
    const liar: PaymentSigner = {
      publicKey: edKey.publicKey,
      signDigest: async () => `01${'00'.repeat(64)}`,
    };
    await expect(createPaymentPayload(requirements, liar)).rejects.toThrow(/does not verify/);
  });
});

describe('verifyPayment reasons', () => {
  it.each<[string, (p: PaymentPayload) => [unknown, unknown?, number?]]>([
    ['invalid_x402_version', (p) => [{ ...p, x402Version: 1 }]],
    ['unsupported_scheme', (p) => [p, { ...requirements, scheme: 'upto' }]],
    ['invalid_scheme', (p) => [{ ...p, accepted: { ...p.accepted, scheme: 'upto' } }]],
    ['invalid_network', (p) => [{ ...p, accepted: { ...p.accepted, network: 'casper:casper' } }]],
    ['invalid_payload', (p) => [{ ...p, payload: { signature: 'x' } }]],
    ['invalid_payload', (p) => [{ ...p, accepted: undefined }]],
    ['invalid_payload', () => ['not an object']],
    ['invalid_payment_requirements', (p) => [p, { ...requirements, asset: 'hash-abc' }]],
    ['invalid_payment_requirements', (p) => [p, { ...requirements, amount: '0' }]],
    ['invalid_payment_requirements', (p) => [p, { ...requirements, extra: { name: 'X' } }]],
    ['invalid_payment_requirements', (p) => [p, { ...requirements, network: 'casper' }]],
    [
      'invalid_exact_casper_asset_mismatch',
      (p) => [{ ...p, accepted: { ...p.accepted, asset: 'ab'.repeat(32) } }],
    ],
    [
      'invalid_exact_casper_domain_mismatch',
      (p) => [{ ...p, accepted: { ...p.accepted, extra: { ...p.accepted.extra, version: '2' } } }],
    ],
    [
      'invalid_exact_casper_amount_mismatch',
      (p) => [{ ...p, accepted: { ...p.accepted, amount: '1' } }],
    ],
    ['invalid_exact_casper_amount_mismatch', (p) => [p, { ...requirements, amount: '20000' }]],
    ['invalid_exact_casper_payto_mismatch', (p) => [p, { ...requirements, payTo: edKey.address }]],
    ['invalid_exact_casper_payto_mismatch', (p) => [withAuthorization(p, { to: secpKey.address })]],
    [
      'invalid_exact_casper_invalid_address',
      (p) => [withAuthorization(p, { from: 'account-hash-00' })],
    ],
    [
      'invalid_exact_casper_invalid_address',
      (p) => [withAuthorization(p, { to: `02${'00'.repeat(32)}` })],
    ],
    ['invalid_exact_casper_invalid_nonce', (p) => [withAuthorization(p, { nonce: 'ab' })]],
    ['invalid_exact_casper_invalid_value', (p) => [withAuthorization(p, { value: '-10000' })]],
    ['invalid_exact_casper_invalid_value', (p) => [withAuthorization(p, { value: '1e4' })]],
    [
      'invalid_exact_casper_invalid_window',
      (p) => [withAuthorization(p, { validBefore: '18446744073709551616' })],
    ],
    [
      'invalid_exact_casper_invalid_window',
      (p) => [
        withAuthorization(p, { validAfter: String(NOW + 400), validBefore: String(NOW + 300) }),
      ],
    ],
    [
      'invalid_exact_casper_not_yet_valid',
      (p) => [p, requirements, NOW - VALID_AFTER_SKEW_SECONDS],
    ],
    ['invalid_exact_casper_payload_expired', (p) => [p, requirements, NOW + 300]],
    ['invalid_exact_casper_payload_expired', (p) => [p, requirements, NOW + 300 - 29]],
    [
      'invalid_exact_casper_invalid_public_key',
      (p) => [withPayload(p, { publicKey: `03${'11'.repeat(32)}` })],
    ],
    [
      'invalid_exact_casper_public_key_mismatch',
      (p) => [withPayload(p, { publicKey: secpKey.publicKey })],
    ],
    [
      'invalid_exact_casper_invalid_signature',
      (p) => [withPayload(p, { signature: `01${'00'.repeat(64)}` })],
    ],
    ['invalid_exact_casper_invalid_signature', (p) => [withPayload(p, { signature: 'zz' })]],
  ])('%s', async (reason, mutate) => {
    const [payload, req, now] = mutate(await pay());
    const result = verifyPayment(
      payload as PaymentPayload,
      (req ?? requirements) as PaymentRequirements,
      { now: now ?? NOW },
    );
    expect(result.isValid).toBe(false);
    expect(result.invalidReason).toBe(reason);
    expect(INVALID_REASONS).toHaveProperty(reason);
    expect(result.invalidMessage).toBeTruthy();
  });

  it('names the signing-domain names a domain mismatch is between', async () => {
    const p = await pay();
    const result = verifyPayment(
      { ...p, accepted: { ...p.accepted, extra: { ...p.accepted.extra, name: 'Cep18x402' } } },
      requirements,
      { now: NOW },
    );
    expect(result).toMatchObject({
      invalidReason: 'invalid_exact_casper_domain_mismatch',
      invalidMessage:
        'payload signs under signing-domain name "Cep18x402" version "1", requirements ask for signing-domain name "Casper x402 Token" version "1"',
    });
  });

  it('names the payer of an invalid payment when the payload says who it is', async () => {
    const p = await pay();
    const result = verifyPayment(
      withPayload(p, { signature: `01${'00'.repeat(64)}` }),
      requirements,
      { now: NOW },
    );
    expect(result.payer).toBe(edKey.address);
  });

  it('rejects a signature by one key claiming another account as from', async () => {
    // secp key signs an authorization whose `from` is the ed25519 account, and sends its own key.
    const honest = await pay(secpKey);
    const exact = exactPayloadOf(honest);
    const forged = withAuthorization(honest, { from: edKey.address });
    const digest = authorizationDigest(forged);
    const signature = await signerOf(secpKey).signDigest(digest);
    const result = verifyPayment(
      { ...forged, payload: { ...exactPayloadOf(forged), signature, publicKey: exact.publicKey } },
      requirements,
      { now: NOW },
    );
    expect(result.invalidReason).toBe('invalid_exact_casper_public_key_mismatch');
  });

  it('honours a custom settlement margin', async () => {
    const p = await pay();
    expect(
      verifyPayment(p, requirements, { now: NOW + 250, settlementMarginSeconds: 10 }).isValid,
    ).toBe(true);
    expect(
      verifyPayment(p, requirements, { now: NOW + 250, settlementMarginSeconds: 60 }).invalidReason,
    ).toBe('invalid_exact_casper_payload_expired');
  });

  it('judges validAfter by chain time and validBefore by the later clock', async () => {
    const p = await pay(); // valid from NOW - 60 until NOW + maxTimeoutSeconds
    const { validAfter, validBefore } = exactPayloadOf(p).authorization;
    const after = Number(validAfter);
    const before = Number(validBefore);
    // The facilitator's clock is past validAfter, but the chain is not yet: the contract would revert.
    expect(verifyPayment(p, requirements, { now: NOW, chainTime: after }).invalidReason).toBe(
      'invalid_exact_casper_not_yet_valid',
    );
    expect(verifyPayment(p, requirements, { now: NOW, chainTime: after + 1 }).isValid).toBe(true);
    // A chain ahead of the facilitator's clock decides expiry.
    const margin = 30;
    expect(
      verifyPayment(p, requirements, {
        now: NOW,
        chainTime: before - margin,
        settlementMarginSeconds: margin,
      }).invalidReason,
    ).toBe('invalid_exact_casper_payload_expired');
    // A stale chain (no block for a while) does not make an expiring authorization look fresh.
    expect(
      verifyPayment(p, requirements, {
        now: before - margin,
        chainTime: NOW,
        settlementMarginSeconds: margin,
      }).invalidReason,
    ).toBe('invalid_exact_casper_payload_expired');
  });

  it('changing any one signed field invalidates the payment (property)', async () => {
    const payload = await pay(secpKey);
    const fields = ['from', 'to', 'value', 'validAfter', 'validBefore', 'nonce'] as const;
    const domain = ['name', 'version'] as const;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({
            kind: fc.constant('authorization' as const),
            field: fc.constantFrom(...fields),
            n: fc.bigInt({ min: 1n, max: 1000n }),
          }),
          fc.record({
            kind: fc.constant('domain' as const),
            field: fc.constantFrom(...domain),
            n: fc.bigInt({ min: 1n, max: 1000n }),
          }),
          fc.record({
            kind: fc.constant('network' as const),
            field: fc.constant('network'),
            n: fc.bigInt({ min: 1n, max: 1000n }),
          }),
          fc.record({
            kind: fc.constant('asset' as const),
            field: fc.constant('asset'),
            n: fc.bigInt({ min: 1n, max: 1000n }),
          }),
        ),
        async ({ kind, field, n }) => {
          const exact = exactPayloadOf(payload);
          let mutated: PaymentPayload;
          let req: PaymentRequirements = requirements;
          if (kind === 'authorization') {
            const old = exact.authorization[field as (typeof fields)[number]];
            const changed =
              field === 'from' || field === 'to' || field === 'nonce'
                ? old.slice(0, -4) +
                  ((Number.parseInt(old.slice(-4), 16) + Number(n)) % 0x10000)
                    .toString(16)
                    .padStart(4, '0')
                : field === 'validBefore'
                  ? String(BigInt(old) + n)
                  : field === 'validAfter'
                    ? String(BigInt(old) - n)
                    : String(BigInt(old) + n);
            mutated = withAuthorization(payload, { [field]: changed });
            // The requirement follows the change where the check would otherwise catch it first.
            if (field === 'to') req = { ...requirements, payTo: changed };
            if (field === 'value') req = { ...requirements, amount: changed };
            if (field === 'value')
              mutated = { ...mutated, accepted: { ...mutated.accepted, amount: changed } };
            if (field === 'to')
              mutated = { ...mutated, accepted: { ...mutated.accepted, payTo: changed } };
          } else {
            const extra = {
              ...requirements.extra,
              [field]: `${String(requirements.extra?.[field] ?? '')}${n}`,
            };
            req =
              kind === 'domain'
                ? { ...requirements, extra }
                : kind === 'network'
                  ? { ...requirements, network: `casper:net-${n}` }
                  : { ...requirements, asset: n.toString(16).padStart(64, '0') };
            mutated = { ...payload, accepted: req };
          }
          const result = verifyPayment(mutated, req, { now: NOW });
          expect(result.isValid).toBe(false);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('checkExactPayment', () => {
  it('answers a valid payment with what it was checked as: payer, payload, value, digest', async () => {
    const payload = await pay(secpKey);
    const checked = checkExactPayment(payload, requirements, { now: NOW });
    expect(checked).toEqual({
      payer: secpKey.address,
      payload: exactPayloadOf(payload),
      value: BigInt(exactPayloadOf(payload).authorization.value),
      digest: authorizationDigest(payload),
    });
  });

  it('answers an invalid payment with the reason, in words, and the payer', async () => {
    const payload = withAuthorization(await pay(), { value: '1' });
    expect(checkExactPayment(payload, requirements, { now: NOW })).toEqual({
      isValid: false,
      invalidReason: 'invalid_exact_casper_amount_mismatch',
      invalidMessage: `authorization value 1 is not the required amount ${requirements.amount}`,
      payer: edKey.address,
    });
  });
});

describe('verifyPayment with a signature verifier of the caller', () => {
  it('asks the verifier, with the parsed key, the digest and the signature as sent', async () => {
    const payload = await pay(secpKey);
    const calls: [string, string, string][] = [];
    const result = verifyPayment(payload, requirements, {
      now: NOW,
      verifySignature: (key, digest, signature) => {
        calls.push([key.hex, bytesToHex(digest), signature]);
        return false;
      },
    });
    expect(result).toMatchObject({
      isValid: false,
      invalidReason: 'invalid_exact_casper_invalid_signature',
      payer: secpKey.address,
    });
    expect(calls).toEqual([
      [
        secpKey.publicKey,
        bytesToHex(authorizationDigest(payload)),
        exactPayloadOf(payload).signature,
      ],
    ]);
  });

  it('lets a verifier that says yes decide the signature only, never the other checks', async () => {
    const payload = await pay(edKey);
    const yes = () => true;
    expect(verifyPayment(payload, requirements, { now: NOW, verifySignature: yes })).toEqual({
      isValid: true,
      payer: edKey.address,
    });
    const cases: [string, PaymentPayload, number][] = [
      [
        'invalid_exact_casper_public_key_mismatch',
        withPayload(payload, { publicKey: secpKey.publicKey }),
        NOW,
      ],
      ['invalid_exact_casper_payload_expired', payload, NOW + requirements.maxTimeoutSeconds],
      [
        'invalid_exact_casper_amount_mismatch',
        withAuthorization(payload, { value: `${requirements.amount}0` }),
        NOW,
      ],
    ];
    for (const [reason, p, now] of cases) {
      const result = verifyPayment(p, requirements, { now, verifySignature: yes });
      expect(result.invalidReason, reason).toBe(reason);
    }
  });
});
