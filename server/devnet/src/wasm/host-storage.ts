// Host functions for a contract's own data: runtime args, the host buffer, named keys, URefs
// and dictionaries (casper-network/casper-node execution_engine/src/runtime/externals.rs and
// runtime/mod.rs, feat-2.0).
import { concatBytes, hexToBytes, stringBytes, u32LE } from '@x402-casper/shared';
import { clValue, keyBytes, urefBytes } from './bytesrepr.js';
import { ExecutionFailure, RetSignal, RevertSignal } from './failures.js';
import {
  DICTIONARY_ITEM_KEY_MAX_LENGTH,
  dictionaryAddress,
  dictionaryItemKey,
  err,
  type HostFunction,
  ok,
  readStored,
  urefFrom,
} from './host-support.js';
import type { HostName } from './signatures.js';

const argName = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

export const STORAGE_FUNCTIONS = {
  casper_revert(_frame, [status]) {
    throw new RevertSignal(status!);
  },

  casper_ret(frame, [ptr, size]) {
    frame.returned = this.from(frame, ptr!, size!, (r) => r.clValue());
    throw new RetSignal();
  },

  casper_get_named_arg_size(frame, [namePtr, nameSize, sizePtr]) {
    const arg = frame.args.get(argName(this.bytes(frame, namePtr!, nameSize!)));
    if (!arg) return err('MissingArgument');
    this.set(frame, sizePtr!, u32LE(arg.bytes.length / 2));
    return ok;
  },

  casper_get_named_arg(frame, [namePtr, nameSize, destPtr, destSize]) {
    const arg = frame.args.get(argName(this.bytes(frame, namePtr!, nameSize!)));
    if (!arg) return err('MissingArgument');
    const bytes = hexToBytes(arg.bytes);
    if (bytes.length > destSize!) return err('OutOfMemory');
    this.set(frame, destPtr!, bytes);
    return ok;
  },

  casper_read_host_buffer(frame, [destPtr, destSize, writtenPtr]) {
    const value = frame.hostBuffer;
    frame.hostBuffer = null;
    if (!value) return err('HostBufferEmpty');
    const bytes = hexToBytes(value.bytes);
    if (bytes.length > destSize!) return err('BufferTooSmall');
    this.set(frame, destPtr!, bytes);
    this.set(frame, writtenPtr!, u32LE(bytes.length));
    return ok;
  },

  casper_get_key(frame, [namePtr, nameSize, outPtr, outSize, writtenPtr]) {
    const name = this.string(frame, namePtr!, nameSize!);
    const key = this.namedKeysOf(frame.context)[name];
    if (!key) return err('MissingKey');
    const bytes = keyBytes(key);
    if (outSize! < bytes.length) return err('BufferTooSmall');
    this.set(frame, outPtr!, bytes);
    this.set(frame, writtenPtr!, u32LE(bytes.length));
    return ok;
  },

  casper_has_key(frame, [namePtr, nameSize]) {
    const name = this.string(frame, namePtr!, nameSize!);
    return this.namedKeysOf(frame.context)[name] ? 0 : 1;
  },

  casper_put_key(frame, [namePtr, nameSize, keyPtr, keySize]) {
    const name = this.string(frame, namePtr!, nameSize!);
    const key = this.from(frame, keyPtr!, keySize!, (r) => r.key());
    this.putNamedKey(frame.context, name, key);
    return undefined;
  },

  casper_remove_key(frame, [namePtr, nameSize]) {
    this.removeNamedKey(frame.context, this.string(frame, namePtr!, nameSize!));
    return undefined;
  },

  casper_load_named_keys(frame, [countPtr, sizePtr]) {
    if (frame.hostBuffer) return err('HostBufferFull');
    const keys = Object.entries(this.namedKeysOf(frame.context));
    this.set(frame, countPtr!, u32LE(keys.length));
    if (keys.length === 0) return ok;
    const bytes = concatBytes(
      u32LE(keys.length),
      ...keys.map(([name, key]) => concatBytes(stringBytes(name), keyBytes(key))),
    );
    return this.toHostBuffer(
      frame,
      clValue({ Map: { key: 'String', value: 'Key' } }, bytes),
      sizePtr!,
    );
  },

  casper_new_uref(frame, [urefPtr, valuePtr, valueSize]) {
    const value = this.from(frame, valuePtr!, valueSize!, (r) => r.clValue());
    this.set(frame, urefPtr!, urefBytes(this.createURef(value)));
    return undefined;
  },

  casper_read_value(frame, [keyPtr, keySize, sizePtr]) {
    if (frame.hostBuffer) return err('HostBufferFull');
    const key = this.from(frame, keyPtr!, keySize!, (r) => r.key());
    const value = readStored(this, key);
    if (!value) return err('ValueNotFound');
    return this.toHostBuffer(frame, value, sizePtr!);
  },

  casper_write(frame, [keyPtr, keySize, valuePtr, valueSize]) {
    const key = this.from(frame, keyPtr!, keySize!, (r) => r.key());
    const value = this.from(frame, valuePtr!, valueSize!, (r) => r.clValue());
    if (!key.startsWith('uref-')) throw new ExecutionFailure(`Forged reference: ${key}`);
    this.writeEntry(key, { CLValue: value });
    return undefined;
  },

  casper_new_dictionary(frame, [sizePtr]) {
    if (frame.hostBuffer) return err('HostBufferFull');
    const uref = this.newUnitURef();
    return this.toHostBuffer(frame, clValue('URef', urefBytes(uref)), sizePtr!);
  },

  casper_dictionary_get(frame, [urefPtr, urefSize, keyPtr, keySize, sizePtr]) {
    if (frame.hostBuffer) return err('HostBufferFull');
    const seed = urefFrom(this, frame, urefPtr!, urefSize!);
    const item = dictionaryItemKey(this, frame, keyPtr!, keySize!);
    if (item === null) return err('InvalidDictionaryItemKey');
    const value = readStored(this, `dictionary-${dictionaryAddress(seed, item)}`);
    if (!value) return err('ValueNotFound');
    return this.toHostBuffer(frame, value, sizePtr!);
  },

  casper_dictionary_put(frame, [urefPtr, urefSize, keyPtr, keySize, valuePtr, valueSize]) {
    const seed = urefFrom(this, frame, urefPtr!, urefSize!);
    if (keySize! > DICTIONARY_ITEM_KEY_MAX_LENGTH) return err('DictionaryItemKeyExceedsLength');
    const item = dictionaryItemKey(this, frame, keyPtr!, keySize!);
    if (item === null) return err('InvalidDictionaryItemKey');
    const value = this.from(frame, valuePtr!, valueSize!, (r) => r.clValue());
    this.writeEntry(`dictionary-${dictionaryAddress(seed, item)}`, {
      Dictionary: { seed: seed.slice(5, 69), item, value },
    });
    return ok;
  },

  casper_dictionary_read(frame, [keyPtr, keySize, sizePtr]) {
    if (frame.hostBuffer) return err('HostBufferFull');
    const key = this.from(frame, keyPtr!, keySize!, (r) => r.key());
    const value = readStored(this, key);
    if (!value) return err('ValueNotFound');
    return this.toHostBuffer(frame, value, sizePtr!);
  },

  casper_is_valid_uref(frame, [ptr, size]) {
    urefFrom(this, frame, ptr!, size!);
    return 1;
  },
} satisfies Partial<Record<HostName, HostFunction>>;
