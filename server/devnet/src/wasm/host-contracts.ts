// Host functions for contract packages, versions, groups, calls, the call stack and messages
// (casper-network/casper-node execution_engine/src/runtime/externals.rs and runtime/mod.rs,
// feat-2.0, with the legacy ContractPackage storage a node uses while `enable_entity` is off).
import { bytesToHex, concatBytes, hexToBytes, u32LE } from '@x402-casper/shared';
import {
  BytesreprError,
  clValue,
  readEntryPoints,
  readNamedKeys,
  readRuntimeArgs,
  urefBytes,
} from './bytesrepr.js';
import { ExecutionFailure } from './failures.js';
import type { Execution } from './host.js';
import {
  type Caller,
  callerInfoBytes,
  callStackElementBytes,
  currentVersion,
  err,
  type Frame,
  HEADER_ERROR,
  type HostFunction,
  hash32,
  MESSAGE_LIMITS,
  ok,
  PROTOCOL_MAJOR,
  packageFrom,
  resolveVersion,
  returnToCaller,
} from './host-support.js';
import type { HostName } from './signatures.js';

/** addressable_entity.rs: at most 10 groups and 100 URefs in all per package. */
const MAX_GROUPS = 10;
const MAX_TOTAL_UREFS = 100;
const MAX_GROUPS_EXCEEDED = 64_772;
const MAX_TOTAL_UREFS_EXCEEDED = 64_773;
/** [wasm.v1.host_function_costs] cost_increase_per_message. */
const COST_INCREASE_PER_MESSAGE = 50n;

const totalURefs = (groups: Record<string, string[]>) =>
  Object.values(groups).reduce((sum, urefs) => sum + urefs.length, 0);

/**
 * add_contract_version (runtime/mod.rs `add_contract_version_by_contract_package`): a new
 * contract for the package running the calling module, the current version's named keys and
 * message topics carried over; its hash and version number written to memory.
 */
function addContractVersion(
  exec: Execution,
  frame: Frame,
  request: {
    pkgPtr: number;
    pkgSize: number;
    versionPtr: number;
    entryPoints: Uint8Array;
    namedKeys: Uint8Array;
    topics: string[];
    outPtr: number;
  },
): number {
  const { hash: packageHash, pkg } = packageFrom(exec, frame, request.pkgPtr, request.pkgSize);
  const previous = currentVersion(pkg);
  if (pkg.locked && previous) throw new ExecutionFailure('A locked contract cannot be upgraded');
  const entryPoints = readEntryPoints(request.entryPoints);
  const namedKeys = Object.fromEntries(readNamedKeys(request.namedKeys));
  const wasmHash = exec.newHashAddress();
  const contractHash = exec.newHashAddress();
  let messageTopics = request.topics;
  if (previous) {
    const old = exec.contract(previous.contract);
    Object.assign(namedKeys, old.namedKeys);
    messageTopics = [...new Set([...old.messageTopics, ...request.topics])];
  }
  exec.writeEntry(`hash-${wasmHash}`, { ContractWasm: { blob: frame.wasmBlob } });
  exec.writeEntry(`hash-${contractHash}`, {
    Contract: { package: packageHash, wasm: wasmHash, namedKeys, entryPoints, messageTopics },
  });
  const version = pkg.versions.filter((v) => v.major === PROTOCOL_MAJOR).length + 1;
  pkg.versions.push({ major: PROTOCOL_MAJOR, version, contract: contractHash });
  exec.writeEntry(`hash-${packageHash}`, { ContractPackage: pkg });
  exec.set(frame, request.outPtr, hexToBytes(contractHash));
  exec.set(frame, request.versionPtr, u32LE(version));
  return ok;
}

/** Writes `items` (each already serialized) as a CLValue List of `type` to the host buffer. */
function listToHostBuffer(
  exec: Execution,
  frame: Frame,
  type: string | Record<string, unknown>,
  items: Uint8Array[],
  lenPtr: number,
  sizePtr: number,
): number {
  if (frame.hostBuffer) return err('HostBufferFull');
  exec.set(frame, lenPtr, u32LE(items.length));
  if (items.length === 0) return ok;
  return exec.toHostBuffer(
    frame,
    clValue({ List: type }, concatBytes(u32LE(items.length), ...items)),
    sizePtr,
  );
}

/** Enables or disables the version of `contractHash` in the package (both keep a locked package locked). */
function setVersionEnabled(exec: Execution, frame: Frame, args: number[], enabled: boolean) {
  const [pkgPtr, pkgSize, contractPtr, contractSize] = args;
  const { hash, pkg } = packageFrom(exec, frame, pkgPtr!, pkgSize!);
  const contractHash = hash32(exec, frame, contractPtr!, contractSize!);
  if (pkg.locked) throw new ExecutionFailure('A locked contract cannot be upgraded');
  const version = pkg.versions.find((v) => v.contract === contractHash);
  if (!version) return HEADER_ERROR.contractNotFound;
  const isVersion = ([m, n]: [number, number]) => m === version.major && n === version.version;
  pkg.disabled = pkg.disabled.filter((entry) => !isVersion(entry));
  if (!enabled) pkg.disabled.push([version.major, version.version]);
  exec.writeEntry(`hash-${hash}`, { ContractPackage: pkg });
  return ok;
}

export const CONTRACT_FUNCTIONS = {
  casper_create_contract_package_at_hash(frame, [hashPtr, accessPtr, isLocked]) {
    const hash = this.newHashAddress();
    const accessKey = this.newUnitURef();
    this.writeEntry(`hash-${hash}`, {
      ContractPackage: {
        accessKey,
        versions: [],
        disabled: [],
        groups: {},
        locked: isLocked !== 0,
      },
    });
    this.set(frame, hashPtr!, hexToBytes(hash));
    this.set(frame, accessPtr!, hexToBytes(accessKey.slice(5, 69)));
    return undefined;
  },

  casper_create_contract_user_group(
    frame,
    [pkgPtr, pkgSize, labelPtr, labelSize, newCount, existingPtr, existingSize, sizePtr],
  ) {
    const { hash, pkg } = packageFrom(this, frame, pkgPtr!, pkgSize!);
    const label = this.string(frame, labelPtr!, labelSize!);
    const existing = this.from(frame, existingPtr!, existingSize!, (r) =>
      Array.from({ length: r.u32() }, () => r.uref()),
    );
    if (pkg.groups[label]) return HEADER_ERROR.groupAlreadyExists;
    if (Object.keys(pkg.groups).length >= MAX_GROUPS) return MAX_GROUPS_EXCEEDED;
    if (totalURefs(pkg.groups) + newCount! + existing.length > MAX_TOTAL_UREFS) {
      return MAX_TOTAL_UREFS_EXCEEDED;
    }
    const fresh = Array.from({ length: newCount! }, () => this.newUnitURef());
    pkg.groups[label] = [...new Set([...existing, ...fresh])];
    if (frame.hostBuffer) return err('HostBufferFull');
    const list = concatBytes(u32LE(fresh.length), ...fresh.map(urefBytes));
    const status = this.toHostBuffer(frame, clValue({ List: 'URef' }, list), sizePtr!);
    this.writeEntry(`hash-${hash}`, { ContractPackage: pkg });
    return status;
  },

  casper_provision_contract_user_group_uref(
    frame,
    [pkgPtr, pkgSize, labelPtr, labelSize, sizePtr],
  ) {
    const { hash, pkg } = packageFrom(this, frame, pkgPtr!, pkgSize!);
    const label = this.string(frame, labelPtr!, labelSize!);
    if (totalURefs(pkg.groups) + 1 > MAX_TOTAL_UREFS) return MAX_TOTAL_UREFS_EXCEEDED;
    const group = pkg.groups[label];
    if (!group) return HEADER_ERROR.groupDoesNotExist;
    if (frame.hostBuffer) return err('HostBufferFull');
    const uref = this.newUnitURef();
    group.push(uref);
    this.writeEntry(`hash-${hash}`, { ContractPackage: pkg });
    return this.toHostBuffer(frame, clValue('URef', urefBytes(uref)), sizePtr!);
  },

  casper_remove_contract_user_group_urefs(
    frame,
    [pkgPtr, pkgSize, labelPtr, labelSize, urefsPtr, urefsSize],
  ) {
    const { hash, pkg } = packageFrom(this, frame, pkgPtr!, pkgSize!);
    const label = this.string(frame, labelPtr!, labelSize!);
    const group = pkg.groups[label];
    if (!group) return HEADER_ERROR.groupDoesNotExist;
    const remove = this.from(frame, urefsPtr!, urefsSize!, (r) =>
      Array.from({ length: r.u32() }, () => r.uref().slice(5, 69)),
    );
    pkg.groups[label] = group.filter((uref) => !remove.includes(uref.slice(5, 69)));
    this.writeEntry(`hash-${hash}`, { ContractPackage: pkg });
    return ok;
  },

  casper_add_contract_version(
    frame,
    [pkgPtr, pkgSize, versionPtr, epPtr, epSize, nkPtr, nkSize, outPtr],
  ) {
    return addContractVersion(this, frame, {
      pkgPtr: pkgPtr!,
      pkgSize: pkgSize!,
      versionPtr: versionPtr!,
      entryPoints: this.bytes(frame, epPtr!, epSize!),
      namedKeys: this.bytes(frame, nkPtr!, nkSize!),
      topics: [],
      outPtr: outPtr!,
    });
  },

  casper_add_contract_version_with_message_topics(
    frame,
    [
      pkgPtr,
      pkgSize,
      versionPtr,
      epPtr,
      epSize,
      nkPtr,
      nkSize,
      topicsPtr,
      topicsSize,
      outPtr,
      outSize,
    ],
  ) {
    if (outSize! < 32) return err('BufferTooSmall');
    const topics = this.from(frame, topicsPtr!, topicsSize!, (r) =>
      Array.from({ length: r.u32() }, () => {
        const name = r.string();
        if (r.u8() !== 0) throw new BytesreprError('unknown message topic operation');
        return name;
      }),
    );
    if (
      topics.some(
        (topic) => new TextEncoder().encode(topic).length > MESSAGE_LIMITS.maxTopicNameSize,
      )
    ) {
      return err('MaxTopicNameSizeExceeded');
    }
    return addContractVersion(this, frame, {
      pkgPtr: pkgPtr!,
      pkgSize: pkgSize!,
      versionPtr: versionPtr!,
      entryPoints: this.bytes(frame, epPtr!, epSize!),
      namedKeys: this.bytes(frame, nkPtr!, nkSize!),
      topics,
      outPtr: outPtr!,
    });
  },

  casper_disable_contract_version(frame, args) {
    return setVersionEnabled(this, frame, args, false);
  },

  casper_enable_contract_version(frame, args) {
    return setVersionEnabled(this, frame, args, true);
  },

  casper_call_contract(
    frame,
    [hashPtr, hashSize, epPtr, epSize, argsPtr, argsSize, resultSizePtr],
  ) {
    if (frame.hostBuffer) return err('HostBufferFull');
    const contractHash = hash32(this, frame, hashPtr!, hashSize!);
    const entryPoint = this.string(frame, epPtr!, epSize!);
    const args = readRuntimeArgs(this.bytes(frame, argsPtr!, argsSize!));
    const result = this.callContract(contractHash, entryPoint, args, this.callerStack.at(-1)!);
    return returnToCaller(this, frame, result, resultSizePtr!);
  },

  casper_call_versioned_contract(
    frame,
    [pkgPtr, pkgSize, versionPtr, versionSize, epPtr, epSize, argsPtr, argsSize, resultSizePtr],
  ) {
    if (frame.hostBuffer) return err('HostBufferFull');
    const { hash, pkg } = packageFrom(this, frame, pkgPtr!, pkgSize!);
    const version = this.from(frame, versionPtr!, versionSize!, (r) =>
      r.u8() === 0 ? null : r.u32(),
    );
    const entryPoint = this.string(frame, epPtr!, epSize!);
    const args = readRuntimeArgs(this.bytes(frame, argsPtr!, argsSize!));
    const contractHash = resolveVersion(hash, pkg, version);
    const result = this.callContract(contractHash, entryPoint, args, this.callerStack.at(-1)!);
    return returnToCaller(this, frame, result, resultSizePtr!);
  },

  casper_load_caller_information(frame, [action, lenPtr, sizePtr]) {
    if (frame.hostBuffer) return err('HostBufferFull');
    const stack = this.callerStack;
    let callers: Caller[];
    if (action === 0) callers = [{ kind: 'account', accountHash: this.initiator }];
    else if (action === 1) {
      const previous = stack[stack.length - 2];
      if (!previous) return err('Unhandled');
      callers = [previous];
    } else if (action === 2) callers = [...stack];
    else return err('InvalidCallerInfoRequest');
    return listToHostBuffer(this, frame, 'Any', callers.map(callerInfoBytes), lenPtr!, sizePtr!);
  },

  casper_load_call_stack(frame, [lenPtr, sizePtr]) {
    const elements = this.callerStack.map(callStackElementBytes);
    return listToHostBuffer(this, frame, 'Any', elements, lenPtr!, sizePtr!);
  },

  /** The keys that signed the transaction: the devnet takes approvals of the initiator only. */
  casper_load_authorization_keys(frame, [lenPtr, sizePtr]) {
    const keys = [hexToBytes(this.initiator)];
    return listToHostBuffer(this, frame, { ByteArray: 32 }, keys, lenPtr!, sizePtr!);
  },

  casper_manage_message_topic(frame, [namePtr, nameSize, operationPtr, operationSize]) {
    if (nameSize! > MESSAGE_LIMITS.maxTopicNameSize) return err('MaxTopicNameSizeExceeded');
    let topic: string;
    try {
      topic = new TextDecoder('utf-8', { fatal: true }).decode(
        this.bytes(frame, namePtr!, nameSize!),
      );
    } catch (error) {
      throw new ExecutionFailure(`Invalid UTF-8 string encoding: ${(error as Error).message}`);
    }
    const operation =
      operationSize! > 1 ? [] : [...this.bytes(frame, operationPtr!, operationSize!)];
    if (operation.length !== 1 || operation[0] !== 0) {
      throw new ExecutionFailure('The imputed operation is invalid');
    }
    if (frame.context.kind !== 'contract') throw new ExecutionFailure('Invalid context');
    const contract = this.contract(frame.context.contractHash);
    if (contract.messageTopics.length >= MESSAGE_LIMITS.maxTopicsPerContract) {
      return err('MaxTopicsNumberExceeded');
    }
    if (contract.messageTopics.includes(topic)) return err('MessageTopicAlreadyRegistered');
    // The node writes a MessageTopicSummary (message count u32, block time u64, the name).
    this.chargeStorage(1 + 4 + 8 + 4 + (nameSize ?? 0));
    this.overlay.put(`hash-${frame.context.contractHash}`, {
      Contract: { ...contract, messageTopics: [...contract.messageTopics, topic] },
    });
    return ok;
  },

  casper_emit_message(frame, [topicPtr, topicSize, messagePtr, messageSize]) {
    this.charge(COST_INCREASE_PER_MESSAGE * BigInt(this.messages.length));
    if (topicSize! > MESSAGE_LIMITS.maxTopicNameSize) return err('MaxTopicNameSizeExceeded');
    if (messageSize! > MESSAGE_LIMITS.maxMessageSize) return err('MessageTooLarge');
    const topic = new TextDecoder().decode(this.bytes(frame, topicPtr!, topicSize!));
    const payload = bytesToHex(this.bytes(frame, messagePtr!, messageSize!));
    if (frame.context.kind !== 'contract') throw new ExecutionFailure('Invalid context');
    if (!this.contract(frame.context.contractHash).messageTopics.includes(topic)) {
      return err('MessageTopicNotRegistered');
    }
    this.emit(topic, payload);
    return ok;
  },
} satisfies Partial<Record<HostName, HostFunction>>;
