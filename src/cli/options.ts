import { InvalidArgumentError } from 'commander';
import type { EventStatus } from '../normalizers/normalized-event.ts';
import { FilterInputError, providerInput, sinksInput, statusInput, timeInput } from '../replay/filter-input.ts';
import type { ProviderId } from './providers.ts';

/**
 * Commander option parsers. A bad value becomes commander's one-line error, which names the option
 * ("option '--limit <n>' argument '-3' is invalid. …") and exits 2; the checks themselves are the
 * ones the status page's API applies (src/replay/filter-input.ts).
 */
function checked<T>(parse: (value: string) => T): (value: string) => T {
  return (value) => {
    try {
      return parse(value);
    } catch (error) {
      if (error instanceof FilterInputError) throw new InvalidArgumentError(error.message);
      throw error;
    }
  };
}

export function limitOption(max: number): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) {
      throw new InvalidArgumentError(`the limit must be a whole number from 1 to ${max}`);
    }
    return Number(value);
  };
}

export const providerOption: (value: string) => ProviderId | undefined = checked(providerInput);
export const statusOption: (value: string) => EventStatus | undefined = checked(statusInput);
export const sinksOption: (value: string) => string[] | undefined = checked(sinksInput);

export function timeOption(name: string): (value: string) => Date | undefined {
  return checked((value) => timeInput(name, value));
}

export function urlOption(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('expected a base URL such as http://127.0.0.1:3000');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError('expected an http:// or https:// URL');
  return value.replace(/\/+$/, '');
}

export function databaseUrlOption(value: string): string {
  if (!/^postgres(ql)?:\/\//.test(value)) throw new InvalidArgumentError('expected a postgres:// URL');
  return value;
}
