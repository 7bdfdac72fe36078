// ApiError codes and the words a node shows for them, from casper-network/casper-node
// types/src/api_error.rs (feat-2.0): 1..=50 are named errors, then auction, contract header,
// mint and handle-payment ranges, and 65536 + n is `User error: n`.

const NAMES = [
  'None',
  'MissingArgument',
  'InvalidArgument',
  'Deserialize',
  'Read',
  'ValueNotFound',
  'ContractNotFound',
  'GetKey',
  'UnexpectedKeyVariant',
  'UnexpectedContractRefVariant',
  'InvalidPurseName',
  'InvalidPurse',
  'UpgradeContractAtURef',
  'Transfer',
  'NoAccessRights',
  'CLTypeMismatch',
  'EarlyEndOfStream',
  'Formatting',
  'LeftOverBytes',
  'OutOfMemory',
  'MaxKeysLimit',
  'DuplicateKey',
  'PermissionDenied',
  'MissingKey',
  'ThresholdViolation',
  'KeyManagementThreshold',
  'DeploymentThreshold',
  'InsufficientTotalWeight',
  'InvalidSystemContract',
  'PurseNotCreated',
  'Unhandled',
  'BufferTooSmall',
  'HostBufferEmpty',
  'HostBufferFull',
  'AllocLayout',
  'DictionaryItemKeyExceedsLength',
  'InvalidDictionaryItemKey',
  'MissingSystemContractHash',
  'ExceededRecursionDepth',
  'NonRepresentableSerialization',
  'MessageTopicAlreadyRegistered',
  'MaxTopicsNumberExceeded',
  'MaxTopicNameSizeExceeded',
  'MessageTopicNotRegistered',
  'MessageTopicFull',
  'MessageTooLarge',
  'MaxMessagesPerBlockExceeded',
  'NotAllowedToAddContractVersion',
  'InvalidDelegationAmountLimits',
  'InvalidCallerInfoRequest',
] as const;

export type ApiErrorName = (typeof NAMES)[number];

/** The u32 code of a named ApiError. */
export function apiError(name: ApiErrorName): number {
  return NAMES.indexOf(name) + 1;
}

const USER_MIN = 65_536;
const POS_MIN = 65_280;
const MINT_MIN = 65_024;
const HEADER_MIN = 64_768;
const AUCTION_MIN = 64_512;

/** What a node's execution result says for a revert with `code`. */
export function apiErrorMessage(code: number): string {
  if (code >= USER_MIN && code <= 2 * 65_535 + 1) return `User error: ${code - USER_MIN}`;
  if (code >= POS_MIN && code < USER_MIN) return `Handle Payment error: ${code - POS_MIN}`;
  if (code >= MINT_MIN && code < POS_MIN) return `Mint error: ${code - MINT_MIN}`;
  if (code >= HEADER_MIN && code < MINT_MIN) return `Contract header error: ${code - HEADER_MIN}`;
  if (code >= AUCTION_MIN && code < HEADER_MIN) {
    return `ApiError::AuctionError(${code - AUCTION_MIN}) [${code}]`;
  }
  const name = code >= 1 && code <= NAMES.length ? NAMES[code - 1] : 'Unhandled';
  return `ApiError::${name} [${name === 'Unhandled' ? 31 : code}]`;
}
