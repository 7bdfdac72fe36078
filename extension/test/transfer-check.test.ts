import { describe, expect, it } from 'vitest';
import { reportedTransfer } from '../lib/transfer-check.js';
import { transferTransaction, vectors } from './helpers.js';

const transfer = {
  asset: vectors.paymentRequirements.asset,
  from: vectors.keys[0]!.address,
  to: vectors.paymentRequirements.payTo,
  amount: '10000',
  nonce: 'ab'.repeat(32),
};
/** info_get_transaction's result for a transaction built like a facilitator's. */
const answer = (patch?: Parameters<typeof transferTransaction>[1]) => ({
  transaction: transferTransaction(transfer, patch).json,
  execution_info: { execution_result: { Version2: { error_message: null } } },
});

describe('is the transaction a site reported this payment?', () => {
  it("is when it calls the token's transfer_with_authorization with this from, to, amount and nonce", () => {
    expect(reportedTransfer(answer(), transfer)).toBe('this-payment');
    // However the site spells the hex.
    expect(
      reportedTransfer(answer(), { ...transfer, nonce: `0x${transfer.nonce.toUpperCase()}` }),
    ).toBe('this-payment');
  });

  it('is not when anything it carries differs', () => {
    for (const patch of [
      { nonce: 'cd'.repeat(32) },
      { amount: '10001' },
      { to: `00${'ee'.repeat(32)}` },
      { asset: 'ff'.repeat(32) },
      { entryPoint: 'transfer' },
    ]) {
      expect([patch, reportedTransfer(answer(patch), transfer)]).toEqual([patch, 'another']);
    }
    expect(reportedTransfer(answer(), { ...transfer, from: vectors.keys[1]!.address })).toBe(
      'another',
    );
  });

  it('reads a call made by contract hash against the token current contract', () => {
    const json = answer() as {
      transaction: { Version1: { payload: { fields: { target: unknown } } } };
    };
    json.transaction.Version1.payload.fields.target = {
      Stored: { id: { ByHash: 'cd'.repeat(32) }, runtime: 'VmCasperV1' },
    };
    expect(reportedTransfer(json, { ...transfer, contractHash: 'cd'.repeat(32) })).toBe(
      'this-payment',
    );
    expect(reportedTransfer(json, { ...transfer, contractHash: 'ce'.repeat(32) })).toBe('another');
  });

  it("reads a legacy Deploy's session call, by package or by contract hash, as the Go reference facilitator sends it", () => {
    const deployOf = (session: unknown) => ({
      api_version: '2.0.0',
      transaction: {
        Deploy: {
          hash: 'ef'.repeat(32),
          header: { account: vectors.keys[1]!.publicKey, chain_name: 'casper-test' },
          payment: { ModuleBytes: { module_bytes: '', args: [] } },
          session,
          approvals: [],
        },
      },
      execution_info: { execution_result: { Version2: { error_message: null } } },
    });
    const v1 = answer() as {
      transaction: { Version1: { payload: { fields: { args: { Named: unknown[] } } } } };
    };
    const args = v1.transaction.Version1.payload.fields.args.Named;
    const byPackage = (patch: Record<string, unknown> = {}) =>
      deployOf({
        StoredVersionedContractByHash: {
          hash: transfer.asset,
          version: null,
          entry_point: 'transfer_with_authorization',
          args,
          ...patch,
        },
      });
    expect(reportedTransfer(byPackage(), transfer)).toBe('this-payment');
    expect(reportedTransfer(byPackage({ hash: `hash-${transfer.asset}` }), transfer)).toBe(
      'this-payment',
    );
    expect(reportedTransfer(byPackage({ entry_point: 'transfer' }), transfer)).toBe('another');
    expect(reportedTransfer(byPackage({ hash: 'ff'.repeat(32) }), transfer)).toBe('another');
    expect(reportedTransfer(byPackage(), { ...transfer, nonce: 'cd'.repeat(32) })).toBe('another');
    const byContract = deployOf({
      StoredContractByHash: {
        hash: 'cd'.repeat(32),
        entry_point: 'transfer_with_authorization',
        args,
      },
    });
    expect(reportedTransfer(byContract, { ...transfer, contractHash: 'cd'.repeat(32) })).toBe(
      'this-payment',
    );
    expect(reportedTransfer(deployOf({ Transfer: { args: [] } }), transfer)).toBe('another');
  });

  it('cannot tell from an answer with neither a TransactionV1 nor a readable Deploy call', () => {
    expect(reportedTransfer({ transaction: { Deploy: {} } }, transfer)).toBe('unreadable');
    expect(
      reportedTransfer(
        { transaction: { Deploy: { session: { ModuleBytes: { module_bytes: '00', args: [] } } } } },
        transfer,
      ),
    ).toBe('unreadable');
    expect(reportedTransfer({ execution_info: null }, transfer)).toBe('unreadable');
  });
});
