import { SymphonyError } from '@symphony/types/core';

/*
 * Names, aliases and tags are LMDB keys and nothing else: no file, directory or path is ever
 * derived from them, so `../../etc/passwd` is just an odd artifact name inside the store.
 * They are still checked, so keys stay printable and within LMDB's key size.
 */

const CONTROL = /[\u0000-\u001f\u007f]/;
const ALIAS = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;
const TAG = /^[^\u0000-\u001f\u007f]{1,128}$/;

export function checkName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 512 || CONTROL.test(name)) {
    throw new SymphonyError('E_INPUT_INVALID', `artifact name ${JSON.stringify(name)} must be 1-512 printable characters`, {
      details: { name },
    });
  }
  return name;
}

export function checkAlias(alias: unknown): string {
  if (typeof alias !== 'string' || !ALIAS.test(alias)) {
    throw new SymphonyError('E_INPUT_INVALID', `alias ${JSON.stringify(alias)} must match ${ALIAS.source}`, { details: { alias } });
  }
  if (alias === 'latest') {
    throw new SymphonyError('E_INPUT_INVALID', '"latest" is moved by put itself and cannot be set by hand', { details: { alias } });
  }
  return alias;
}

export function checkTag(tag: unknown): string {
  if (typeof tag !== 'string' || !TAG.test(tag)) {
    throw new SymphonyError('E_INPUT_INVALID', `tag ${JSON.stringify(tag)} must be 1-128 printable characters`, { details: { tag } });
  }
  return tag;
}

export function checkVersion(name: string, version: unknown): number {
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new SymphonyError('E_INPUT_INVALID', `version of "${name}" must be a positive integer, got ${String(version)}`, {
      details: { name, version },
    });
  }
  return version;
}
